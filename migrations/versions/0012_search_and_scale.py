"""company search served by an index on both databases; partial index for invoices of orders

Revision ID: 0012s
Revises: 0008x
Create Date: 2026-11-28 05:10:00

- SQLite: an FTS5 trigram table over the company list's searched columns (external content,
  kept by triggers), so `%word%` searches no longer read every company;
- PostgreSQL: pg_trgm was created by 0002 already; nothing to add for the search;
- both: invoices (company_id, due_date, id), the card's pending invoices in due-date order
  from the client's rows only (PostgreSQL walked every invoice's due date);
- both: invoices (order_id) WHERE order_id IS NOT NULL: most invoices have no order, and the
  card's pending-orders query must find an order's invoices without trusting that statistic.
"""
from alembic import op
import sqlalchemy as sa

revision = '0012s'
down_revision = '0010c'
branch_labels = None
depends_on = None

SEARCHED = "name, email, phone, legal_id, website"
NEW = ", ".join(f"new.{c.strip()}" for c in SEARCHED.split(","))
OLD = ", ".join(f"old.{c.strip()}" for c in SEARCHED.split(","))
FTS = "companies_search"


def upgrade():
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5({SEARCHED}, content='companies', "
                   "content_rowid='id', tokenize='trigram')")
        op.execute(f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON companies BEGIN "
                   f"INSERT INTO {FTS}(rowid, {SEARCHED}) VALUES (new.id, {NEW}); END")
        op.execute(f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON companies BEGIN "
                   f"INSERT INTO {FTS}({FTS}, rowid, {SEARCHED}) VALUES ('delete', old.id, {OLD}); END")
        op.execute(f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF {SEARCHED} ON companies BEGIN "
                   f"INSERT INTO {FTS}({FTS}, rowid, {SEARCHED}) VALUES ('delete', old.id, {OLD}); "
                   f"INSERT INTO {FTS}(rowid, {SEARCHED}) VALUES (new.id, {NEW}); END")
        op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")
    else:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
    with op.batch_alter_table('invoices', schema=None) as batch_op:
        batch_op.drop_index('ix_invoices_order_id')
    op.create_index('ix_invoices_company_id_due_date_id', 'invoices',
                    ['company_id', 'due_date', 'id'], unique=False)
    op.create_index('ix_invoices_order_id_present', 'invoices', ['order_id'], unique=False,
                    sqlite_where=sa.text('order_id IS NOT NULL'),
                    postgresql_where=sa.text('order_id IS NOT NULL'))


def downgrade():
    op.drop_index('ix_invoices_order_id_present', table_name='invoices')
    op.drop_index('ix_invoices_company_id_due_date_id', table_name='invoices')
    op.create_index('ix_invoices_order_id', 'invoices', ['order_id'], unique=False)
    if op.get_bind().dialect.name == 'sqlite':
        for trigger in ("ai", "ad", "au"):
            op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
        op.execute(f"DROP TABLE IF EXISTS {FTS}")
