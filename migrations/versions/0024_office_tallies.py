"""the dashboard's office-wide counts as running tallies kept by triggers

The dashboard counted the live clients and leads, the open quotes, the open opportunities and
the overdue invoices from their rows: 18-27 ms each at 100,000 companies on PostgreSQL, ten
times that at a million. Triggers on those four tables now add +1/-1 rows to `office_tallies`
for every change, whoever writes (models/office_tallies.py builds the same for create_all);
a count is the sum of its rows (services/office_counts.py). The rows already there are
tallied once here.

Revision ID: 0024
Revises: 0023
Create Date: 2026-11-29 01:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None

# Written out here (models/office_tallies.py builds the same for create_all), so that a later
# change to the model does not rewrite history.
TALLIES = 'office_tallies'
NO_DAY = "CAST(NULL AS DATE)"  # typed: PostgreSQL's UNION of two bare NULLs would be text
# What each table adds to: (the tally's name, its day, whether the row counts), as SQL over a
# row alias, and the columns whose change can move a row from one tally to another.
TALLIED = {
    "companies": ("'companies:' || {r}.status", NO_DAY,
                  "{r}.merged_into_id IS NULL", ("status", "merged_into_id")),
    "quotes": ("'quotes:' || {r}.status", NO_DAY, "1 = 1", ("status",)),
    "opportunities": ("'opportunities:' || {r}.status", NO_DAY, "1 = 1", ("status",)),
    "invoices": ("'overdue'", "{r}.due_date",
                 "{r}.status = 'issued' AND {r}.balance_cents > 0", ("status", "balance_cents",
                                                                     "due_date")),
}


def _part(table: str, row: str, sign: int, source: str = "") -> str:
    """The tally rows (`sign`: +1 or -1) of the rows of `table` known as `row`, read FROM
    `source` (none: a trigger's one row, new or old)."""
    name, day, counts = (part.format(r=row) for part in TALLIED[table][:3])
    read = f" FROM {source} AS {row}" if source else ""
    # Reviewed (bandit B608, here and below): SQL from this module's constants only.
    return f"SELECT {name} AS name, {day} AS day, {sign} AS delta{read} WHERE {counts}"


def _sqlite_triggers(table: str) -> list[str]:
    watched = TALLIED[table][3]
    insert = f"INSERT INTO {TALLIES} (name, day, delta) "
    plus, minus = insert + _part(table, "new", 1), insert + _part(table, "old", -1)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES}_{table}_ai AFTER INSERT ON {table} "
        f"BEGIN {plus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES}_{table}_ad AFTER DELETE ON {table} "
        f"BEGIN {minus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES}_{table}_au AFTER UPDATE OF "
        f"{', '.join(watched)} ON {table} WHEN {changed} BEGIN {minus}; {plus}; END",
    ]


def _postgresql_triggers(table: str) -> list[str]:
    statements = []
    for operation, parts, referencing in (
            ("insert", [_part(table, "n", 1, "new_rows")], "NEW TABLE AS new_rows"),
            ("delete", [_part(table, "o", -1, "old_rows")], "OLD TABLE AS old_rows"),
            ("update", [_part(table, "o", -1, "old_rows"), _part(table, "n", 1, "new_rows")],
             "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        function = f"{TALLIES}_{table}_{operation}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN INSERT INTO {TALLIES} (name, day, delta) "
            f"SELECT name, day, sum(delta) FROM ({' UNION ALL '.join(parts)}) AS change "
            f"GROUP BY name, day HAVING sum(delta) <> 0; RETURN NULL; END $$",
            f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


SQLITE_STATEMENTS = [s for table in TALLIED for s in _sqlite_triggers(table)]
POSTGRESQL_STATEMENTS = [s for table in TALLIED for s in _postgresql_triggers(table)]
# The tallies of the rows already there (a migrated database), one row per tally.
BACKFILL = [
    f"INSERT INTO {TALLIES} (name, day, delta) SELECT name, day, count(*) FROM ("
    f"{_part(table, 'r', 1, table)}) AS existing GROUP BY name, day"
    for table in TALLIED]



def upgrade():
    op.create_table(
        TALLIES,
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=40), nullable=False),
        sa.Column('day', sa.Date(), nullable=True),
        sa.Column('delta', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_office_tallies')),
    )
    for statement in BACKFILL:
        op.execute(statement)
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in SQLITE_STATEMENTS if sqlite else POSTGRESQL_STATEMENTS:
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in TALLIED:
        if sqlite:
            for suffix in ('ai', 'ad', 'au'):
                op.execute(f"DROP TRIGGER IF EXISTS {TALLIES}_{table}_{suffix}")
        else:
            for operation in ('insert', 'delete', 'update'):
                op.execute(f"DROP TRIGGER IF EXISTS {TALLIES}_{table}_{operation} ON {table}")
                op.execute(f"DROP FUNCTION IF EXISTS {TALLIES}_{table}_{operation}()")
    op.drop_table(TALLIES)
