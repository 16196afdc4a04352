"""indexes for the client card at scale and the company list's search

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 23:45:00

- exchanges (company_id, kind, occurred_at): the timeline filtered by kind and its per-kind
  counts, read from the index alone instead of every exchange row of the company;
- payments (invoice_id, paid_on, id, amount): balances and completing payments per invoice
  without visiting the table, in the order running totals need;
- PostgreSQL only: pg_trgm and a trigram GIN index over the columns the company list searches
  with `ILIKE '%term%'` (a B-tree cannot serve a leading wildcard; SQLite has no equivalent).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

SEARCHED_COLUMNS = ("name", "email", "phone", "legal_id", "website")


def upgrade():
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.create_index('ix_exchanges_company_id_kind_occurred_at',
                              ['company_id', 'kind', 'occurred_at'], unique=False)
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.create_index('ix_payments_invoice_id_paid_on_id_amount',
                              ['invoice_id', 'paid_on', 'id', 'amount'], unique=False)
    if op.get_bind().dialect.name == 'postgresql':
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.create_index('ix_companies_search_trgm', 'companies', list(SEARCHED_COLUMNS),
                        unique=False, postgresql_using='gin',
                        postgresql_ops={column: 'gin_trgm_ops' for column in SEARCHED_COLUMNS})


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_companies_search_trgm', table_name='companies')
        # pg_trgm stays: other databases objects or tools may rely on it, and it costs nothing.
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_invoice_id_paid_on_id_amount')
    with op.batch_alter_table('exchanges', schema=None) as batch_op:
        batch_op.drop_index('ix_exchanges_company_id_kind_occurred_at')
