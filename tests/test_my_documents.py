"""Configuration > My documents: shared documents (no company) uploaded, listed, replaced by a new
version (an older one that an email carried stays readable), deleted unless kept as evidence."""
from datetime import datetime
from io import BytesIO
from pathlib import Path

import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import AuditLog, Document, Exchange


def _upload(client, content: bytes, name="terms.txt", title="Terms"):
    return client.post("/admin/my-documents/upload/", data={
        "title": title, "file": (BytesIO(content), name)}, content_type="multipart/form-data")


def _replace(client, document, content: bytes, name="terms-v2.txt"):
    return client.post("/admin/my-documents/replace/", data={
        "id": document.id, "title": "", "file": (BytesIO(content), name)},
        content_type="multipart/form-data")


def _stored(app, document) -> Path:
    return Path(app.config["UPLOAD_DIR"]) / document.file


@pytest.fixture
def terms(admin_client):
    assert _upload(admin_client, b"version one").status_code == 302
    return db.session.scalar(select(Document))


def test_upload_stores_a_document_of_no_company(app, admin_client, admin_user, terms):
    assert terms.company_id is None and terms.version == 1 and terms.title == "Terms"
    assert terms.uploaded_by_id == admin_user.id and terms.size_bytes == len(b"version one")
    assert _stored(app, terms).read_bytes() == b"version one"
    html = admin_client.get("/admin/my-documents/").get_data(as_text=True)
    assert 'data-document="Terms"' in html and "terms.txt" in html
    download = admin_client.get(f"/admin/my-documents/download/?id={terms.id}")
    assert download.data == b"version one" and "terms.txt" in download.headers[
        "Content-Disposition"]


def test_upload_without_a_file_or_empty_is_refused(admin_client):
    html = admin_client.post("/admin/my-documents/upload/", data={"title": "x"},
                             follow_redirects=True).get_data(as_text=True)
    assert "Choose a file" in html
    html = _upload(admin_client, b"").get_data(as_text=True)
    assert db.session.scalar(select(Document)) is None


def test_replace_adds_a_version_and_keeps_the_old_one_readable(app, admin_client, terms):
    assert _replace(admin_client, terms, b"version two").status_code == 302
    db.session.expire_all()
    current = db.session.scalar(select(Document).where(Document.previous_version_id == terms.id))
    assert current.version == 2 and current.title == "Terms" and current.company_id is None
    assert current.original_name == "terms-v2.txt"
    assert admin_client.get(f"/admin/my-documents/download/?id={terms.id}").data == \
        b"version one"
    html = admin_client.get("/admin/my-documents/").get_data(as_text=True)
    assert html.count('data-document="Terms"') == 1  # one document, two versions
    assert 'data-older-version="1"' in html and 'data-version="2"' in html
    # Only the current version is replaced.
    html = _replace(admin_client, terms, b"three").get_data(as_text=True)
    assert db.session.query(Document).count() == 2


def test_an_older_version_an_email_carried_stays(app, admin_client, terms, make_company):
    email = Exchange(company=make_company(), kind="email", title="Our terms", body="Attached",
                     occurred_at=datetime(2026, 2, 1, 9, 0), email_status="sent")
    email.attachments.append(terms)
    db.session.add(email)
    db.session.commit()
    _replace(admin_client, terms, b"version two")
    db.session.expire_all()
    current = db.session.scalar(select(Document).where(Document.version == 2))
    # The email still carries version 1, which stays readable on the page.
    assert [d.id for d in db.session.get(Exchange, email.id).attachments] == [terms.id]
    html = admin_client.get("/admin/my-documents/").get_data(as_text=True)
    assert "kept: sent by email" in html
    assert admin_client.get(f"/admin/my-documents/download/?id={terms.id}").data == \
        b"version one"
    # Neither the version nor the whole document may go.
    for data in ({"id": terms.id, "version": "1"}, {"id": current.id}):
        html = admin_client.post("/admin/my-documents/delete/", data=data,
                                 follow_redirects=True).get_data(as_text=True)
        assert "recorded email" in html
    db.session.expire_all()
    assert db.session.query(Document).count() == 2
    assert _stored(app, terms).exists()


