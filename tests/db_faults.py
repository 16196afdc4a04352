"""Faults of the database injected at the driver, one statement at a time: the connection
dropping (a real one on PostgreSQL) and a transaction aborted for colliding with another."""
import sqlite3
from collections.abc import Callable
from contextlib import contextmanager

from sqlalchemy import event, text

from admin_app.extensions import db


@contextmanager
def database_drops_at(statement_start: str):
    """The connection dies when a statement starting with `statement_start` runs, once: on
    PostgreSQL its server process is terminated; SQLite's driver fails with an I/O error."""
    state = {"dropped": False}

    def do_execute(cursor, statement, _parameters, _context):
        if state["dropped"] or not statement.lstrip().upper().startswith(statement_start):
            return False
        state["dropped"] = True
        if db.engine.dialect.name == "postgresql":
            pid = cursor.connection.info.backend_pid
            with db.engine.connect() as other:
                other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
            return False  # the statement now runs on a dead connection and fails by itself
        raise sqlite3.OperationalError("disk I/O error")

    event.listen(db.engine, "do_execute", do_execute)
    try:
        yield state
    finally:
        event.remove(db.engine, "do_execute", do_execute)


def deadlock_error() -> Exception:
    """What the driver raises when the database breaks a deadlock by aborting this side:
    psycopg's own error on PostgreSQL; on SQLite, which has no deadlock (one writer at a
    time), its driver's error carrying the same SQLSTATE, so pages and jobs meet the same."""
    if db.engine.dialect.name == "postgresql":
        from psycopg.errors import DeadlockDetected
        return DeadlockDetected("deadlock detected")
    error = sqlite3.OperationalError("deadlock detected")
    error.sqlstate = "40P01"
    return error


@contextmanager
def collision_at(matches: Callable[[str], bool], times: int = 1):
    """The first `times` statements for which `matches(statement)` is true are aborted as a
    deadlock's loser; {"collided": n} counts them."""
    state = {"collided": 0}

    def do_execute(_cursor, statement, _parameters, _context):
        if state["collided"] >= times or not matches(statement):
            return False
        state["collided"] += 1
        raise deadlock_error()

    event.listen(db.engine, "do_execute", do_execute)
    try:
        yield state
    finally:
        event.remove(db.engine, "do_execute", do_execute)
