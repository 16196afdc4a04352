"""The app with STORAGE=s3 against a local S3-compatible server: documents uploaded on the card
and invoices' archived PDFs land in the bucket, download from it, and leave it on rollback;
`flask backup` refuses rather than write an archive without the files."""
import io
from datetime import date

import boto3
import pytest
from PIL import Image
from werkzeug.datastructures import FileStorage

from admin_app.errors import Refusal
from admin_app.extensions import db
from admin_app.models import Contact, Document, Invoice
from admin_app.services import snapshots
from admin_app.services.settings import forget_cached, get_setting
from admin_app.services.card_edit import discard_file, store_document
from admin_app.storage import S3Storage, build_storage, storage
from admin_app.unit_of_work import unit_of_work
from tests.document_support import pdf_bytes, upload
from tests.settings_support import SETTINGS_URL, post_section


@pytest.fixture
def bucket(app, monkeypatch, s3_endpoint, s3_bucket):
    """The app configured for the bucket as a deployment would be (its storage rebuilt from
    the configuration); the bucket's objects as {key: bytes}."""
    monkeypatch.setitem(app.config, "STORAGE", "s3")
    monkeypatch.setitem(app.config, "S3_BUCKET", s3_bucket)
    monkeypatch.setitem(app.config, "S3_ENDPOINT_URL", s3_endpoint)
    # setitem (not delitem): its undo also drops a storage built during the test, so the next
    # tests find the local one again.
    monkeypatch.setitem(app.extensions, "storage", build_storage(app.config))
    client = boto3.client("s3", endpoint_url=s3_endpoint)

    def objects() -> dict[str, bytes]:
        listed = client.list_objects_v2(Bucket=s3_bucket).get("Contents", [])
        return {item["Key"]: client.get_object(Bucket=s3_bucket, Key=item["Key"])["Body"].read()
                for item in listed}
    return objects


def test_a_card_document_is_stored_in_the_bucket_and_downloaded_from_it(app, bucket,
                                                                       admin_client,
                                                                       make_company):
    assert isinstance(storage(), S3Storage)
    company = make_company()
    content = pdf_bytes("Contract kept in the bucket")
    response = upload(admin_client, company.id, content, "contract.pdf", follow_redirects=True)
    assert "Document “contract.pdf” uploaded." in response.get_data(as_text=True)
    document = db.session.query(Document).one()
    assert bucket() == {document.file: content}
    download = admin_client.get(f"/admin/company/card/document/download/?doc={document.id}")
    assert download.status_code == 200 and download.data == content
    assert 'attachment; filename=contract.pdf' in download.headers["Content-Disposition"]
    assert download.mimetype == "application/pdf"


def test_a_missing_object_is_a_404_not_a_500(app, bucket, admin_client, make_company):
    company = make_company()
    upload(admin_client, company.id, pdf_bytes(), "gone.pdf")
    document = db.session.query(Document).one()
    storage().delete(document.file)
    missing = admin_client.get(f"/admin/company/card/document/download/?doc={document.id}")
    assert missing.status_code == 404


