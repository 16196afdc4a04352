"""Background work: inline without RQ_REDIS_URL, on a real RQ worker with it."""
from rq import SimpleWorker

from admin_app.extensions import db
from admin_app.services.jobs import background_enabled, enqueue, queue
from admin_app.services.settings import get_setting, set_setting
from admin_app.unit_of_work import unit_of_work


def remember_rows(rows: int) -> None:
    """A job: writes a setting through the unit of work, as an import's batches do."""
    with unit_of_work(flash_errors=False):
        set_setting("import_max_rows", rows)


def test_without_rq_the_work_runs_at_once(app):
    assert not background_enabled()
    assert enqueue(remember_rows, 1234) is None
    db.session.expire_all()
    assert get_setting("import_max_rows") == 1234


def test_with_rq_the_work_waits_for_a_worker(app, redis_url):
    app.config.update(RQ_REDIS_URL=redis_url, RQ_QUEUE=f"test-jobs-{id(app)}")
    try:
        q = queue()
        job_id = enqueue(remember_rows, 4321)
        assert job_id and q.job_ids == [job_id]
        assert get_setting("import_max_rows") == 50000
        SimpleWorker([q], connection=q.connection).work(burst=True)
        db.session.expire_all()
        assert get_setting("import_max_rows") == 4321
        assert q.fetch_job(job_id).get_status() == "finished"
    finally:
        app.config.update(RQ_REDIS_URL=None)
        q.delete(delete_jobs=True)
