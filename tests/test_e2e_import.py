"""In a real browser: import the demo's sample file, read its result, undo it; and follow an
import running on RQ until the page shows it done."""
import io

from rq import SimpleWorker
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Company, ImportBatch
from admin_app.services.demo import seed_demo
from admin_app.services.imports.preview import analyse
from admin_app.services.imports.runs import apply_import, receive_upload, start_import
from admin_app.services.imports.sample import sample_csv
from admin_app.services.jobs import enqueue, queue
from admin_app.unit_of_work import unit_of_work
from tests.conftest import browser_login
from tests.import_helpers import csv_bytes


def _count(page, key: str) -> int:
    return int(page.get_attribute(f"[data-import={key}]", "data-value"))


def test_admin_imports_the_sample_file_and_undoes_it(live_server, browser, admin_user,
                                                    tmp_path):
    seed_demo(companies=20, seed=5)
    db.session.commit()
    sample = tmp_path / "sample-import.csv"
    sample.write_bytes(sample_csv())
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/import/")
    page.set_input_files("input[name=file]", str(sample))
    page.click("[data-import-upload] button[type=submit]")
    page.wait_for_selector("[data-confirm-import]")
    assert page.locator("[data-mapped-column='Razón social']").get_attribute("data-field") == "name"
    planned = {fate: int(page.get_attribute(f"[data-preview-count={fate}]", "data-value"))
               for fate in ("create", "update", "skip", "error")}
    assert sum(planned.values()) == 500 and planned["update"] >= 15
    page.click("[data-preview-count=error]")
    page.wait_for_url(lambda url: "fate=error" in url)
    assert page.locator("[data-cell-error]").count() >= planned["error"]
    page.click("[data-confirm-import] button[type=submit]")
    page.wait_for_selector("[data-import=created]")
    assert (_count(page, "created"), _count(page, "updated"), _count(page, "skipped"),
            _count(page, "errors")) == (planned["create"], planned["update"], planned["skip"],
                                        planned["error"])
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Company)) == 20 + planned["create"]
    page.click("[data-action=undo-import]")
    page.click("form button.btn-danger")
    page.wait_for_selector("[data-import-status=undone]")
    assert "undone" in page.content()
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Company)) == 20


def test_the_progress_bar_follows_a_job_and_shows_the_result(live_server, browser, admin_user,
                                                             app, redis_url):
    workspace = receive_upload(io.BytesIO(csv_bytes([["Nimbus Labs", "", "", "", "", "", ""]])),
                               "one.csv", admin_user, 10**6)
    analyse(workspace.token)
    with unit_of_work(flash_errors=False):
        batch_id = start_import(workspace, workspace.read_state()["digest"], admin_user).id
    app.config.update(RQ_REDIS_URL=redis_url, RQ_QUEUE=f"test-e2e-import-{id(app)}")
    try:
        q = queue()
        enqueue(apply_import, batch_id)
        page = browser_login(browser, live_server, admin_user.email)
        page.goto(f"{live_server}/admin/import/result/{batch_id}/")
        assert page.locator("[data-import-progress] progress").is_visible()
        SimpleWorker([q], connection=q.connection).work(burst=True)
        page.wait_for_selector("[data-import-status=done]", timeout=15000)
        assert _count(page, "created") == 1
        assert db.session.get(ImportBatch, batch_id).status == "done"
    finally:
        app.config.update(RQ_REDIS_URL=None)
        q.delete(delete_jobs=True)
