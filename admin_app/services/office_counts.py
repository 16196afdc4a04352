"""Office-wide figures from the running tallies (models/office_tallies.py): the dashboard's
counts, the pipeline's totals per stage and the data-quality counts.

A figure is the sum of its tally rows, read in one statement whatever the size of the office.
When the rows pile up (each change adds one), `fold_tallies` replaces them by one row per key;
reading folds them past FOLD_ABOVE rows, so a read never sums more than about that.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, delete, func, insert, literal_column, or_, select

from .. import clock
from ..extensions import db
from ..models.office_tallies import QUALITY_COUNTS, OfficeTally, PipelineTally, QualityTally

FOLD_ABOVE = 500
_TALLIES = OfficeTally.__table__
_PIPELINE = PipelineTally.__table__
_QUALITY = QualityTally.__table__
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
    if sum(row[3] for row in rows) > FOLD_ABOVE:
        fold_tallies(_TALLIES)
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
    query = (select(_PIPELINE.c.stage_id, *(func.sum(_PIPELINE.c[c]) for c in columns),
                    func.count())
             .group_by(_PIPELINE.c.stage_id))
    if owner_id:
        query = query.where(_PIPELINE.c.owner_id == owner_id)
    if stage_ids is not None:
        query = query.where(_PIPELINE.c.stage_id.in_(stage_ids))
    rows = db.session.execute(query).all()
    if sum(row[-1] for row in rows) > FOLD_ABOVE:
        fold_tallies(_PIPELINE)
    return {row[0]: PipelineSums(*(int(value) for value in row[1:-1]))
            for row in rows if row[1]}


def quality_sums(stale_before: date | None = None) -> dict[str, int]:
    """The data-quality counts: live companies failing each check on their row, contacts with
    an email outside their company's domain (models/quality_flags.py), live leads, and as
    `stale_lead` the leads last touched before the day `stale_before` (if given)."""
    stale = (func.sum(case((_QUALITY.c.day < stale_before, _QUALITY.c.leads), else_=0))
             if stale_before else literal_column("0"))
    row = db.session.execute(select(*(func.coalesce(func.sum(_QUALITY.c[c]), 0)
                                      for c in QUALITY_COUNTS),
                                    func.coalesce(stale, 0), func.count())).one()
    if row[-1] > FOLD_ABOVE:
        fold_tallies(_QUALITY)
    return {name: int(value) for name, value in zip((*QUALITY_COUNTS, "stale_lead"), row)}


def fold_tallies(*tables) -> None:
    """Replace the rows of each tally table (all by default) there now by one per key (none
    where every sum is zero), each in a transaction of its own. Rows added meanwhile by writers
    not committed yet are not seen, so not removed: they count later. Two folds at once: the
    second waits for the rows the first deletes, then finds them gone."""
    for table in tables or tuple(_SHAPES):
        _fold(table, *_SHAPES[table])


def _fold(table, keys: tuple[str, ...], values: tuple[str, ...]) -> None:
    with db.engine.begin() as conn:
        last = conn.scalar(select(func.max(table.c.id)))
        if last is None:
            return
        old = table.c.id <= last

        def summed(source):
            return (select(*(source.c[k] for k in keys), *(func.sum(source.c[v]) for v in values))
                    .group_by(*(source.c[k] for k in keys))
                    .having(or_(*(func.sum(source.c[v]) != literal_column("0")
                                  for v in values))))
        if conn.dialect.name == "postgresql":
            # One statement: the rows summed are exactly the rows this fold deleted.
            gone = (delete(table).where(old)
                    .returning(*(table.c[c] for c in keys + values)).cte("gone"))
            conn.execute(insert(table).from_select(list(keys + values), summed(gone)))
        else:  # one writer at a time: the sums first, then the rows they replace
            rows = conn.execute(summed(table).where(old)).all()
            conn.execute(delete(table).where(old))
            if rows:
                conn.execute(insert(table), [dict(zip(keys + values, row)) for row in rows])
