"""Two imports running at once, whose companies bring the same new words to the search index
in opposite orders: each waits for the other's words (PostgreSQL's unique index on
search_tokens), the database breaks the deadlock by refusing one batch, and the import retries
that batch row by row. Both finish with every row imported and findable."""
import threading
import time

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from admin_app.extensions import db
from admin_app.models import Company, ImportBatch
from admin_app.services.imports.runs import apply_import, start_import
from admin_app.services.search import search_companies
from admin_app.unit_of_work import unit_of_work
from tests.import_helpers import csv_bytes, preview

ROWS = 300


def _started(rows, user) -> int:
    workspace, state = preview(csv_bytes(rows), user)
    with unit_of_work(flash_errors=False) as work:
        batch = start_import(workspace, state["digest"], user)
    assert work.committed, work.error
    return batch.id


def _applying(app, batch_id: int, failures: list) -> threading.Thread:
    """The import applied in a thread of its own, with its own session, as a worker would."""
    def run() -> None:
        try:
            with app.app_context():
                apply_import(batch_id)
                db.session.remove()
        except Exception as exc:  # pragma: no cover - reported by the test
            failures.append(exc)
    thread = threading.Thread(target=run)
    thread.start()
    return thread


def test_two_imports_adding_the_same_new_words_both_finish(app, admin_user):
    forward = [[f"Vorlix{n} Quendra{n} Norte", "", "", "", "", "", "Vigo"] for n in range(ROWS)]
    backward = [[f"Vorlix{n} Quendra{n} Sur", "", "", "", "", "", "Lugo"]
                for n in reversed(range(ROWS))]
    batches = [_started(forward, admin_user), _started(backward, admin_user)]
    failures = []
    threads = [_applying(app, batch_id, failures) for batch_id in batches]
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads) and not failures, failures
    db.session.expire_all()
    for batch_id in batches:
        batch = db.session.get(ImportBatch, batch_id)
        assert (batch.status, batch.created_count, batch.error_count) == ("done", ROWS, 0), \
            batch.message
    assert db.session.scalar(select(func.count()).select_from(Company)) == 2 * ROWS
    assert {c.name for c in search_companies("vorlix150")} == {
        "Vorlix150 Quendra150 Norte", "Vorlix150 Quendra150 Sur"}
    assert len(search_companies("quendra299")) == 2


def _waiting_on_a_lock() -> int:
    with db.engine.connect() as conn:
        return conn.scalar(text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = "
                                "'Lock' AND datname = current_database()"))


def test_an_import_aborted_by_a_deadlock_runs_its_batch_again(app, admin_user, is_postgres):
    """The collision forced, step by step: another writer holds the import's last new word
    while the import holds its first; the database aborts one of the two."""
    if not is_postgres:
        pytest.skip("SQLite lets one writer at a time in: two writers never deadlock")
    rows = [[f"Vorlix{n} Quendra{n} Norte", "", "", "", "", "", "Vigo"] for n in range(ROWS)]
    batch_id = _started(rows, admin_user)
    with db.engine.connect() as conn:
        other = Session(bind=conn)
        other.add(Company(name=f"Vorlix{ROWS - 1} Otra"))
        other.flush()  # holds the new word the import reaches last, uncommitted
        failures = []
        thread = _applying(app, batch_id, failures)
        deadline = time.monotonic() + 60
        while not _waiting_on_a_lock():  # the import has its first words and waits for ours
            assert time.monotonic() < deadline and thread.is_alive(), "the import never waited"
            time.sleep(0.05)
        try:
            other.add(Company(name="Vorlix0 Otra"))
            other.flush()  # waits for the import's first word: a deadlock
        except OperationalError:
            pass  # the database chose to abort this side: the import goes on alone
        other.rollback()
        other.close()
    thread.join(timeout=120)
    assert not thread.is_alive() and not failures, failures
    db.session.expire_all()
    batch = db.session.get(ImportBatch, batch_id)
    assert (batch.status, batch.created_count, batch.error_count) == ("done", ROWS, 0), \
        batch.message
    assert db.session.scalar(select(func.count()).select_from(Company)) == ROWS
