"""the pipeline's totals per stage as running tallies kept by triggers

The pipeline board totals each stage's open opportunities (count, amount, weighted amount, for
everyone or one owner) and the stages list counts them: read from the open-opportunity index,
but still every open opportunity, 21 -> 57 ms in the database at 10k -> 100k companies on
PostgreSQL. Triggers on `opportunities` now add +/- rows to `pipeline_tallies` keyed by stage
and owner (models/office_tallies.py builds the same for create_all); the open opportunities
already there are tallied once here.

Revision ID: 0025
Revises: 0024
Create Date: 2026-11-29 01:50:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

# Written out here (models/office_tallies.py builds the same for create_all), so that a later
# change to the model does not rewrite history.
CENTS = "CAST(round({r}.amount * 100) AS BIGINT)"
# Per tally table and per table tallied: the key columns and the value columns as SQL over a
# row alias {r} (the values are signed when a row leaves), which rows count, and the columns
# whose change can move a row from one key to another.
TALLIED = {
    ("pipeline_tallies", "opportunities"): (
        {"stage_id": "{r}.stage_id", "owner_id": "{r}.owner_id"},
        {"opportunities": "1", "amount_cents": CENTS,
         "own_weighted": f"CASE WHEN {{r}}.probability IS NULL THEN 0 "
                         f"ELSE {CENTS} * {{r}}.probability END",
         "stage_weighted": f"CASE WHEN {{r}}.probability IS NULL THEN {CENTS} ELSE 0 END"},
        "{r}.status = 'open'", ("status", "stage_id", "owner_id", "amount", "probability")),
}


def _part(tally: str, table: str, row: str, sign: int, source: str = "") -> str:
    """The tally rows (`sign`: +1 or -1) of the rows of `table` known as `row`, read FROM
    `source` (none: a trigger's one row, new or old)."""
    keys, values, counts, _watched = TALLIED[tally, table]
    columns = [f"{sql.format(r=row)} AS {name}" for name, sql in keys.items()]
    columns += [f"{sign} * ({sql.format(r=row)}) AS {name}" for name, sql in values.items()]
    read = f" FROM {source} AS {row}" if source else ""
    # Reviewed (bandit B608, here and below): SQL from this module's constants only.
    return f"SELECT {', '.join(columns)}{read} WHERE {counts.format(r=row)}"


def _columns(tally: str, table: str) -> tuple[list[str], list[str]]:
    keys, values, _counts, _watched = TALLIED[tally, table]
    return list(keys), list(values)


def _sqlite_triggers(tally: str, table: str) -> list[str]:
    keys, values = _columns(tally, table)
    watched = TALLIED[tally, table][3]
    insert = f"INSERT INTO {tally} ({', '.join(keys + values)}) "
    plus, minus = insert + _part(tally, table, "new", 1), insert + _part(tally, table, "old", -1)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_ai AFTER INSERT ON {table} "
        f"BEGIN {plus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_ad AFTER DELETE ON {table} "
        f"BEGIN {minus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {tally}_{table}_au AFTER UPDATE OF "
        f"{', '.join(watched)} ON {table} WHEN {changed} BEGIN {minus}; {plus}; END",
    ]


def _summed(tally: str, table: str, parts: list[str]) -> str:
    keys, values = _columns(tally, table)
    sums = ", ".join(f"sum({v})" for v in values)
    nonzero = " OR ".join(f"sum({v}) <> 0" for v in values)
    return (f"INSERT INTO {tally} ({', '.join(keys + values)}) "
            f"SELECT {', '.join(keys)}, {sums} FROM ({' UNION ALL '.join(parts)}) AS change "
            f"GROUP BY {', '.join(keys)} HAVING {nonzero}")


def _postgresql_triggers(tally: str, table: str) -> list[str]:
    statements = []
    for operation, parts, referencing in (
            ("insert", [_part(tally, table, "n", 1, "new_rows")], "NEW TABLE AS new_rows"),
            ("delete", [_part(tally, table, "o", -1, "old_rows")], "OLD TABLE AS old_rows"),
            ("update", [_part(tally, table, "o", -1, "old_rows"),
                        _part(tally, table, "n", 1, "new_rows")],
             "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        function = f"{tally}_{table}_{operation}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN {_summed(tally, table, parts)}; RETURN NULL; END $$",
            f"CREATE OR REPLACE TRIGGER {function} AFTER {operation.upper()} ON {table} "
            f"REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {function}()",
        ]
    return statements


SQLITE_STATEMENTS = [s for key in TALLIED for s in _sqlite_triggers(*key)]
POSTGRESQL_STATEMENTS = [s for key in TALLIED for s in _postgresql_triggers(*key)]
# The tallies of the rows already there (a migrated database), one row per key.
BACKFILL = [_summed(tally, table, [_part(tally, table, "r", 1, table)])
            for tally, table in TALLIED]



def upgrade():
    op.create_table(
        'pipeline_tallies',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('stage_id', sa.Integer(), nullable=True),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('opportunities', sa.Integer(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.Column('own_weighted', sa.BigInteger(), nullable=False),
        sa.Column('stage_weighted', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_pipeline_tallies')),
    )
    for statement in BACKFILL:
        op.execute(statement)
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for statement in SQLITE_STATEMENTS if sqlite else POSTGRESQL_STATEMENTS:
        op.execute(statement)


def downgrade():
    sqlite = op.get_bind().dialect.name == 'sqlite'
    if sqlite:
        for suffix in ('ai', 'ad', 'au'):
            op.execute(f"DROP TRIGGER IF EXISTS pipeline_tallies_opportunities_{suffix}")
    else:
        for operation in ('insert', 'delete', 'update'):
            op.execute(f"DROP TRIGGER IF EXISTS pipeline_tallies_opportunities_{operation} "
                       "ON opportunities")
            op.execute(f"DROP FUNCTION IF EXISTS pipeline_tallies_opportunities_{operation}()")
    op.drop_table('pipeline_tallies')
