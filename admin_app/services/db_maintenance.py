"""Planner statistics after a bulk load (seed-demo, benchmarks)."""
from ..extensions import db


def refresh_statistics() -> None:
    """Give the query planner fresh statistics, as autovacuum would shortly after a bulk load.

    In production autovacuum analyzes (and vacuums) tables as they grow; right after a bulk
    insert a fresh database still has none, and PostgreSQL then guesses one row per company
    and picks nested loops over thousands of rows. VACUUM also fills the visibility map, so
    covering indexes are read without visiting the table. Call it after the load is committed.
    """
    engine = db.engine
    if engine.dialect.name == "postgresql":
        # VACUUM refuses to run inside a transaction block.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM (ANALYZE)")
    else:
        with engine.begin() as conn:
            conn.exec_driver_sql("ANALYZE")