def test_delete_removes_every_version_and_their_files(app, admin_client, terms):
    _replace(admin_client, terms, b"version two")
    db.session.expire_all()
    versions = db.session.scalars(select(Document)).all()
    files = [_stored(app, d) for d in versions]
    current = next(d for d in versions if d.version == 2)
    response = admin_client.post("/admin/my-documents/delete/", data={"id": current.id})
    assert response.status_code == 302
    assert db.session.query(Document).count() == 0
    assert not any(f.exists() for f in files)
    assert db.session.query(AuditLog).filter(AuditLog.action == "delete").count() == 2


def test_deleting_an_older_version_keeps_the_history_linked(admin_client, terms):
    _replace(admin_client, terms, b"two")
    second = db.session.scalar(select(Document).where(Document.version == 2))
    _replace(admin_client, second, b"three")
    db.session.expire_all()
    third = db.session.scalar(select(Document).where(Document.version == 3))
    admin_client.post("/admin/my-documents/delete/", data={"id": second.id, "version": "1"})
    db.session.expire_all()
    assert db.session.get(Document, second.id) is None
    assert db.session.get(Document, third.id).previous_version_id == terms.id
    # The current version is not deleted as a "version".
    html = admin_client.post("/admin/my-documents/delete/", data={"id": third.id, "version": "1"},
                             follow_redirects=True).get_data(as_text=True)
    assert "current version" in html and db.session.get(Document, third.id) is not None


def test_a_company_document_is_not_a_shared_one(admin_client, make_company):
    document = Document(company=make_company(), title="Card file", original_name="c.txt",
                        file="documents/c", size_bytes=1)
    db.session.add(document)
    db.session.commit()
    for response in (admin_client.get(f"/admin/my-documents/download/?id={document.id}"),
                     admin_client.post("/admin/my-documents/delete/", data={"id": document.id}),
                     _replace(admin_client, document, b"x")):
        assert response.status_code == 404
    assert 'data-document="Card file"' not in admin_client.get(
        "/admin/my-documents/").get_data(as_text=True)


def test_documents_list_create_leads_to_my_documents(admin_client, user_client):
    response = admin_client.get("/admin/document/new/")
    assert response.status_code == 302 and "/admin/my-documents/" in response.location
    assert "/admin/document/new/" in admin_client.get("/admin/document/").get_data(as_text=True)
    # Users see the list, not the create button, and cannot reach the page.
    assert "/admin/document/new/" not in user_client.get("/admin/document/").get_data(
        as_text=True)
    assert user_client.get("/admin/document/new/").status_code == 403
    assert user_client.get("/admin/my-documents/").status_code == 403


def test_menu_lists_templates_and_my_documents_for_admins(admin_client, user_client):
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "/admin/templates/" in html and "/admin/my-documents/" in html
    html = user_client.get("/admin/").get_data(as_text=True)
    assert "/admin/templates/" not in html and "/admin/my-documents/" not in html


def test_deleting_a_version_from_the_documents_list_keeps_the_history(admin_client, terms):
    _replace(admin_client, terms, b"two")
    second = db.session.scalar(select(Document).where(Document.version == 2))
    _replace(admin_client, second, b"three")
    third = db.session.scalar(select(Document).where(Document.version == 3))
    response = admin_client.post("/admin/document/action/", data={
        "action": "delete", "rowid": [str(second.id)]}, follow_redirects=True)
    assert "successfully deleted" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Document, third.id).previous_version_id == terms.id
    # Deleting the current version makes the previous one current again.
    admin_client.post("/admin/document/action/", data={"action": "delete",
                                                      "rowid": [str(third.id)]})
    html = admin_client.get("/admin/my-documents/").get_data(as_text=True)
    assert 'data-document="Terms"' in html and 'data-version="1"' in html
