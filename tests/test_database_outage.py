"""The database going away in the middle of a request: a clean 503 page with a way back, nothing
half-written, and the next request served again."""
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from admin_app.extensions import db
from admin_app.models import Address, AuditLog, Company
from admin_app.errors import Refusal
from admin_app.unit_of_work import retried, unit_of_work
from tests.db_faults import collision_at, database_drops_at, deadlock_error


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_save_cut_off_by_the_database_answers_503_and_writes_nothing(admin_client):
    audit_before = _count(AuditLog)
    form = {"name": "Half Written SA", "status": "lead",
            "addresses-0-label": "Head office", "addresses-0-line1": "1 Calle Mayor",
            "addresses-0-city": "Madrid", "addresses-0-country": "Spain"}
    with database_drops_at("INSERT INTO ADDRESSES") as drop:
        response = admin_client.post("/admin/company/new/", data=form,
                                     headers={"Referer": "http://localhost/admin/company/new/"})
    assert drop["dropped"], "the company form no longer inserts its addresses this way"
    assert response.status_code == 503
    assert response.headers["Retry-After"].isdigit()
    assert "Content-Security-Policy" in response.headers
    page = response.get_data(as_text=True)
    assert 'data-error="database-unavailable"' in page
    assert 'href="/admin/company/new/" data-action="back"' in page
    assert 'href="/admin/" data-action="home"' in page
    assert "saved whole or not at all" in page
    db.session.expire_all()
    assert _count(Company, Company.name == "Half Written SA") == 0
    assert _count(Address, Address.line1 == "1 Calle Mayor") == 0
    assert _count(AuditLog) == audit_before
    # The pool replaces the lost connection: the next request is served, and the save works.
    assert admin_client.get("/admin/company/").status_code == 200
    assert admin_client.post("/admin/company/new/", data=form).status_code == 302
    assert _count(Address, Address.line1 == "1 Calle Mayor") == 1


def test_a_page_whose_database_is_gone_offers_to_try_again(admin_client, make_company):
    make_company("Readable SA")
    with database_drops_at("SELECT"):
        response = admin_client.get("/admin/company/?search=Readable")
    assert response.status_code == 503
    page = response.get_data(as_text=True)
    assert 'href="/admin/company/?search=Readable" data-action="retry"' in page
    assert "saved whole" not in page
    assert "Readable SA" in admin_client.get("/admin/company/?search=Readable").get_data(
        as_text=True)


def _lost(*_args, **_kwargs):
    raise OperationalError("COMMIT", {}, Exception("server closed the connection unexpectedly"))


def test_an_outage_before_the_commit_undoes_the_files_and_reaches_the_error_page():
    undone = []
    with pytest.raises(OperationalError):
        with unit_of_work() as work:
            work.on_rollback(undone.append, "documents/new-file")
            _lost()
    assert undone == ["documents/new-file"] and not work.committed


def test_a_commit_cut_off_keeps_the_files_as_it_may_have_landed(monkeypatch):
    undone = []
    monkeypatch.setattr(db.session, "commit", _lost)
    with pytest.raises(OperationalError):
        with unit_of_work() as work:
            work.on_rollback(undone.append, "documents/new-file")
    assert undone == [] and not work.committed


def _collided(*_args, **_kwargs):
    raise OperationalError("UPDATE companies", {}, deadlock_error())


def test_a_change_that_collided_with_another_is_told_to_try_again_not_an_outage(app):
    undone = []
    with app.test_request_context("/"):
        with unit_of_work(flash_errors=False) as work:
            work.on_rollback(undone.append, "documents/new-file")
            _collided()
    assert work.conflict and not work.committed
    assert "at the same moment" in work.error and undone == ["documents/new-file"]


def test_a_commit_that_collided_is_rolled_back_and_marked_so(monkeypatch):
    monkeypatch.setattr(db.session, "commit", _collided)
    with unit_of_work(flash_errors=False) as work:
        pass
    assert work.conflict and not work.committed


def test_a_form_save_aborted_by_a_deadlock_shows_the_form_again_with_the_reason(admin_client):
    form = {"name": "Collided SA", "status": "lead", "addresses-0-label": "Head office",
            "addresses-0-line1": "2 Calle Mayor", "addresses-0-city": "Madrid",
            "addresses-0-country": "Spain"}
    with collision_at(lambda sql: sql.lstrip().upper().startswith("INSERT INTO ADDRESSES")) as hit:
        response = admin_client.post("/admin/company/new/", data=form)
    assert hit["collided"] == 1 and response.status_code == 200
    assert "at the same moment" in response.get_data(as_text=True)
    db.session.expire_all()
    assert _count(Company, Company.name == "Collided SA") == 0
    assert admin_client.post("/admin/company/new/", data=form).status_code == 302


def test_a_page_stopped_by_a_collision_says_so_and_offers_to_try_again(admin_client,
                                                                        make_company, caplog):
    """Outside a unit of work (here a read), a collision reaches the error page: 409 and what
    happened, not the 503 of a database that does not answer."""
    make_company("Collided Read SA")
    with collision_at(lambda sql: "FROM companies" in sql) as hit:
        response = admin_client.get("/admin/company/?search=Collided")
    assert hit["collided"] == 1 and response.status_code == 409
    assert "Retry-After" not in response.headers
    page = response.get_data(as_text=True)
    assert 'data-error="conflict"' in page and "Nothing of this request was saved" in page
    assert 'href="/admin/company/?search=Collided" data-action="retry"' in page
    assert "not answering" not in page
    assert any("collided" in r.getMessage() and r.levelname == "WARNING" for r in caplog.records)
    assert "Collided Read SA" in admin_client.get("/admin/company/?search=Collided").get_data(
        as_text=True)


def test_a_collision_page_reads_in_the_users_language(admin_client, make_company):
    make_company("Choque SA")
    admin_client.get("/admin/?lang=es")
    with collision_at(lambda sql: "FROM companies" in sql):
        page = admin_client.get("/admin/company/").get_data(as_text=True)
    assert 'lang="es"' in page and "Nada de esta petición se ha guardado" in page


def test_a_writer_no_one_can_retry_for_runs_again_after_colliding(app):
    attempts = []

    def step():
        attempts.append(len(attempts) + 1)
        db.session.add(Company(name=f"Retried SA {len(attempts)}"))
        db.session.flush()
        if len(attempts) < 3:
            _collided()
        return "done"
    result, work = retried(step)
    assert (result, work.committed, attempts) == ("done", True, [1, 2, 3])
    # The rolled-back attempts left nothing; the one that committed is there.
    names = set(db.session.scalars(select(Company.name).where(Company.name.like("Retried SA%"))))
    assert names == {"Retried SA 3"}


def test_a_writer_that_keeps_colliding_gives_up_and_says_so(app):
    attempts = []

    def step():
        attempts.append(1)
        _collided()
    result, work = retried(step, attempts=3)
    assert result is None and len(attempts) == 3
    assert work.conflict and not work.committed and "at the same moment" in work.error


def test_a_refused_writer_is_not_run_again(app):
    attempts = []

    def step():
        attempts.append(1)
        raise Refusal("No.")
    result, work = retried(step)
    assert result is None and attempts == [1] and not work.conflict and work.error == "No."
