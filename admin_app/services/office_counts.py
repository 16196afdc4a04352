"""The office-wide counts of the dashboard, from the running tallies (models/office_tallies.py).

A count is the sum of its tally rows, read in one statement whatever the size of the office.
When the rows pile up (each change adds one), `fold_tallies` replaces them by one row per
tally; reading folds them past FOLD_ABOVE rows, so a read never sums more than about that.
"""
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, func, insert, literal_column, select

from .. import clock
from ..extensions import db
from ..models.office_tallies import OfficeTally

FOLD_ABOVE = 500
_TALLIES = OfficeTally.__table__


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
        fold_tallies()
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


def fold_tallies() -> None:
    """Replace the tally rows there now by one per tally (none for a sum of zero), in a
    transaction of its own. Rows added meanwhile by writers not committed yet are not seen,
    so not removed: they count later. Two folds at once: the second waits for the rows the
    first deletes, then finds them gone."""
    with db.engine.begin() as conn:
        last = conn.scalar(select(func.max(_TALLIES.c.id)))
        if last is None:
            return
        old = _TALLIES.c.id <= last
        summed = (select(_TALLIES.c.name, _TALLIES.c.day, func.sum(_TALLIES.c.delta))
                  .where(old).group_by(_TALLIES.c.name, _TALLIES.c.day)
                  .having(func.sum(_TALLIES.c.delta) != literal_column("0")))
        if conn.dialect.name == "postgresql":
            # One statement: the rows summed are exactly the rows this fold deleted.
            gone = (delete(_TALLIES).where(old)
                    .returning(_TALLIES.c.name, _TALLIES.c.day, _TALLIES.c.delta).cte("gone"))
            conn.execute(insert(_TALLIES).from_select(
                ["name", "day", "delta"],
                select(gone.c.name, gone.c.day, func.sum(gone.c.delta))
                .group_by(gone.c.name, gone.c.day)
                .having(func.sum(gone.c.delta) != literal_column("0"))))
        else:  # one writer at a time: the sums first, then the rows they replace
            rows = conn.execute(summed).all()
            conn.execute(delete(_TALLIES).where(old))
            if rows:
                conn.execute(insert(_TALLIES), [{"name": n, "day": d, "delta": t}
                                                for n, d, t in rows])
