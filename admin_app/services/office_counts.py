"""Office-wide figures from the running tallies (models/office_tallies.py): the dashboard's
counts, the pipeline's totals per stage and the data-quality counts.

A figure is the sum of its tally rows, read in one statement whatever the size of the office.
When the rows pile up (each change adds one), `fold_tallies` replaces them by one row per key;
reading folds them once FOLD_ABOVE rows more than one per key have piled up, so a read never
sums more than about that beyond its keys. Tallies keyed by a day (overdue invoices by due
date, leads by the day last touched) are read for today's date or a later one only: a fold
given that day (`before`) merges the days before it into one, so their rows stay as many as
the days still ahead of it, not as many as the days in the office's history.

The fold a read triggers is housekeeping: it does not wait for a lock (an import's batch, a
recount, another read folding the same rows) and, when it cannot go at once, is left to the
next read. The figures were already read; the page never waits for, nor fails on, the fold.
"""
import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import Date, case, delete, func, insert, literal, literal_column, or_, select
from sqlalchemy.exc import OperationalError

from .. import clock
from ..extensions import db
from ..models.base import utcnow
from ..models.office_tallies import (
    QUALITY_COUNTS, TALLIED, OfficeTally, PipelineTally, QualityTally,
)

log = logging.getLogger(__name__)

FOLD_ABOVE = 500
# How long a read's fold may wait for a lock on PostgreSQL before leaving it to the next read.
READ_FOLD_LOCK_TIMEOUT_MS = 50
STALE_AFTER_DAYS = 365
_TALLIES = OfficeTally.__table__
_PIPELINE = PipelineTally.__table__
_QUALITY = QualityTally.__table__
_SOURCES = [table for tally, table in TALLIED if tally == _QUALITY.name]  # tables it counts
# Each tally table: its key columns and its summed columns.
_SHAPES = {_TALLIES: (("name", "day"), ("delta",)),
           _PIPELINE: (("stage_id", "owner_id"),
                       ("opportunities", "amount_cents", "own_weighted", "stage_weighted")),
           _QUALITY: (("source", "day"), QUALITY_COUNTS)}


@dataclass(frozen=True)
class OfficeCounts:
    clients: int
    leads: int
    open_quotes: int
    open_opportunities: int
    overdue_invoices: int


def office_counts(today: date | None = None) -> OfficeCounts:
    """The live clients and leads, the quotes in draft or sent, the open opportunities and the
    invoices overdue `today` (the organisation's date by default)."""
    today = today or clock.today()
    rows = db.session.execute(
        select(_TALLIES.c.name, _TALLIES.c.day, func.sum(_TALLIES.c.delta), func.count())
        .group_by(_TALLIES.c.name, _TALLIES.c.day)).all()
    if sum(row[3] for row in rows) - len(rows) > FOLD_ABOVE:
        _fold_on_read(_TALLIES, before=today)
    sums: dict[str, int] = {}
    for name, day, total, _rows in rows:
        if name == "overdue" and not (day is not None and day < today):
            continue  # not due yet (an invoice due today is not late)
        sums[name] = sums.get(name, 0) + int(total)
    return OfficeCounts(
        clients=sums.get("companies:client", 0),
        leads=sums.get("companies:lead", 0),
        open_quotes=sums.get("quotes:draft", 0) + sums.get("quotes:sent", 0),
        open_opportunities=sums.get("opportunities:open", 0),
        overdue_invoices=sums.get("overdue", 0))


@dataclass(frozen=True)
class PipelineSums:
    """A stage's open opportunities: how many, their amounts in cents, and the two parts of the
    weighted amount (Σ cents × own probability; Σ cents of those without one)."""
    opportunities: int
    amount_cents: int
    own_weighted: int
    stage_weighted: int


def pipeline_sums(owner_id: int | None = None,
                  stage_ids: list[int] | None = None) -> dict[int | None, PipelineSums]:
    """Each stage's open opportunities (None: those without a stage), of one owner if given,
    of the given stages if given."""
    columns = _SHAPES[_PIPELINE][1]
    # Per key (stage and owner), so the rows beyond one per key are known.
    query = (select(_PIPELINE.c.stage_id, *(func.sum(_PIPELINE.c[c]) for c in columns),
                    func.count())
             .group_by(_PIPELINE.c.stage_id, _PIPELINE.c.owner_id))
    if owner_id:
        query = query.where(_PIPELINE.c.owner_id == owner_id)
    if stage_ids is not None:
        query = query.where(_PIPELINE.c.stage_id.in_(stage_ids))
    rows = db.session.execute(query).all()
    if sum(row[-1] for row in rows) - len(rows) > FOLD_ABOVE:
        _fold_on_read(_PIPELINE)
    sums: dict[int | None, list[int]] = {}
    for stage_id, *values, _rows in rows:
        total = sums.setdefault(stage_id, [0] * len(columns))
        for n, value in enumerate(values):
            total[n] += int(value)
    return {stage_id: PipelineSums(*total) for stage_id, total in sums.items() if total[0]}


