"""the buyer's VAT number on companies

A plain ADD COLUMN on both databases: on SQLite a batch operation would rebuild `companies`
and drop the FTS5 search triggers of 0012s.

Revision ID: 0014v
Revises: 0013l
Create Date: 2026-11-28 06:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014v'
down_revision = '0013l'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('companies', sa.Column('vat_number', sa.String(length=20), nullable=True))


def downgrade():
    # SQLite >= 3.35 drops a column in place (no rebuild), so the search triggers stay.
    op.drop_column('companies', 'vat_number')
