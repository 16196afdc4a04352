"""Contacts with photos and documents uploaded from the card: validated, size-limited, stored
under random names outside static, downloadable only by logged-in users."""
import io
from pathlib import Path

from PIL import Image

from admin_app.extensions import db
from admin_app.models import Contact, Document
from admin_app.services.settings import set_setting
from tests.card_support import card_url


def _image(fmt="PNG", size=(1200, 800), color=(200, 30, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt)
    buffer.seek(0)
    return buffer


def _contact_form(**extra):
    return {"first_name": "Ana", "last_name": "Garcia", "email": "ana@example.com",
            "job_title": "CFO", **extra}


def test_contact_added_with_a_photo_gets_a_small_reencoded_jpeg(app, admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/contact/?id={company.id}",
                                 data=_contact_form(photo=(_image(), "me.png"),
                                                    is_billing_contact="y"),
                                 content_type="multipart/form-data")
    assert response.status_code == 302
    contact = db.session.query(Contact).one()
    assert contact.is_billing_contact and contact.photo.startswith("photos/")
    assert "me" not in contact.photo  # random name, never the user's
    stored = Path(app.config["UPLOAD_DIR"]) / contact.photo
    with Image.open(stored) as image:
        assert image.format == "JPEG" and max(image.size) <= 400
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert f"/admin/company/card/photo/?contact={contact.id}" in html
    assert "data-billing-contact" in html
    photo = admin_client.get(f"/admin/company/card/photo/?contact={contact.id}")
    assert photo.status_code == 200 and photo.mimetype == "image/jpeg"


def test_a_new_billing_contact_replaces_the_previous_one(admin_client, make_company):
    company = make_company()
    url = f"/admin/company/card/contact/?id={company.id}"
    admin_client.post(url, data=_contact_form(is_billing_contact="y"))
    admin_client.post(url, data=_contact_form(first_name="Luis", last_name="Ruiz",
                                              is_billing_contact="y"))
    db.session.expire_all()
    billing = [c.last_name for c in db.session.query(Contact) if c.is_billing_contact]
    assert billing == ["Ruiz"]


def test_a_file_that_is_not_an_image_is_refused_as_photo(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/contact/?id={company.id}",
                                 data=_contact_form(photo=(io.BytesIO(b"<svg onload=x>"),
                                                           "x.png")),
                                 content_type="multipart/form-data")
    assert response.status_code == 200
    assert "The photo is not a readable image." in response.get_data(as_text=True)
    assert db.session.query(Contact).count() == 0


def test_a_photo_over_the_size_limit_is_refused(app, admin_client, make_company, monkeypatch):
    company = make_company()
    monkeypatch.setitem(app.config, "MAX_PHOTO_BYTES", 1000)
    response = admin_client.post(f"/admin/company/card/contact/?id={company.id}",
                                 data=_contact_form(photo=(_image(fmt="BMP"), "big.bmp")),
                                 content_type="multipart/form-data")
    assert "The photo is larger than" in response.get_data(as_text=True)
    assert db.session.query(Contact).count() == 0


def test_contact_needs_a_last_name_and_a_valid_email(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/contact/?id={company.id}",
                                 data=_contact_form(last_name="", email="not-an-email"))
    html = response.get_data(as_text=True)
    assert "Enter the last name." in html and "Enter a valid email address" in html
    assert db.session.query(Contact).count() == 0


def test_document_upload_is_stored_under_a_random_name_and_downloadable(app, admin_client,
                                                                       make_company):
    company = make_company()
    content = b"%PDF-1.4 contract"
    response = admin_client.post(f"/admin/company/card/document/?id={company.id}",
                                 data={"title": "Signed contract",
                                       "file": (io.BytesIO(content), "../../contract.pdf")},
                                 content_type="multipart/form-data", follow_redirects=True)
    assert "Document “contract.pdf” uploaded." in response.get_data(as_text=True)
    document = db.session.query(Document).one()
    assert document.original_name == "contract.pdf" and document.size_bytes == len(content)
    assert document.file.startswith("documents/") and "contract" not in document.file
    upload_dir = Path(app.config["UPLOAD_DIR"]).resolve()
    stored = (upload_dir / document.file).resolve()
    assert stored.read_bytes() == content and upload_dir in stored.parents
    assert "static" not in str(stored)
    download = admin_client.get(f"/admin/company/card/document/download/?doc={document.id}")
    assert download.status_code == 200 and download.data == content
    assert "attachment" in download.headers["Content-Disposition"]
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert "Signed contract" in html


def test_documents_are_not_downloadable_without_a_login(client, make_company):
    company = make_company()
    document = Document(company_id=company.id, original_name="x.pdf", file="documents/abc")
    db.session.add(document)
    db.session.commit()
    response = client.get(f"/admin/company/card/document/download/?doc={document.id}")
    assert response.status_code == 302 and "/login" in response.location


def test_document_over_the_size_limit_is_refused_and_leaves_no_file(app, admin_client,
                                                                    make_company):
    company = make_company()
    set_setting("upload_limit_mb", 1)  # Settings > Documents
    db.session.commit()
    before = set(Path(app.config["UPLOAD_DIR"]).rglob("*"))
    response = admin_client.post(f"/admin/company/card/document/?id={company.id}",
                                 data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 1)), "big.bin")},
                                 content_type="multipart/form-data")
    assert "The file is larger than 1 MB" in response.get_data(as_text=True)
    assert db.session.query(Document).count() == 0
    assert set(Path(app.config["UPLOAD_DIR"]).rglob("*")) == before


def test_upload_without_a_file_says_so(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/document/?id={company.id}",
                                 data={"title": "Nothing"}, content_type="multipart/form-data")
    assert "Choose a file to upload." in response.get_data(as_text=True)