def quality_sums(before: date | None = None) -> dict[str, int]:
    """The data-quality counts: live companies failing each check on their row, contacts with
    an email outside their company's domain (models/quality_flags.py), live leads, and as
    `stale_lead` the leads last touched before the day `before` (if given; stale_before())."""
    stale = (func.sum(case((_QUALITY.c.day < before, _QUALITY.c.leads), else_=0))
             if before else literal_column("0"))
    # Keys: each day (leads only have one), and at most one undated row per source.
    surplus = func.count() - func.count(_QUALITY.c.day.distinct()) - len(_SOURCES)
    row = db.session.execute(select(*(func.coalesce(func.sum(_QUALITY.c[c]), 0)
                                      for c in QUALITY_COUNTS),
                                    func.coalesce(stale, 0), surplus)).one()
    if row[-1] > FOLD_ABOVE:
        _fold_on_read(_QUALITY, before=before)
    return {name: int(value) for name, value in zip((*QUALITY_COUNTS, "stale_lead"), row)}


@contextmanager
def _lock_wait(conn, wait: bool):
    """Within the transaction, waiting for locks as usual, or hardly at all (`wait=False`)."""
    if wait:
        yield
    elif conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SET LOCAL lock_timeout = {READ_FOLD_LOCK_TIMEOUT_MS}")
        yield
    else:  # SQLite: the connection's busy timeout, given back to the pool as it was
        from .. import SQLITE_BUSY_TIMEOUT_MS
        conn.exec_driver_sql("PRAGMA busy_timeout = 0")
        try:
            yield
        finally:
            conn.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")


def stale_before() -> date:
    """A lead last touched before this day is stale (untouched for a year)."""
    return (utcnow() - timedelta(days=STALE_AFTER_DAYS)).date()


# The day each dated tally is read for (or a later one): overdue by today's date, stale leads
# by the day a year ago.
_READ_FOR = {_TALLIES: clock.today, _QUALITY: stale_before}


def fold_tallies(*tables, before: date | None = None, wait: bool = True) -> None:
    """Replace the rows of each tally table (all by default) there now by one per key (none
    where every sum is zero), each in a transaction of its own. The days before `before` (by
    default the day the table is read for now) count as one, the day before it: their figures
    are never read for an earlier day. Rows added meanwhile by writers not committed yet are
    not seen, so not removed: they count later. Two folds at once: the second waits for the
    rows the first deletes, then finds them gone. `wait=False`: a fold that cannot take its
    locks at once fails (OperationalError) instead of waiting for them."""
    for table in tables or tuple(_SHAPES):
        day = before or (_READ_FOR[table]() if table in _READ_FOR else None)
        _fold(table, *_SHAPES[table], before=day, wait=wait)


def _fold_on_read(table, before: date | None = None) -> None:
    """Fold `table` now if no one holds its rows, else leave it to a later read."""
    try:
        fold_tallies(table, before=before, wait=False)
    except OperationalError as exc:  # locked, busy or collided: the rows stay, as counted
        log.info("Tallies of %s not folded on this read: %s", table.name, exc.orig)


def _fold(table, keys: tuple[str, ...], values: tuple[str, ...],
          before: date | None = None, wait: bool = True) -> None:
    with db.engine.begin() as conn, _lock_wait(conn, wait):
        last = conn.scalar(select(func.max(table.c.id)))
        if last is None:
            return
        old = table.c.id <= last

        def key(source, name):
            if name == "day" and before is not None:
                day = source.c.day
                return case((day < before, literal(before - timedelta(days=1), Date)),
                            else_=day).label("day")
            return source.c[name]

        def summed(source, where=None):
            rows = select(*(key(source, k) for k in keys), *(source.c[v] for v in values))
            rows = (rows.where(where) if where is not None else rows).subquery("folded")
            return (select(*(rows.c[k] for k in keys), *(func.sum(rows.c[v]) for v in values))
                    .group_by(*(rows.c[k] for k in keys))
                    .having(or_(*(func.sum(rows.c[v]) != literal_column("0")
                                  for v in values))))
        if conn.dialect.name == "postgresql":
            # One statement: the rows summed are exactly the rows this fold deleted.
            gone = (delete(table).where(old)
                    .returning(*(table.c[c] for c in keys + values)).cte("gone"))
            conn.execute(insert(table).from_select(list(keys + values), summed(gone)))
        else:  # one writer at a time: the sums first, then the rows they replace
            rows = conn.execute(summed(table, old)).all()
            conn.execute(delete(table).where(old))
            if rows:
                conn.execute(insert(table), [dict(zip(keys + values, row)) for row in rows])
