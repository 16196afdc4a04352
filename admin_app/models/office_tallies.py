"""Office-wide figures kept as running tallies instead of counted rows.

The dashboard counts the office's live clients and leads, open quotes, open opportunities and
overdue invoices; the pipeline board totals the open opportunities of each stage. Counted from
the rows, each read what it counts: tens of thousands of rows at 100,000 companies, ten times
more at a million. Here every change to one of those rows adds a row of +/- deltas to a tally
table (a database trigger, so every writer counts: forms, imports, merges, plain SQL), and a
figure is the sum of its tally rows: exact, read in the transaction's own snapshot like the rows
themselves, and no hot row for concurrent writers to queue on (each change inserts, none
updates). services/office_counts.py folds the rows into one per key when they pile up.

`office_tallies` (the dashboard), keyed by a name and a day:
- `companies:<status>`, `quotes:<status>`, `opportunities:<status>`: the live companies (not
  merge tombstones), the quotes, the opportunities by status;
- `overdue` with a `day`: the issued invoices with a balance left, by due date; those due
  before today are the overdue ones, so the count follows the calendar without a write.

`pipeline_tallies` (the board and the stages list), keyed by stage and owner: the open
opportunities, their amounts in cents, and for the weighted amount the sum of amount ×
probability over those with their own probability and the plain amounts of the others (their
stage's probability applies at read time, so changing it needs no write).

`quality_tallies` (the data-quality page), keyed by the table tallied and, for leads, the day
last touched: one column per check (models/quality_flags.py), the contacts outside their
company's domain, and the live leads.

PostgreSQL's triggers run once per statement over its transition tables (a bulk insert of
100,000 companies adds two rows, not 100,000); SQLite's run once per row. Migrations 0024-0026
create the same objects; the listeners below create them wherever a schema is built with
`create_all()`.
"""
from datetime import date

from sqlalchemy import BigInteger, Date, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .quality_flags import COMPANY_ROW_CHECKS, LEAD, TOUCH_DAY, ddl


class OfficeTally(db.Model):
    """A change (+/-) to one dashboard count, or the folded sum of earlier ones."""

    __tablename__ = "office_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), nullable=False)
    day: Mapped[date | None] = mapped_column(Date)
    delta: Mapped[int] = mapped_column(Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<OfficeTally {self.name} {self.day} {self.delta:+d}>"


class PipelineTally(db.Model):
    """A change (+/-) to one stage's open opportunities for one owner, or a folded sum."""

    __tablename__ = "pipeline_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    stage_id: Mapped[int | None] = mapped_column(Integer)
    owner_id: Mapped[int | None] = mapped_column(Integer)
    opportunities: Mapped[int] = mapped_column(Integer, nullable=False)
    amount_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Σ amount (cents) × own probability (%), and Σ amount (cents) of those without one.
    own_weighted: Mapped[int] = mapped_column(BigInteger, nullable=False)
    stage_weighted: Mapped[int] = mapped_column(BigInteger, nullable=False)

    def __repr__(self) -> str:
        return f"<PipelineTally stage {self.stage_id} owner {self.owner_id}>"


class QualityTally(db.Model):
    """A change (+/-) to the data-quality counts from one table's rows, or a folded sum: one
    column per check (zero where the table has no say)."""

    __tablename__ = "quality_tallies"

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(16), nullable=False)  # the table tallied
    day: Mapped[date | None] = mapped_column(Date)  # a lead's: the day it was last touched
    leads: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    no_email: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    no_phone: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    unreachable: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    invalid_email: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    bad_es_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    bad_fr_id: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    no_main_address: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")
    contact_mismatch: Mapped[int] = mapped_column(Integer, nullable=False, server_default="0")

    def __repr__(self) -> str:
        return f"<QualityTally {self.source}>"


