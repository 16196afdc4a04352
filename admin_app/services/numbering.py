"""Gapless numbers per document kind and year (INV-2026-0001), taken inside the caller's transaction."""
import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import CreditNote, Invoice, NumberCounter, Order, Quote
from .settings import get_setting

PREFIX_SETTINGS = {"quote": "quote_prefix", "order": "order_prefix", "invoice": "invoice_prefix",
                   "credit_note": "credit_note_prefix"}
# Every kind that has a prefix setting.
PREFIX_KEYS = PREFIX_SETTINGS
# The counter row of each kind (number_counters.kind holds at most 10 characters).
COUNTER_KINDS = {"quote": "quote", "order": "order", "invoice": "invoice", "credit_note": "credit"}
NUMBERED_MODELS = {"quote": Quote, "order": Order, "invoice": Invoice, "credit_note": CreditNote}
KIND_NAMES = {"quote": _l("quotes"), "order": _l("orders"), "invoice": _l("invoices"),
              "credit_note": _l("credit notes")}


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:04d}"


def next_value(kind: str, year: int) -> int:
    """Increment the counter of (kind, year) under a row lock held until the caller commits.

    A rollback of the caller's transaction also rolls the counter back, so no number is lost.
    """
    if kind not in PREFIX_SETTINGS:
        raise ValueError(f"Unknown numbered kind {kind!r}")
    kind = COUNTER_KINDS[kind]
    session = db.session
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    # Create the row if it is the first number of the year; concurrent creators do not collide.
    session.execute(insert(NumberCounter).values(kind=kind, year=year, last_value=0)
                    .on_conflict_do_nothing(index_elements=["kind", "year"]))
    # FOR UPDATE on PostgreSQL: a concurrent issuer waits here until this transaction ends.
    # SQLite ignores it; its single write lock (taken by the INSERT above) serialises writers.
    current = session.execute(
        select(NumberCounter.last_value)
        .where(NumberCounter.kind == kind, NumberCounter.year == year)
        .with_for_update()
    ).scalar_one()
    session.execute(update(NumberCounter)
                    .where(NumberCounter.kind == kind, NumberCounter.year == year)
                    .values(last_value=current + 1)
                    .execution_options(synchronize_session=False))
    return current + 1


def next_number(kind: str, year: int) -> str:
    """The next formatted number of a kind for a year, e.g. INV-2026-0007."""
    prefix = str(get_setting(PREFIX_SETTINGS[kind]) or kind[:3].upper()).strip()
    return format_number(prefix, year, next_value(kind, year))


def upcoming_numbers(year: int) -> dict[str, str | None]:
    """The number each kind would take next this year, without taking it (one query); None for a
    kind that has no documents yet."""
    taken = dict(db.session.execute(select(NumberCounter.kind, NumberCounter.last_value)
                                    .where(NumberCounter.year == year)).all())
    return {kind: format_number(get_setting(key), year, taken.get(COUNTER_KINDS[kind], 0) + 1)
            for kind, key in PREFIX_KEYS.items()}


def prefix_collision(kind: str, prefix: str) -> str | None:
    """Why numbering `kind` with `prefix` would clash with numbers already issued, else None.

    Another kind's documents numbered with that prefix would make two documents look alike; a
    document of the same kind numbered past its counter would make the next issue fail.
    """
    pattern = f"{prefix}-%"
    for other, model in NUMBERED_MODELS.items():
        if other != kind and db.session.scalar(select(exists().where(model.number.like(pattern)))):
            return _("Issued %(kind)s already carry numbers starting with %(prefix)s-.",
                     kind=str(KIND_NAMES[other]), prefix=prefix)
    model = NUMBERED_MODELS.get(kind)
    if model is None:
        return None
    counters = dict(db.session.execute(select(NumberCounter.year, NumberCounter.last_value)
                                       .where(NumberCounter.kind == COUNTER_KINDS[kind])).all())
    shape = re.compile(rf"^{re.escape(prefix)}-(\d{{4}})-(\d+)$")
    for number in db.session.scalars(select(model.number).where(model.number.like(pattern))):
        match = shape.match(number or "")
        if match and int(match.group(2)) > counters.get(int(match.group(1)), 0):
            return _("%(number)s already exists: the next %(kind)s would repeat its number.",
                     number=number, kind=str(KIND_NAMES[kind]))
    return None


def issued_documents_exist() -> bool:
    """Whether any quote, order, invoice or credit note has a number (was sent, created or
    issued)."""
    return bool(db.session.scalar(select(or_(*(exists().where(model.number.is_not(None))
                                               for model in NUMBERED_MODELS.values())))))
