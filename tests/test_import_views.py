"""The import pages: upload, preview, confirm and result through HTTP, limits, access, RQ."""
import io
import re

from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Company
from admin_app.services.settings import set_setting
from tests.import_helpers import csv_bytes, table_counts, xlsx_bytes

ROWS = [["Nimbus Labs", "hi@nimbus.example", "", "", "", "lead", "Lyon"],
        ["Broken", "nope", "", "", "", "", ""]]


def _upload(client, content: bytes, filename="companies.csv"):
    return client.post("/admin/import/", data={"file": (io.BytesIO(content), filename)},
                       content_type="multipart/form-data")


def _counts(html: str, attribute: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(rf'{attribute}="(\w+)" data-value="(\d+)"', html)}


def test_upload_preview_confirm_and_result(admin_client):
    response = _upload(admin_client, xlsx_bytes(ROWS))
    assert response.status_code == 302
    preview = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert _counts(preview, "data-preview-count") == {"create": 1, "update": 0, "skip": 0,
                                                      "error": 1}
    assert "“nope” is not a valid email address." in preview
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0
    action = re.search(r'<form method="post" action="([^"]+)"[^>]*data-confirm-import', preview)
    digest = re.search(r'name="digest" value="([^"]+)"', preview).group(1)
    done = admin_client.post(action.group(1), data={"digest": digest}, follow_redirects=True)
    html = done.get_data(as_text=True)
    assert _counts(html, "data-import") == {"created": 1, "updated": 0, "skipped": 0, "errors": 1}
    assert db.session.scalar(select(Company.name)) == "Nimbus Labs"
    # The preview's URL now leads to the result: the same file is not imported twice.
    again = admin_client.get(response.headers["Location"])
    assert again.status_code == 302 and "/admin/import/result/" in again.headers["Location"]


def test_the_mapping_page_changes_the_preview(admin_client):
    headers = ["Company", "Code", "Town"]
    response = _upload(admin_client, csv_bytes([["Acme", "X1", "Lyon"]], headers=headers))
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    page = admin_client.get(f"/admin/import/{token}/mapping/").get_data(as_text=True)
    assert 'name="column_1"' in page and "X1" in page
    admin_client.post(f"/admin/import/{token}/mapping/", data={
        "column_0": "name", "column_1": "legal_id", "column_2": "", "threshold": "95",
        "on_match": "skip"})
    preview = admin_client.get(f"/admin/import/{token}/").get_data(as_text=True)
    assert 'data-mapped-column="Code" data-field="legal_id"' in preview
    assert 'data-mapped-column="Town" data-field=""' in preview
    assert "a similarity score of 95 or more." in preview
    assert "A row that matches is skipped." in preview


def test_files_past_the_row_limit_are_refused_with_a_clear_message(admin_client):
    set_setting("import_max_rows", 3)
    db.session.commit()
    rows = [[f"Company {i}", "", "", "", "", "", ""] for i in range(4)]
    response = _upload(admin_client, csv_bytes(rows))
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "more than 3 rows" in html and "data-confirm-import" not in html


def test_files_past_the_size_limit_are_refused_with_a_clear_message(admin_client):
    set_setting("import_max_mb", 1)
    db.session.commit()
    big = csv_bytes([["x" * 1000, "", "", "", "", "", ""]] * 2200)
    response = _upload(admin_client, big)
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "larger than 1 MB" in page


def test_a_file_that_lies_about_its_type_is_refused(admin_client):
    response = _upload(admin_client, b"\x89PNG\r\n\x1a\n" + bytes(500), "companies.csv")
    page = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "not a CSV or XLSX spreadsheet" in page


def test_users_cannot_import_and_tokens_are_checked(admin_client, user_client, normal_user):
    assert user_client.get("/admin/import/").status_code == 403
    assert _upload(user_client, csv_bytes(ROWS)).status_code == 403
    for token in ("../../etc", "x" * 32, "0" * 32, "%00"):
        assert admin_client.get(f"/admin/import/{token}/").status_code == 404
    for import_id in ("abc", "-1", "99999999999999999999", "0"):
        assert admin_client.get(f"/admin/import/result/{import_id}/").status_code == 404


