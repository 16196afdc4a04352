"""the currency each issued document was issued in, on the document itself

Copied from the document's snapshot so that lists format amounts in it without reading
snapshots row by row. Plain ADD COLUMN on both databases (no SQLite table rebuild).

Revision ID: 0015c
Revises: 0014v
Create Date: 2026-11-28 06:40:00.000000

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015c'
down_revision = '0014v'
branch_labels = None
depends_on = None

TABLES = {"quote": "quotes", "order": "orders", "invoice": "invoices", "credit": "credit_notes"}
CHUNK = 500


def upgrade():
    for table in TABLES.values():
        op.add_column(table, sa.Column('currency', sa.String(length=3), nullable=True))
    snapshots = sa.table("document_snapshots", sa.column("kind", sa.String),
                         sa.column("document_id", sa.Integer), sa.column("data", sa.JSON))
    connection = op.get_bind()
    ids = defaultdict(list)  # (kind, currency) → document ids
    for kind, document_id, data in connection.execute(
            sa.select(snapshots.c.kind, snapshots.c.document_id, snapshots.c.data)):
        currency = (data or {}).get("currency")
        if kind in TABLES and currency:
            ids[(kind, str(currency)[:3])].append(document_id)
    for (kind, currency), document_ids in ids.items():
        documents = sa.table(TABLES[kind], sa.column("id", sa.Integer),
                             sa.column("currency", sa.String))
        for start in range(0, len(document_ids), CHUNK):
            connection.execute(documents.update()
                               .where(documents.c.id.in_(document_ids[start:start + CHUNK]))
                               .values(currency=currency))


def downgrade():
    for table in TABLES.values():
        op.drop_column(table, 'currency')
