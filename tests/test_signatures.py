"""Signature requests: the email at a real SMTP server and its portal link, signing and
declining with the evidence, tokens that expire, are used once and cannot be guessed, the
signed copy's PAdES signature, the lock on signed documents, and the portal's rate limit."""
import hashlib
import io
import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import current_app
from flask_babel import refresh
from pypdf import PdfReader
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.keys import load_cert_from_pemder
from pyhanko_certvalidator import ValidationContext

from admin_app.extensions import db
from admin_app.models import Document, Exchange, SignatureRequest
from admin_app.services.signing import certificate_path
from admin_app.services.signatures import hash_token
from tests.document_support import (
    add_signer, pdf_bytes, png_bytes, portal_link_of, uploaded_document,
)
from tests.language_support import english_words

AGENT = "Mozilla/5.0 (Signer test browser)"


def _request(admin_client, document, contact):
    return admin_client.post(f"/admin/signatures/request/?doc={document.id}",
                             data={"contact": str(contact.id)})


@pytest.fixture
def sent(admin_client, make_company, smtp_server, admin_user):
    """A PDF on a card, sent for signature to Sam; (document, contact, portal path, message)."""
    company = make_company()
    company.account_manager_id = admin_user.id
    db.session.commit()
    contact = add_signer(company)
    document = uploaded_document(admin_client, company)
    response = _request(admin_client, document, contact)
    assert response.status_code == 302
    [message] = smtp_server.messages
    return document, contact, portal_link_of(message), message


def test_the_request_email_reaches_the_signer_with_a_portal_link(sent, client):
    document, contact, link, message = sent
    assert message.envelope_to == [contact.email]
    assert "contract.pdf" in message["Subject"]
    token = link.rsplit("/", 1)[1]
    row = db.session.query(SignatureRequest).one()
    assert row.token_hash == hash_token(token) and token not in row.token_hash
    assert document.signature_status == "pending"
    page = client.get(link)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "contract.pdf" in html
    assert 'name="signer_name"' in html and 'name="consent"' in html
    # Nothing of the back office: no link into /admin/ (only its static stylesheet).
    assert not re.search(r'(href|src|action)="/admin/(?!static/)', html)
    assert db.session.query(Exchange).filter_by(kind="email").count() == 1


def test_signing_records_the_evidence_and_makes_a_pades_signed_copy(sent, client, smtp_server,
                                                                    admin_user):
    document, contact, link, _message = sent
    response = client.post(f"{link}/sign/{_request_id()}",
                           data={"signer_name": "Samuel Signer", "consent": "y"},
                           headers={"User-Agent": AGENT},
                           environ_base={"REMOTE_ADDR": "203.0.113.9"})
    assert response.status_code == 200 and 'data-portal="done"' in response.get_data(as_text=True)
    db.session.expire_all()
    row = db.session.get(SignatureRequest, _request_id())
    evidence = json.loads(row.evidence)
    original = (Path(current_app.config["UPLOAD_DIR"]) / document.file).read_bytes()
    assert evidence["signer_name"] == "Samuel Signer"
    assert evidence["signer_email"] == contact.email
    assert evidence["ip"] == "203.0.113.9" and evidence["user_agent"] == AGENT
    assert evidence["document_sha256"] == hashlib.sha256(original).hexdigest()
    assert evidence["time_utc"].endswith("Z")
    document = db.session.get(Document, document.id)
    assert document.signature_status == "signed" and document.signed_at is not None
    # The original is unchanged beside the signed copy.
    assert hashlib.sha256(original).hexdigest() == document.sha256
    signed = (Path(current_app.config["UPLOAD_DIR"]) / row.signed_file).read_bytes()
    assert hashlib.sha256(signed).hexdigest() == row.signed_sha256
    # pyHanko's own validator, the self-signed certificate as the trust root.
    reader = PdfFileReader(io.BytesIO(signed))
    [signature] = reader.embedded_signatures
    trust = load_cert_from_pemder(str(certificate_path()))
    status = validate_pdf_signature(signature, ValidationContext(trust_roots=[trust]))
    assert status.bottom_line and status.intact and status.valid and status.trusted
    assert status.coverage.name == "ENTIRE_FILE"
    # The certificate page, last, carries the original's hash.
    pages = PdfReader(io.BytesIO(signed)).pages
    assert len(pages) == 2
    assert evidence["document_sha256"] in pages[-1].extract_text().replace("\n", "")
    # The account manager is told, through the outbox.
    notices = [m for m in smtp_server.messages if admin_user.email in m.envelope_to]
    assert notices and "Signed" in notices[0]["Subject"]