def test_an_issued_invoice_is_archived_in_the_bucket_and_served_from_it(app, bucket,
                                                                       admin_client,
                                                                       make_company,
                                                                       make_document):
    invoice = make_document("invoice", make_company("Bucket Trading SL"),
                            issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    response = admin_client.post("/admin/invoice/transition/",
                                 data={"id": invoice.id, "action": "issue"},
                                 follow_redirects=True)
    assert "Invoice issued with number" in response.get_data(as_text=True)
    row = snapshots.snapshot_row(db.session.get(Invoice, invoice.id))
    archived = bucket()[row.pdf_path]
    assert row.pdf_path.startswith("issued/") and archived.startswith(b"%PDF")
    pdf = admin_client.get(f"/admin/invoice/pdf/?id={invoice.id}")
    assert pdf.status_code == 200 and pdf.data == archived


def test_a_rolled_back_unit_of_work_removes_the_object_it_wrote(app, bucket, make_company,
                                                                admin_user):
    company = make_company()
    with unit_of_work(flash_errors=False) as work:
        document = store_document(company, admin_user,
                                  FileStorage(io.BytesIO(pdf_bytes()), "draft.pdf"))
        work.on_rollback(discard_file, document.file)
        assert set(bucket()) == {document.file}
        raise Refusal("refused after the file was written")
    assert not work.committed
    assert bucket() == {} and db.session.query(Document).count() == 0


def test_a_rolled_back_issue_removes_its_archived_pdf_from_the_bucket(app, bucket,
                                                                      make_company,
                                                                      make_document):
    from admin_app.services.sales import issue_invoice

    invoice = make_document("invoice", make_company())
    issue_invoice(invoice)
    assert [key for key in bucket() if key.startswith("issued/")]
    db.session.rollback()
    assert bucket() == {}


def test_a_shared_document_and_its_versions_leave_the_bucket_once_deleted(app, bucket,
                                                                         admin_client):
    admin_client.post("/admin/my-documents/upload/", content_type="multipart/form-data",
                      data={"title": "Terms", "file": (io.BytesIO(b"terms v1"), "terms.txt")})
    first = db.session.query(Document).one()
    admin_client.post("/admin/my-documents/replace/", content_type="multipart/form-data",
                      data={"id": first.id, "title": "",
                            "file": (io.BytesIO(b"terms v2"), "terms.txt")})
    assert sorted(bucket().values()) == [b"terms v1", b"terms v2"]
    current = db.session.query(Document).order_by(Document.id.desc()).first()
    download = admin_client.get(f"/admin/my-documents/download/?id={current.id}")
    assert download.data == b"terms v2"
    admin_client.post("/admin/my-documents/delete/", data={"id": current.id})
    assert db.session.query(Document).count() == 0 and bucket() == {}


def test_backup_and_restore_refuse_under_s3_and_write_nothing(app, bucket, tmp_path):
    target = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code != 0 and not target.exists()
    assert "covers the database and the local UPLOAD_DIR only" in result.output
    assert "uploaded files are in the bucket" in result.output
    target.write_bytes(b"not read")
    restored = app.test_cli_runner().invoke(args=["restore", str(target)])
    assert restored.exit_code != 0 and "`flask restore` covers" in restored.output


def _png(size=(600, 200)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 90, 160)).save(buffer, "PNG")
    buffer.seek(0)
    return buffer


def test_a_contact_photo_and_the_seller_logo_live_in_the_bucket(app, bucket, admin_client,
                                                               make_company, make_document):
    company = make_company()
    admin_client.post(f"/admin/company/card/contact/?id={company.id}",
                      content_type="multipart/form-data",
                      data={"first_name": "Ana", "last_name": "Garcia",
                            "email": "ana@example.com", "photo": (_png(), "me.png")})
    contact = db.session.query(Contact).one()
    photo = admin_client.get(f"/admin/company/card/photo/?contact={contact.id}")
    assert photo.status_code == 200 and photo.data == bucket()[contact.photo]
    assert Image.open(io.BytesIO(photo.data)).format == "JPEG"

    assert post_section(admin_client, "seller", content_type="multipart/form-data",
                        company_logo=(_png(), "logo.png")).status_code == 302
    forget_cached()
    logo_key = get_setting("company_logo")
    served = admin_client.get(f"{SETTINGS_URL}logo/")
    assert served.status_code == 200 and served.data == bucket()[logo_key]
    # A PDF draws the logo read from the bucket (a draft renders with the live settings).
    draft = make_document("invoice", company)
    assert b"/Subtype /Image" in admin_client.get(f"/admin/invoice/pdf/?id={draft.id}").data


def test_removing_a_file_from_a_bucket_that_refuses_does_not_fail_the_request(app, monkeypatch,
                                                                             s3_endpoint,
                                                                             caplog):
    monkeypatch.setitem(app.extensions, "storage",
                        S3Storage("no-such-bucket", endpoint_url=s3_endpoint))
    discard_file("documents/0123abcd")  # after a commit: an orphan beats an error page
    assert "Could not remove the stored file documents/0123abcd" in caplog.text
