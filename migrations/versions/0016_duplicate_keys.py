"""the duplicates scan's blocking keys per company, and the companies changed since

An edit re-scores only the blocks its company's keys fall in, read through an index
(services/duplicate_keys.py) instead of reading every company. Triggers on `companies` list
every company whose name, keys or liveness changed, whoever wrote it. Every existing company is
listed as changed: the next full scan of the duplicates page fills the keys.

Revision ID: 0016d
Revises: 0015c
Create Date: 2026-11-28 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa

CHANGES_TABLE = 'duplicate_key_changes'
WATCHED = ("name", "name_key", "legal_id_key", "email_domain", "phone_key", "merged_into_id")

# revision identifiers, used by Alembic.
revision = '0016d'
down_revision = '0015c'
branch_labels = None
depends_on = None


# Written out here (models/duplicate_keys.py builds the same for create_all), so that a later
# change to the model does not rewrite history.
def _differs(old, new, operator):
    return " OR ".join(f"{old}.{c} {operator} {new}.{c}" for c in WATCHED)


def _note(row):
    return (f"DELETE FROM {CHANGES_TABLE} WHERE company_id = {row}.id; "
            f"INSERT INTO {CHANGES_TABLE} (company_id) VALUES ({row}.id);")


SQLITE_TRIGGERS = (
    f"CREATE TRIGGER {CHANGES_TABLE}_ai AFTER INSERT ON companies BEGIN {_note('new')} END",
    f"CREATE TRIGGER {CHANGES_TABLE}_ad AFTER DELETE ON companies BEGIN {_note('old')} END",
    f"CREATE TRIGGER {CHANGES_TABLE}_au AFTER UPDATE OF {', '.join(WATCHED)} ON companies "
    f"WHEN {_differs('old', 'new', 'IS NOT')} BEGIN {_note('new')} END",
)
POSTGRESQL_TRIGGERS = (
    f"CREATE OR REPLACE FUNCTION {CHANGES_TABLE}_note() RETURNS trigger LANGUAGE plpgsql AS $$ "
    f"BEGIN INSERT INTO {CHANGES_TABLE} (company_id) "
    f"VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END) "
    f"ON CONFLICT (company_id) DO UPDATE SET seq = EXCLUDED.seq; RETURN NULL; END $$",
    f"CREATE TRIGGER {CHANGES_TABLE}_aid AFTER INSERT OR DELETE ON companies "
    f"FOR EACH ROW EXECUTE FUNCTION {CHANGES_TABLE}_note()",
    f"CREATE TRIGGER {CHANGES_TABLE}_au AFTER UPDATE OF {', '.join(WATCHED)} ON companies "
    f"FOR EACH ROW WHEN ({_differs('OLD', 'NEW', 'IS DISTINCT FROM')}) "
    f"EXECUTE FUNCTION {CHANGES_TABLE}_note()",
)
TRIGGER_NAMES = {"sqlite": [f"{CHANGES_TABLE}_ai", f"{CHANGES_TABLE}_ad", f"{CHANGES_TABLE}_au"],
                 "postgresql": [f"{CHANGES_TABLE}_aid", f"{CHANGES_TABLE}_au"]}


def upgrade():
    op.create_table(
        'duplicate_keys',
        sa.Column('key', sa.String(length=260), nullable=False),
        sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint('key', 'company_id', name=op.f('pk_duplicate_keys')),
        sqlite_with_rowid=False,
    )
    op.create_table(
        'duplicate_key_sources',
        sa.Column('company_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('name_key', sa.String(length=200), nullable=False),
        sa.Column('legal_id_key', sa.String(length=40), nullable=False),
        sa.Column('email_domain', sa.String(length=254), nullable=False),
        sa.Column('phone_key', sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint('company_id', name=op.f('pk_duplicate_key_sources')),
    )
    op.create_table(
        CHANGES_TABLE,
        sa.Column('seq', sa.Integer(), nullable=False),
        sa.Column('company_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('seq', name=op.f('pk_duplicate_key_changes')),
        sa.UniqueConstraint('company_id', name=op.f('uq_duplicate_key_changes_company_id')),
        sqlite_autoincrement=True,
    )
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in SQLITE_TRIGGERS if sqlite else POSTGRESQL_TRIGGERS:
        op.execute(statement)
    op.execute(f"INSERT INTO {CHANGES_TABLE} (company_id) "
               "SELECT id FROM companies ORDER BY id")


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for name in TRIGGER_NAMES['sqlite' if sqlite else 'postgresql']:
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + ("" if sqlite else " ON companies"))
    if not sqlite:
        op.execute(f"DROP FUNCTION IF EXISTS {CHANGES_TABLE}_note()")
    op.drop_table(CHANGES_TABLE)
    op.drop_table('duplicate_key_sources')
    op.drop_table('duplicate_keys')