def _request_id() -> int:
    return db.session.query(SignatureRequest.id).scalar()


def test_a_used_link_answers_410_and_cannot_sign_twice(sent, client):
    _document, _contact, link, _message = sent
    client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam", "consent": "y"})
    assert client.get(link).status_code == 410
    again = client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam",
                                                             "consent": "y"})
    assert again.status_code == 410
    html = client.get(link).get_data(as_text=True)
    assert "contract.pdf" not in html and "Sam" not in html


def test_signing_needs_the_name_and_the_consent(sent, client):
    document, _contact, link, _message = sent
    page = client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam"},
                       follow_redirects=True)
    assert "Tick the box" in page.get_data(as_text=True)
    page = client.post(f"{link}/sign/{_request_id()}", data={"signer_name": " \u202e ",
                                                            "consent": "y"},
                       follow_redirects=True)
    assert "Type your full name" in page.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Document, document.id).signature_status == "pending"


def test_declining_keeps_the_reason_and_tells_the_account_manager(sent, client, smtp_server,
                                                                  admin_user):
    document, _contact, link, _message = sent
    response = client.post(f"{link}/decline/{_request_id()}",
                           data={"reason": "The price is wrong"}, headers={"User-Agent": AGENT})
    assert response.status_code == 200
    db.session.expire_all()
    row = db.session.get(SignatureRequest, _request_id())
    assert row.status == "declined" and row.decline_reason == "The price is wrong"
    assert json.loads(row.evidence)["user_agent"] == AGENT
    assert db.session.get(Document, document.id).signature_status == "declined"
    assert client.get(link).status_code == 410
    assert any("Declined" in m["Subject"] for m in smtp_server.messages
               if admin_user.email in m.envelope_to)


def test_an_expired_link_answers_410_and_the_card_says_expired(sent, client, admin_client):
    document, _contact, link, _message = sent
    row = db.session.get(SignatureRequest, _request_id())
    row.expires_at = row.expires_at - timedelta(days=400)
    db.session.commit()
    assert client.get(link).status_code == 410
    db.session.expire_all()
    assert db.session.get(Document, document.id).signature_status == "expired"
    html = admin_client.get(f"/admin/company/card/?id={document.company_id}").get_data(
        as_text=True)
    assert 'data-signature="expired"' in html


def test_tampered_and_unknown_tokens_answer_404(sent, client):
    _document, _contact, link, _message = sent
    token = link.rsplit("/", 1)[1]
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/portal/{tampered}").status_code == 404
    assert client.get("/portal/" + "x" * 500).status_code == 404
    assert client.get(f"/portal/{token}/file/999999").status_code == 404
    # The stored hash is not a key either.
    assert client.get(f"/portal/{hash_token(token)}").status_code == 404


def test_resending_rotates_the_token_and_cancelling_closes_it(sent, client, admin_client,
                                                              smtp_server):
    _document, _contact, link, _message = sent
    admin_client.post(f"/admin/signatures/resend/?req={_request_id()}")
    new_link = portal_link_of(smtp_server.messages[-1])
    assert new_link != link
    assert client.get(link).status_code == 404
    assert client.get(new_link).status_code == 200
    admin_client.post(f"/admin/signatures/cancel/?req={_request_id()}")
    assert client.get(new_link).status_code in (404, 410)
    db.session.expire_all()
    assert db.session.get(SignatureRequest, _request_id()).status == "cancelled"


def test_the_preview_may_be_framed_by_the_portal_only(sent, client):
    _document, _contact, link, _message = sent
    preview = client.get(f"{link}/file/{_request_id()}")
    assert preview.status_code == 200 and preview.mimetype == "application/pdf"
    assert "frame-ancestors 'self'" in preview.headers["Content-Security-Policy"]
    assert "inline" in preview.headers.get("Content-Disposition", "inline")
    download = client.get(f"{link}/file/{_request_id()}?download=1")
    assert "attachment" in download.headers["Content-Disposition"]
    page = client.get(link)
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["Referrer-Policy"] == "no-referrer"


# Names and files of the test data, which are nobody's translation.
_PORTAL_DATA = ("Sam", "Acme", "contract.pdf", "Contract")


