"""Gapless numbers per document kind and year (INV-2026-0001), taken inside the caller's transaction."""
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import NumberCounter
from .settings import get_setting

PREFIX_SETTINGS = {"quote": "quote_prefix", "order": "order_prefix", "invoice": "invoice_prefix"}


def format_number(prefix: str, year: int, value: int) -> str:
    return f"{prefix}-{year}-{value:04d}"


def next_value(kind: str, year: int) -> int:
    """Increment the counter of (kind, year) under a row lock held until the caller commits.

    A rollback of the caller's transaction also rolls the counter back, so no number is lost.
    """
    if kind not in PREFIX_SETTINGS:
        raise ValueError(f"Unknown numbered kind {kind!r}")
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