def test_the_confirm_form_needs_its_csrf_token(admin_client):
    response = _upload(admin_client, csv_bytes(ROWS))
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    before = table_counts()
    refused = admin_client.post(f"/admin/import/{token}/confirm/", data={"digest": "x"},
                                csrf=False)
    assert refused.status_code == 400
    assert table_counts() == before


def test_undo_through_the_page(admin_client):
    response = _upload(admin_client, csv_bytes(ROWS))
    preview = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    digest = re.search(r'name="digest" value="([^"]+)"', preview).group(1)
    token = response.headers["Location"].rstrip("/").split("/")[-1]
    result = admin_client.post(f"/admin/import/{token}/confirm/", data={"digest": digest})
    batch_url = result.headers["Location"]
    page = admin_client.get(batch_url + "undo/").get_data(as_text=True)
    assert "1 company it created will be deleted" in page
    done = admin_client.post(batch_url + "undo/", follow_redirects=True).get_data(as_text=True)
    assert "undone: 1 companies deleted" in done
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0


def test_the_sample_file_is_offered_and_imports(admin_client, app):
    from admin_app.services.demo import seed_demo
    seed_demo(companies=20, seed=3)
    db.session.commit()
    sample = admin_client.get("/admin/import/sample.csv")
    assert sample.mimetype == "text/csv" and sample.data.startswith(b"\xef\xbb\xbfRaz")
    response = _upload(admin_client, sample.data, "sample-import.csv")
    html = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    counts = _counts(html, "data-preview-count")
    assert sum(counts.values()) == 500
    assert counts["update"] == 20  # one near-duplicate of each demo company, up to 5%
    assert 5 <= counts["error"] <= 8 and counts["create"] > 450


def test_with_rq_the_import_runs_on_a_worker_and_the_page_follows_it(admin_client, app,
                                                                     redis_url):
    from rq import SimpleWorker

    from admin_app.services.jobs import queue
    app.config.update(RQ_REDIS_URL=redis_url, RQ_QUEUE=f"test-import-{id(app)}")
    try:
        q = queue()
        q.empty()
        response = _upload(admin_client, csv_bytes(ROWS))
        preview_url = response.headers["Location"]
        waiting = admin_client.get(preview_url).get_data(as_text=True)
        assert "data-import-progress" in waiting and len(q) == 1
        SimpleWorker([q], connection=q.connection).work(burst=True)
        preview = admin_client.get(preview_url).get_data(as_text=True)
        digest = re.search(r'name="digest" value="([^"]+)"', preview).group(1)
        token = preview_url.rstrip("/").split("/")[-1]
        result_url = admin_client.post(f"/admin/import/{token}/confirm/",
                                       data={"digest": digest}).headers["Location"]
        running = admin_client.get(result_url).get_data(as_text=True)
        assert 'data-import-status="running"' in running
        status = admin_client.get(result_url + "status/").get_json()
        assert status["finished"] is False and status["total"] == 2
        SimpleWorker([q], connection=q.connection).work(burst=True)
        db.session.expire_all()
        done = admin_client.get(result_url).get_data(as_text=True)
        assert _counts(done, "data-import") == {"created": 1, "updated": 0, "skipped": 0,
                                                "errors": 1}
        assert admin_client.get(result_url + "status/").get_json()["finished"] is True
    finally:
        app.config.update(RQ_REDIS_URL=None)
        q.delete(delete_jobs=True)


def test_the_import_pages_speak_spanish(admin_client):
    upload = admin_client.get("/admin/import/?lang=es").get_data(as_text=True)
    assert "Subir y previsualizar" in upload
    response = _upload(admin_client, csv_bytes(ROWS))
    preview = admin_client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Simulación: todavía no se ha escrito nada." in preview
    assert "«nope» no es una dirección de email válida." in preview


def test_the_data_quality_page_speaks_french(admin_client):
    page = admin_client.get("/admin/data-quality/?lang=fr").get_data(as_text=True)
    assert "Entreprises sans email" in page
