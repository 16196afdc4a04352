"""The office-wide counts of the dashboard, kept as running tallies instead of counted rows.

The dashboard counts the office's live clients and leads, open quotes, open opportunities and
overdue invoices. Counted from the rows, each read what it counts: tens of thousands of rows at
100,000 companies, ten times more at a million. Here every change to one of those rows adds a
row of +1 / -1 to `office_tallies` (a database trigger, so every writer counts: forms, imports,
merges, plain SQL), and a count is the sum of its tally rows: exact, read in the transaction's
own snapshot like the rows themselves, and no hot row for concurrent writers to queue on (each
change inserts, none updates). services/office_counts.py folds the rows into one per tally when
they pile up.

- `companies:<status>`, `quotes:<status>`, `opportunities:<status>`: the live companies (not
  merge tombstones), the quotes, the opportunities by status.
- `overdue` with a `day`: the issued invoices with a balance left, by due date; those due
  before today are the overdue ones, so the count follows the calendar without a write.

PostgreSQL's triggers run once per statement over its transition tables (a bulk insert of
100,000 companies adds two rows, not 100,000); SQLite's run once per row. Migration 0024
creates the same objects; the listeners below create them wherever a schema is built with
`create_all()`.
"""
from datetime import date

from sqlalchemy import DDL, Date, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

TALLIES_TABLE = "office_tallies"


class OfficeTally(db.Model):
    """A change (+/-) to one office-wide count, or the folded sum of earlier ones."""

    __tablename__ = TALLIES_TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    day: Mapped[date | None] = mapped_column(Date)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<OfficeTally {self.name} {self.day} {self.delta:+d}>"


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
    return f"SELECT {name} AS name, {day} AS day, {sign} AS delta{read} WHERE {counts}"  # nosec B608


def _sqlite_triggers(table: str) -> list[str]:
    watched = TALLIED[table][3]
    insert = f"INSERT INTO {TALLIES_TABLE} (name, day, delta) "  # nosec B608
    plus, minus = insert + _part(table, "new", 1), insert + _part(table, "old", -1)
    changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in watched)
    return [
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES_TABLE}_{table}_ai AFTER INSERT ON {table} "
        f"BEGIN {plus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES_TABLE}_{table}_ad AFTER DELETE ON {table} "
        f"BEGIN {minus}; END",
        f"CREATE TRIGGER IF NOT EXISTS {TALLIES_TABLE}_{table}_au AFTER UPDATE OF "
        f"{', '.join(watched)} ON {table} WHEN {changed} BEGIN {minus}; {plus}; END",
    ]


def _postgresql_triggers(table: str) -> list[str]:
    statements = []
    for operation, parts, referencing in (
            ("insert", [_part(table, "n", 1, "new_rows")], "NEW TABLE AS new_rows"),
            ("delete", [_part(table, "o", -1, "old_rows")], "OLD TABLE AS old_rows"),
            ("update", [_part(table, "o", -1, "old_rows"), _part(table, "n", 1, "new_rows")],
             "OLD TABLE AS old_rows NEW TABLE AS new_rows")):
        function = f"{TALLIES_TABLE}_{table}_{operation}"
        statements += [
            f"CREATE OR REPLACE FUNCTION {function}() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN INSERT INTO {TALLIES_TABLE} (name, day, delta) "  # nosec B608
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
    f"INSERT INTO {TALLIES_TABLE} (name, day, delta) SELECT name, day, count(*) FROM ("  # nosec B608
    f"{_part(table, 'r', 1, table)}) AS existing GROUP BY name, day"
    for table in TALLIED]

for _statement in SQLITE_STATEMENTS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_STATEMENTS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
