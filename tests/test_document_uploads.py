"""Uploads that can be trusted: the bytes decide the type, names lose control and bidi
characters, an oversized body gets the app's 413 page, and no file outlives its row."""
import io
from pathlib import Path

from werkzeug.datastructures import FileStorage

from admin_app.errors import Refusal
from admin_app.extensions import db
from admin_app.models import Document
from admin_app.services.card_edit import discard_file, store_document
from admin_app.services.settings import set_setting
from admin_app.services.uploads import UploadRefused, clean_name
from admin_app.unit_of_work import unit_of_work
from tests.document_support import HTML_PAGE, pdf_bytes, png_bytes, upload


def _files(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_DIR"]).rglob("*") if p.is_file()}


def test_an_html_page_renamed_pdf_is_refused_with_what_it_really_is(app, admin_client,
                                                                   make_company):
    company = make_company()
    before = _files(app)
    response = upload(admin_client, company.id, HTML_PAGE, "invoice.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "is not a PDF file: its content is an HTML or XML page" in html
    assert db.session.query(Document).count() == 0 and _files(app) == before


def test_a_png_named_pdf_is_refused_naming_the_png(admin_client, make_company):
    company = make_company()
    html = upload(admin_client, company.id, png_bytes(), "scan.pdf").get_data(as_text=True)
    assert "its content is a PNG file (image/png)" in html
    assert db.session.query(Document).count() == 0


def test_a_real_pdf_is_accepted_with_its_sniffed_type(admin_client, make_company):
    company = make_company()
    response = upload(admin_client, company.id, pdf_bytes(), "contract.pdf",
                      follow_redirects=True)
    assert "Document “contract.pdf” uploaded." in response.get_data(as_text=True)
    document = db.session.query(Document).one()
    assert document.content_type == "application/pdf"


def test_plain_text_is_accepted_but_a_type_left_out_of_the_settings_is_not(admin_client,
                                                                          make_company):
    company = make_company()
    upload(admin_client, company.id, "name;city\nAcme;Madrid\n".encode(), "list.csv")
    assert db.session.query(Document).one().content_type == "text/csv"
    set_setting("allowed_file_types", "pdf")
    db.session.commit()
    html = upload(admin_client, company.id, png_bytes(), "logo.png").get_data(as_text=True)
    assert "Files of type “.png” are not accepted; allowed: pdf" in html
    assert db.session.query(Document).count() == 1


def test_a_body_above_the_server_limit_gets_the_app_413_page_with_a_way_back(
        app, admin_client, make_company, monkeypatch):
    company = make_company()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 200_000)
    response = upload(admin_client, company.id, b"%PDF-1.4 " + b"x" * 300_000, "big.pdf")
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert 'data-error="too-large"' in html and "Request Entity Too Large" not in html
    assert f'href="/admin/company/card/?id={company.id}#documents"' in html
    assert db.session.query(Document).count() == 0


def test_hostile_names_lose_control_and_bidi_characters():
    assert clean_name("invoice\u202efdp.exe") == "invoicefdp.exe"
    assert clean_name("../../etc/\x00pass\x1bwd.pdf") == "passwd.pdf"
    assert clean_name("C:\\Users\\x\\re\u2066port\u2069.pdf") == "report.pdf"
    long = clean_name("a" * 300 + ".pdf")
    assert len(long) == 255 and long.endswith(".pdf")
    assert clean_name("\u200b\u202e") == ""


def test_a_hostile_name_is_stored_clean(admin_client, make_company):
    company = make_company()
    upload(admin_client, company.id, pdf_bytes(), "con\u202etract\x00.pdf")
    assert db.session.query(Document).one().original_name == "contract.pdf"


def test_a_refused_row_writes_no_file(app, make_company):
    company = make_company()
    before = _files(app)
    with unit_of_work(flash_errors=False) as work:
        store_document(company, None, FileStorage(io.BytesIO(HTML_PAGE), "x.pdf"))
    assert not work.committed and isinstance(work.error, str)
    assert _files(app) == before


def test_a_transaction_that_fails_after_the_upload_removes_its_file(app, make_company):
    company = make_company()
    before = _files(app)
    with unit_of_work(flash_errors=False) as work:
        document = store_document(company, None, FileStorage(io.BytesIO(pdf_bytes()), "a.pdf"))
        work.on_rollback(discard_file, document.file)
        assert (Path(app.config["UPLOAD_DIR"]) / document.file).exists()
        raise Refusal("a later step refused")
    assert not work.committed
    assert db.session.query(Document).count() == 0 and _files(app) == before


def test_a_name_the_database_refuses_leaves_no_orphan_file(app, make_company, monkeypatch):
    company = make_company()
    before = _files(app)
    # A title longer than the column: PostgreSQL refuses it at the flush, SQLite would not, so
    # the over-long value is forced past the service's own trimming.
    monkeypatch.setattr("admin_app.services.card_edit.clean_name", lambda raw: "x" * 400 + ".pdf")
    with unit_of_work(flash_errors=False) as work:
        document = store_document(company, None, FileStorage(io.BytesIO(pdf_bytes()), "a.pdf"))
        work.on_rollback(discard_file, document.file)
        raise UploadRefused("the check after the row refused")
    assert _files(app) == before
