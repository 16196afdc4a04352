"""Planner statistics after a bulk load (seed-demo, benchmarks); the search's word list pruned;
the running tallies recounted from the rows."""
from sqlalchemy import delete, exists, text

from ..extensions import db
from ..models import CompanyWord, SearchToken


def refresh_statistics() -> None:
    """Give the query planner fresh statistics, as autovacuum would shortly after a bulk load.

    In production autovacuum analyzes (and vacuums) tables as they grow; right after a bulk
    insert a fresh database still has none, and PostgreSQL then guesses one row per company
    and picks nested loops over thousands of rows. VACUUM also fills the visibility map, so
    covering indexes are read without visiting the table. Call it after the load is committed.
    """
    from .office_counts import fold_tallies
    fold_tallies()  # a bulk load left a tally row per row (SQLite) or per statement
    engine = db.engine
    if engine.dialect.name == "postgresql":
        compact_tallies()
        # VACUUM refuses to run inside a transaction block.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")


def prune_search_words() -> int:
    """Remove the stored words no live company holds any more (those of deleted, merged-away or
    edited companies) and return how many. The triggers never remove one: a word a company lost
    may be another's. Pruned, the list keeps no trace of a deleted company's values, and a
    searched word falls in no more stored words than the companies hold (above
    services/search.MAX_STORED_WORDS, the word index is not used).

    PostgreSQL: the word index is locked against writers until the caller commits (SHARE), or
    a company written at the same time with a word removed here would keep that
    word in its entries but not in the list, and the search would miss it. SQLite has one
    writer at a time."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"LOCK TABLE {CompanyWord.__tablename__} IN SHARE MODE"))
    words, tokens = CompanyWord.__table__, SearchToken.__table__
    return db.session.execute(
        delete(tokens).where(~exists().where(words.c.token == tokens.c.token))).rowcount


# The tables the tallies and flags are read from (models/office_tallies.py, quality_flags.py).
TALLIED_TABLES = ("companies", "addresses", "contacts", "exchanges", "quotes", "opportunities",
                  "invoices")


def _tally_tables() -> list[str]:
    from ..models import office_tallies
    return sorted({tally for tally, _table in office_tallies.TALLIED})


def compact_tallies() -> None:
    """PostgreSQL: rewrite the tally tables to the size of what they hold, after a bulk load or
    a recount (call it once that is committed). The load left hundreds of thousands of rows the
    fold deleted, and the fold wrote its few rows after them: a plain VACUUM frees that space
    but cannot give it back, and every read of a figure scanned it (20 MB, 7 ms a read, after
    seeding 100,000 companies). The tables hold a row per key, so the rewrite is instant; its
    lock (writers and readers of the tallies wait) lasts as long. SQLite reads only the pages a
    table uses: nothing to do."""
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (FULL, ANALYZE) {', '.join(_tally_tables())}")


def recount_tallies() -> dict[str, int]:
    """Recompute the data-quality flags and every running tally from the rows, and return how
    many tally rows each tally table holds now. For what the triggers cannot see: a TRUNCATE,
    triggers turned off for a bulk load, rows copied in by hand. PostgreSQL: writers to the
    tallied tables wait until the caller commits (SHARE), so none is counted twice or lost."""
    from ..models import office_tallies, quality_flags
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text(f"LOCK TABLE {', '.join(TALLIED_TABLES)} IN SHARE MODE"))
    for statement in quality_flags.BACKFILL:  # their triggers add tally rows: deleted below
        db.session.execute(text(statement))
    tables = _tally_tables()
    for table in tables:
        db.session.execute(text(f"DELETE FROM {table}"))  # nosec B608
    for statement in office_tallies.BACKFILL:
        db.session.execute(text(statement))
    return {table: db.session.scalar(text(f"SELECT count(*) FROM {table}"))  # nosec B608
            for table in tables}
