"""a merge's move of a big client's rows writes less

Merging a client with 10,000 invoices and 50,000 exchanges took just over 1 s on PostgreSQL,
nearly all of it moving rows. Two costs of each move that bought nothing go:

- `ix_invoices_created_at`, `ix_quotes_created_at`, `ix_orders_created_at` and
  `ix_credit_notes_created_at`: no query filters or sorts sales documents by when their row was
  written (lists sort by id, number and the documents' own dates), yet every moved row added
  an entry to each (15 ms of the 10,000 invoices' move).
- PostgreSQL's last-exchange triggers read each transition table twice (once for the
  companies' ids, once for their latest exchange): they now read it once into a CTE
  (40 -> 27 ms for 50,000 moved exchanges). models/quality_flags.py builds the same for
  create_all.
- PostgreSQL compresses a merge record's list of moved ids (400 kB of JSON for such a client)
  with lz4 instead of pglz, where the server has it: 23 -> 11 ms to store it, a little more room.
  Only values written from now on; a schema built by create_all keeps pglz, which only costs
  those milliseconds.

Revision ID: 0027
Revises: 0026
Create Date: 2026-11-29 12:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

SALES_TABLES = ('invoices', 'quotes', 'orders', 'credit_notes')
LATEST = "(SELECT max(e.occurred_at) FROM exchanges AS e WHERE e.company_id = c.id)"


# Written out here (models/quality_flags.py builds the same for create_all), so that a later
# change to the model does not rewrite history.
def _last_exchange(operation: str, single_pass: bool) -> str:
    if single_pass:
        gone = ("WITH o AS (SELECT company_id, max(occurred_at) AS top FROM old_rows GROUP BY "
                f"company_id) UPDATE companies AS c SET last_exchange_at = {LATEST} FROM o "
                "WHERE c.id = ANY (ARRAY(SELECT company_id FROM o)) AND c.id = o.company_id "
                "AND c.last_exchange_at <= o.top; ")
        came = ("WITH n AS (SELECT company_id, max(occurred_at) AS top FROM new_rows GROUP BY "
                "company_id) UPDATE companies AS c SET last_exchange_at = n.top FROM n "
                "WHERE c.id = ANY (ARRAY(SELECT company_id FROM n)) AND c.id = n.company_id "
                "AND (c.last_exchange_at IS NULL OR c.last_exchange_at < n.top); ")
    else:  # as migration 0026 wrote it
        gone = (f"UPDATE companies AS c SET last_exchange_at = {LATEST} FROM (SELECT "
                "company_id, max(occurred_at) AS top FROM old_rows GROUP BY company_id) AS o "
                "WHERE c.id = ANY (ARRAY(SELECT DISTINCT company_id FROM old_rows)) "
                "AND c.id = o.company_id AND c.last_exchange_at <= o.top; ")
        came = ("UPDATE companies AS c SET last_exchange_at = n.top FROM (SELECT company_id, "
                "max(occurred_at) AS top FROM new_rows GROUP BY company_id) AS n "
                "WHERE c.id = ANY (ARRAY(SELECT DISTINCT company_id FROM new_rows)) "
                "AND c.id = n.company_id AND (c.last_exchange_at IS NULL "
                "OR c.last_exchange_at < n.top); ")
    body = {"insert": came, "delete": gone, "update": gone + came}[operation]
    return (f"CREATE OR REPLACE FUNCTION companies_last_exchange_{operation}() RETURNS trigger "
            f"LANGUAGE plpgsql AS $$ BEGIN {body}RETURN NULL; END $$")


def _has_lz4() -> bool:
    # A server built without lz4 refuses the method; its setting then offers pglz alone.
    return bool(op.get_bind().scalar(sa.text(
        "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'")))


def upgrade():
    for table in SALES_TABLES:
        op.drop_index(f'ix_{table}_created_at', table_name=table)
    if op.get_bind().dialect.name == 'postgresql':
        for operation in ('insert', 'delete', 'update'):
            op.execute(_last_exchange(operation, single_pass=True))
        if _has_lz4():
            op.execute("ALTER TABLE merges ALTER COLUMN moved SET COMPRESSION lz4")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for operation in ('insert', 'delete', 'update'):
            op.execute(_last_exchange(operation, single_pass=False))
        op.execute("ALTER TABLE merges ALTER COLUMN moved SET COMPRESSION default")
    for table in SALES_TABLES:
        op.create_index(f'ix_{table}_created_at', table, ['created_at'], unique=False)