def test_the_portal_speaks_the_signers_language(sent, client):
    _document, _contact, link, _message = sent
    refresh()  # the test's app context outlives requests: forget the locale chosen before
    html = client.get(link, headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Firmar" in html and 'lang="es"' in html
    assert not english_words(html, allowed=_PORTAL_DATA)
    refresh()
    html = client.get(f"{link}?lang=fr").get_data(as_text=True)
    assert "Signer" in html and 'lang="fr"' in html
    assert not english_words(html, allowed=_PORTAL_DATA)


def test_a_signed_document_cannot_be_removed_nor_its_company_deleted(sent, client,
                                                                     admin_client):
    document, _contact, link, _message = sent
    client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam", "consent": "y"})
    card_remove = admin_client.post(f"/admin/company/card/remove/?id={document.company_id}"
                                    f"&kind=document&row={document.id}", follow_redirects=True)
    assert "kept as evidence" in card_remove.get_data(as_text=True)
    admin_client.post("/admin/document/action/",
                      data={"action": "delete", "rowid": [str(document.id)]})
    admin_client.post("/admin/document/delete/", data={"id": str(document.id)})
    db.session.expire_all()
    assert db.session.get(Document, document.id) is not None
    assert Path(current_app.config["UPLOAD_DIR"], document.file).exists()


def test_a_merge_moves_signed_documents_and_deletes_none(sent, client, make_company):
    from admin_app.services.merge import merge_companies
    document, _contact, link, _message = sent
    client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam", "consent": "y"})
    kept = make_company(name="Acme Logistics Group")
    absorbed_id = document.company_id
    merge_companies(kept, db.session.get(type(kept), absorbed_id), user=None)
    db.session.commit()
    db.session.expire_all()
    moved = db.session.get(Document, document.id)
    assert moved is not None and moved.company_id == kept.id
    assert moved.signature_status == "signed"
    assert db.session.get(SignatureRequest, _request_id()).status == "signed"


def test_a_non_pdf_gets_a_signed_certificate_naming_its_hash(admin_client, make_company,
                                                             smtp_server, client):
    company = make_company()
    contact = add_signer(company)
    document = uploaded_document(admin_client, company, png_bytes(), "plan.png")
    _request(admin_client, document, contact)
    link = portal_link_of(smtp_server.messages[0])
    client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam", "consent": "y"})
    row = db.session.get(SignatureRequest, _request_id())
    signed = (Path(current_app.config["UPLOAD_DIR"]) / row.signed_file).read_bytes()
    text = PdfReader(io.BytesIO(signed)).pages[0].extract_text().replace("\n", "")
    assert document.sha256 in text
    [signature] = PdfFileReader(io.BytesIO(signed)).embedded_signatures
    trust = load_cert_from_pemder(str(certificate_path()))
    assert validate_pdf_signature(signature, ValidationContext(trust_roots=[trust])).bottom_line


def test_the_verify_page_recognises_the_original_and_the_signed_copy(sent, client,
                                                                     admin_client):
    document, _contact, link, _message = sent
    client.post(f"{link}/sign/{_request_id()}", data={"signer_name": "Sam", "consent": "y"})
    row = db.session.get(SignatureRequest, _request_id())
    folder = Path(current_app.config["UPLOAD_DIR"])
    for stored, label in ((document.file, "the original document"),
                          (row.signed_file, "the signed copy")):
        page = admin_client.post("/admin/signatures/verify/", data={
            "file": (io.BytesIO((folder / stored).read_bytes()), "x.pdf")},
            content_type="multipart/form-data").get_data(as_text=True)
        assert 'data-verify="match"' in page and label in page and "Sam" in page
    page = admin_client.post("/admin/signatures/verify/", data={
        "file": (io.BytesIO(pdf_bytes("another")), "x.pdf")},
        content_type="multipart/form-data").get_data(as_text=True)
    assert 'data-verify="no-match"' in page


def test_the_verify_page_is_for_admins(user_client):
    assert user_client.get("/admin/signatures/verify/").status_code == 403


def test_a_signer_must_be_a_contact_of_the_company(admin_client, make_company):
    company, other = make_company(), make_company(name="Other Co")
    stranger = add_signer(other, "x@other.example")
    document = uploaded_document(admin_client, company)
    page = _request(admin_client, document, stranger).get_data(as_text=True)
    assert "among the company&#39;s contacts" in page or "among the company's contacts" in page
    assert db.session.query(SignatureRequest).count() == 0


def test_the_portal_is_rate_limited_per_token_and_per_address(sent, client, app,
                                                              monkeypatch):
    _document, _contact, link, _message = sent
    monkeypatch.setitem(app.config, "PORTAL_RATE_LIMIT", 3)
    codes = [client.get(link).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other_address = client.get("/portal/unknown-token",
                               environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert other_address.status_code == 404  # another token from another address passes
    same_address = client.get("/portal/unknown-token")
    assert same_address.status_code == 429
