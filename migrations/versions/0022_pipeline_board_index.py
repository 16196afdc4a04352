"""Pipeline board: each stage's open opportunities from an index, soonest close first

The board shows the first 50 open opportunities of each stage by expected close date, those
without a date last. Both databases sorted all of a stage's open opportunities to find them:
at 100,000 companies (44,818 open opportunities) the board took 59 ms on SQLite and 65 ms on
PostgreSQL (38 and 46 ms at 10,000). services/opportunities.stage_cards reads the dated and
the undated ones from this partial index in order instead, and the stage totals (count, amount,
weighted amount) read the index alone.

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-28 21:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_opportunities_open_stage", "opportunities",
                    ["stage_id", "expected_close_on", "id", "probability", "amount"],
                    sqlite_where=sa.text("status = 'open'"),
                    postgresql_where=sa.text("status = 'open'"))


def downgrade():
    op.drop_index("ix_opportunities_open_stage", table_name="opportunities")
