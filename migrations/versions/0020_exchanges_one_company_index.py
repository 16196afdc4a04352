"""Exchanges: one index per company, (company_id, kind, occurred_at, id), not two

The card's timeline read one company's exchanges newest first from (company_id, occurred_at);
it now merges each kind's newest rows from (company_id, kind, occurred_at, id), which also
serves the timeline filtered by kind and the per-kind counts (services/card.timeline). With the
id in the index a page is read in index order, never sorted: a prepared statement's cached
(generic) plan sorted all of a client's 50,000 calls to show 20 (12 ms instead of 3).

Every exchange a merge moves rewrote an entry in each index holding company_id: measured at
100,000 companies on PostgreSQL, moving the whale's 50,000 exchanges took 572-627 ms with
(company_id, occurred_at) and 511-520 ms without.

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-28 21:00:00
"""
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_exchanges_company_id_kind_occurred_at_id", "exchanges",
                    ["company_id", "kind", "occurred_at", "id"])
    op.drop_index("ix_exchanges_company_id_kind_occurred_at", table_name="exchanges")
    op.drop_index("ix_exchanges_company_id_occurred_at", table_name="exchanges")


def downgrade():
    op.create_index("ix_exchanges_company_id_occurred_at", "exchanges",
                    ["company_id", "occurred_at"])
    op.create_index("ix_exchanges_company_id_kind_occurred_at", "exchanges",
                    ["company_id", "kind", "occurred_at"])
    op.drop_index("ix_exchanges_company_id_kind_occurred_at_id", table_name="exchanges")
