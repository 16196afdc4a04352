"""card figures stored: invoice balances, company totals, monthly revenue, exchanges per kind

The card added up every invoice and payment of the client on each load (116-160 ms for a client
with 10,000 invoices) and counted its 50,000 exchanges. services/figures.py now keeps
invoices.balance_cents (and paid_on, the date of the completing payment) and the tables
company_figures, company_month_figures and company_exchange_counts in the transaction that
changes them; this migration computes them once from the rows, set-based.

The computation is written out here, as the rules stood at this revision, so that a later
change to the service cannot change what this migration did; tests/test_figures_migration.py
checks it against the service and the card's former figures.

Revision ID: 0016f
Revises: 0016d
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016f'
down_revision = '0016d'
branch_labels = None
depends_on = None

UNSETTLED = "status = 'draft' OR (status = 'issued' AND balance_cents <> 0)"

invoices = sa.table(
    "invoices", sa.column("id", sa.Integer), sa.column("company_id", sa.Integer),
    sa.column("status", sa.String), sa.column("issue_date", sa.Date),
    sa.column("total_excl_tax", sa.Numeric), sa.column("total_incl_tax", sa.Numeric),
    sa.column("currency", sa.String), sa.column("balance_cents", sa.BigInteger),
    sa.column("paid_on", sa.Date))
payments = sa.table("payments", sa.column("id", sa.Integer), sa.column("invoice_id", sa.Integer),
                    sa.column("amount", sa.Numeric), sa.column("paid_on", sa.Date))
credit_notes = sa.table(
    "credit_notes", sa.column("invoice_id", sa.Integer), sa.column("company_id", sa.Integer),
    sa.column("status", sa.String), sa.column("issue_date", sa.Date),
    sa.column("total_excl_tax", sa.Numeric), sa.column("total_incl_tax", sa.Numeric))
credit_uses = sa.table("credit_uses", sa.column("invoice_id", sa.Integer),
                       sa.column("amount", sa.Numeric))
ONE, NONE = sa.literal_column("1", sa.Integer), sa.literal_column("0", sa.Integer)


def cents(amount):
    return sa.cast(sa.func.round(amount * 100), sa.BigInteger)


def upgrade():
    op.add_column('invoices', sa.Column('balance_cents', sa.BigInteger(), server_default='0',
                                        nullable=False))
    # Before the backfill: built after it, over the updated rows, PostgreSQL could not use the
    # index until every transaction older than this one ended (pg_index.indcheckxmin).
    op.create_index('ix_invoices_unsettled', 'invoices',
                    ['company_id', 'due_date', 'id', 'status', 'balance_cents'], unique=False,
                    sqlite_where=sa.text(UNSETTLED), postgresql_where=sa.text(UNSETTLED))
    op.create_table(
        'company_figures',
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('issued_count', sa.Integer(), nullable=False),
        sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
        sa.Column('outstanding_cents', sa.BigInteger(), nullable=False),
        sa.Column('credit_cents', sa.BigInteger(), nullable=False),
        sa.Column('completed_count', sa.Integer(), nullable=False),
        sa.Column('delay_days', sa.BigInteger(), nullable=False),
        sa.Column('currency_min', sa.String(length=3), nullable=True),
        sa.Column('currency_max', sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_figures_company_id_companies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('company_id', name=op.f('pk_company_figures')))
    op.create_table(
        'company_month_figures',
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('month', sa.Integer(), nullable=False),
        sa.Column('revenue_cents', sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_month_figures_company_id_companies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('company_id', 'year', 'month',
                                name=op.f('pk_company_month_figures')))
    op.create_table(
        'company_exchange_counts',
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['company_id'], ['companies.id'],
                                name=op.f('fk_company_exchange_counts_company_id_companies'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('company_id', 'kind', name=op.f('pk_company_exchange_counts')))
    connection = op.get_bind()
    _backfill_invoices(connection)
    _backfill_companies(connection)
    exchanges = sa.table("exchanges", sa.column("company_id"), sa.column("kind"))
    counts = sa.table("company_exchange_counts", sa.column("company_id"), sa.column("kind"),
                      sa.column("count"))
    connection.execute(counts.insert().from_select(
        ["company_id", "kind", "count"],
        sa.select(exchanges.c.company_id, exchanges.c.kind, sa.func.count())
        .group_by(exchanges.c.company_id, exchanges.c.kind)))
    if connection.dialect.name == "postgresql":
        # Every row of invoices was rewritten: plan the card's queries from fresh statistics
        # rather than wait for autovacuum (a sample, quick at any size).
        op.execute("ANALYZE invoices")


def _backfill_invoices(connection):
    """balance_cents and paid_on of every invoice: payments, credit notes and credit uses each
    summed per invoice in one pass, then joined."""
    invoice = invoices.alias("recomputed")

    def per_invoice(table, *columns, where=()):
        return (sa.select(table.c.invoice_id.label("invoice_id"), *columns).where(*where)
                .group_by(table.c.invoice_id).subquery())
    paid_rows = per_invoice(payments, sa.func.sum(cents(payments.c.amount)).label("cents"),
                            sa.func.max(payments.c.paid_on).label("last"))
    note_rows = per_invoice(credit_notes,
                            sa.func.sum(cents(credit_notes.c.total_incl_tax)).label("cents"),
                            where=[credit_notes.c.status == "issued"])
    use_rows = per_invoice(credit_uses, sa.func.sum(cents(credit_uses.c.amount)).label("cents"))
    paid, credited, used = (sa.func.coalesce(t.c.cents, 0)
                            for t in (paid_rows, note_rows, use_rows))
    total = cents(invoice.c.total_incl_tax)
    after_credit = total - credited
    due = sa.case((after_credit > 0, after_credit), else_=total)
    later, earlier = payments.alias("later"), payments.alias("earlier")
    running = (sa.select(sa.func.sum(cents(earlier.c.amount)))
               .where(earlier.c.invoice_id == later.c.invoice_id,
                      sa.or_(earlier.c.paid_on < later.c.paid_on,
                             sa.and_(earlier.c.paid_on == later.c.paid_on,
                                     earlier.c.id <= later.c.id)))
               .scalar_subquery())
    walked = (sa.select(sa.func.min(later.c.paid_on))
              .where(later.c.invoice_id == invoice.c.id, running >= due).scalar_subquery())
    completed = sa.case((due <= 0, sa.null()), (paid == due, paid_rows.c.last),
                        (paid > due, walked), else_=sa.null())
    state = (sa.select(invoice.c.id, (total - paid - credited + used).label("balance_cents"),
                       completed.label("paid_on"))
             .select_from(invoice)
             .outerjoin(paid_rows, paid_rows.c.invoice_id == invoice.c.id)
             .outerjoin(note_rows, note_rows.c.invoice_id == invoice.c.id)
             .outerjoin(use_rows, use_rows.c.invoice_id == invoice.c.id).subquery("state"))
    connection.execute(
        invoices.update().where(invoices.c.id == state.c.id)
        .values(balance_cents=state.c.balance_cents, paid_on=state.c.paid_on))


def _backfill_companies(connection):
    """Every company's totals and monthly revenue, from the invoices' balances just stored."""
    if connection.dialect.name == "sqlite":
        delay = sa.cast(sa.func.julianday(invoices.c.paid_on)
                        - sa.func.julianday(invoices.c.issue_date), sa.Integer)
    else:
        delay = invoices.c.paid_on - invoices.c.issue_date
    balance = invoices.c.balance_cents
    issued = invoices.c.status == "issued"
    rows = sa.union_all(
        sa.select(invoices.c.company_id.label("company_id"), ONE.label("issued"),
                  cents(invoices.c.total_excl_tax).label("revenue"),
                  sa.case((balance > 0, balance), else_=0).label("outstanding"),
                  sa.case((balance < 0, -balance), else_=0).label("credit"),
                  sa.case((invoices.c.paid_on.is_not(None), 1), else_=0).label("completed"),
                  sa.func.coalesce(delay, 0).label("delay"),
                  invoices.c.currency.label("currency")).where(issued),
        sa.select(credit_notes.c.company_id, NONE, -cents(credit_notes.c.total_excl_tax), NONE,
                  NONE, NONE, NONE, sa.cast(sa.null(), sa.String(3)))
        .where(credit_notes.c.status == "issued"),
    ).subquery("rows")

    def total(column):
        return sa.cast(sa.func.sum(column), sa.BigInteger)
    figures = sa.table("company_figures", *(sa.column(name) for name in (
        "company_id", "issued_count", "revenue_cents", "outstanding_cents", "credit_cents",
        "completed_count", "delay_days", "currency_min", "currency_max")))
    connection.execute(figures.insert().from_select(
        [c.name for c in figures.columns],
        sa.select(rows.c.company_id, total(rows.c.issued), total(rows.c.revenue),
                  total(rows.c.outstanding), total(rows.c.credit), total(rows.c.completed),
                  total(rows.c.delay), sa.func.min(rows.c.currency),
                  sa.func.max(rows.c.currency)).group_by(rows.c.company_id)))

    def per_month(table, revenue):
        return sa.select(table.c.company_id.label("company_id"),
                         sa.cast(sa.extract("year", table.c.issue_date), sa.Integer).label("year"),
                         sa.cast(sa.extract("month", table.c.issue_date), sa.Integer)
                         .label("month"), revenue.label("revenue")
                         ).where(table.c.status == "issued")
    months = sa.union_all(per_month(invoices, cents(invoices.c.total_excl_tax)),
                          per_month(credit_notes, -cents(credit_notes.c.total_excl_tax))
                          ).subquery("months")
    month_figures = sa.table("company_month_figures", sa.column("company_id"), sa.column("year"),
                             sa.column("month"), sa.column("revenue_cents"))
    connection.execute(month_figures.insert().from_select(
        ["company_id", "year", "month", "revenue_cents"],
        sa.select(months.c.company_id, months.c.year, months.c.month,
                  total(months.c.revenue))
        .group_by(months.c.company_id, months.c.year, months.c.month)))


def downgrade():
    op.drop_index('ix_invoices_unsettled', table_name='invoices')
    op.drop_table('company_exchange_counts')
    op.drop_table('company_month_figures')
    op.drop_table('company_figures')
    op.drop_column('invoices', 'balance_cents')