QUALITY_COUNTS = (*COMPANY_ROW_CHECKS, "contact_mismatch", "leads")
NO_DAY = "CAST(NULL AS DATE)"  # typed: PostgreSQL's UNION of two bare NULLs would be text
CENTS = "CAST(round({r}.amount * 100) AS BIGINT)"
# Per tally table and per table tallied: the key columns and the value columns as SQL over a
# row alias {r} (the values are signed when a row leaves), which rows count, and the columns
# whose change can move a row from one key to another; then, optionally, COMPARE_ADDED: a
# change to those columns is tallied (SQLite) only when what the row adds changes, for a
# column such as updated_at that changes on every edit but moves a row only now and then.
COMPARE_ADDED = "compare what the row adds"
TALLIED = {
    ("office_tallies", "companies"): (
        {"name": "'companies:' || {r}.status", "day": NO_DAY}, {"delta": "1"},
        "{r}.merged_into_id IS NULL", ("status", "merged_into_id")),
    ("office_tallies", "quotes"): (
        {"name": "'quotes:' || {r}.status", "day": NO_DAY}, {"delta": "1"}, "1 = 1", ("status",)),
    ("office_tallies", "opportunities"): (
        {"name": "'opportunities:' || {r}.status", "day": NO_DAY}, {"delta": "1"}, "1 = 1",
        ("status",)),
    ("office_tallies", "invoices"): (
        {"name": "'overdue'", "day": "{r}.due_date"}, {"delta": "1"},
        "{r}.status = 'issued' AND {r}.balance_cents > 0", ("status", "balance_cents", "due_date")),
    ("pipeline_tallies", "opportunities"): (
        {"stage_id": "{r}.stage_id", "owner_id": "{r}.owner_id"},
        {"opportunities": "1", "amount_cents": CENTS,
         "own_weighted": f"CASE WHEN {{r}}.probability IS NULL THEN 0 "
                         f"ELSE {CENTS} * {{r}}.probability END",
         "stage_weighted": f"CASE WHEN {{r}}.probability IS NULL THEN {CENTS} ELSE 0 END"},
        "{r}.status = 'open'", ("status", "stage_id", "owner_id", "amount", "probability")),
    ("quality_tallies", "companies"): (
        {"source": "'companies'", "day": f"CASE WHEN {LEAD} THEN {TOUCH_DAY} END"},
        {**{key: f"CASE WHEN {check} THEN 1 ELSE 0 END"
            for key, check in COMPANY_ROW_CHECKS.items()},
         "leads": f"CASE WHEN {LEAD} THEN 1 ELSE 0 END"},
        "{r}.merged_into_id IS NULL",
        ("email", "phone", "legal_id_check", "has_main_address", "merged_into_id", "status",
         "updated_at", "last_exchange_at"), COMPARE_ADDED),
    ("quality_tallies", "contacts"): (
        {"source": "'contacts'", "day": NO_DAY}, {"contact_mismatch": "1"},
        "{r}.domain_mismatch", ("domain_mismatch",)),
}


def _part(tally: str, table: str, row: str, sign: int, source: str = "") -> str:
    """The tally rows (`sign`: +1 or -1) of the rows of `table` known as `row`, read FROM
    `source` (none: a trigger's one row, new or old)."""
    keys, values, counts, _watched = TALLIED[tally, table][:4]
    columns = [f"{sql.format(r=row)} AS {name}" for name, sql in keys.items()]
    columns += [f"{sign} * ({sql.format(r=row)}) AS {name}" for name, sql in values.items()]
    read = f" FROM {source} AS {row}" if source else ""
    # Reviewed (bandit B608, here and below): SQL from this module's constants only.
    return f"SELECT {', '.join(columns)}{read} WHERE {counts.format(r=row)}"  # nosec B608


def _columns(tally: str, table: str) -> tuple[list[str], list[str]]:
    keys, values, _counts, _watched = TALLIED[tally, table][:4]
    return list(keys), list(values)


def _sqlite_triggers(tally: str, table: str) -> list[str]:
    key_sql, value_sql, counts, watched, *compare = TALLIED[tally, table]
    keys, values = list(key_sql), list(value_sql)
    insert = f"INSERT INTO {tally} ({', '.join(keys + values)}) "  # nosec B608
    plus, minus = insert + _part(tally, table, "new", 1), insert + _part(tally, table, "old", -1)
    if compare == [COMPARE_ADDED]:
        changed = " OR ".join(f"({sql.format(r='old')}) IS NOT ({sql.format(r='new')})"
                              for sql in (*key_sql.values(), *value_sql.values(), counts))
    else:
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
    return (f"INSERT INTO {tally} ({', '.join(keys + values)}) "  # nosec B608
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

for _statement in SQLITE_STATEMENTS:
    event.listen(db.metadata, "after_create", ddl(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_STATEMENTS:
    event.listen(db.metadata, "after_create", ddl(_statement).execute_if(dialect="postgresql"))
