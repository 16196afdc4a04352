"""The back office around signatures: the card's status without anyone opening the link, the
documents list refusing to move a signed document, and the signing-certificate command."""
from datetime import timedelta

from cryptography import x509
from cryptography.hazmat.primitives.serialization import BestAvailableEncryption, pkcs12

from admin_app.extensions import db
from admin_app.models import Document, SignatureRequest
from admin_app.services import signing
from tests.document_support import add_signer, uploaded_document


def _pending(admin_client, make_company, smtp_server):
    company = make_company()
    contact = add_signer(company)
    document = uploaded_document(admin_client, company)
    admin_client.post(f"/admin/signatures/request/?doc={document.id}",
                      data={"contact": str(contact.id)})
    return company, document


def test_the_card_shows_a_request_past_its_expiry_as_expired(admin_client, make_company,
                                                             smtp_server):
    company, document = _pending(admin_client, make_company, smtp_server)
    html = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert 'data-signature="pending"' in html and "Re-send" in html
    row = db.session.query(SignatureRequest).one()
    row.expires_at -= timedelta(days=365)
    db.session.commit()
    html = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert 'data-signature="expired"' in html and 'data-action="request-signature"' in html


def test_a_document_out_for_signature_cannot_be_moved_to_another_company(
        admin_client, make_company, smtp_server):
    _company, document = _pending(admin_client, make_company, smtp_server)
    other = make_company(name="Other Co")
    page = admin_client.post(f"/admin/document/edit/?id={document.id}",
                             data={"title": "Moved", "company": str(other.id)},
                             follow_redirects=True).get_data(as_text=True)
    assert "cannot be moved or replaced" in page
    db.session.expire_all()
    assert db.session.get(Document, document.id).company_id == _company.id


def test_a_second_request_while_one_is_pending_is_refused(admin_client, make_company,
                                                          smtp_server):
    company, document = _pending(admin_client, make_company, smtp_server)
    contact = company.contacts[0]
    page = admin_client.post(f"/admin/signatures/request/?doc={document.id}",
                             data={"contact": str(contact.id)}).get_data(as_text=True)
    assert "already pending" in page
    assert db.session.query(SignatureRequest).count() == 1


def test_signing_cert_creates_a_self_signed_certificate_then_keeps_it(app, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path / "signing"))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["signing-cert", "--name", "Acme Signing"])
    assert first.exit_code == 0 and "CN=Acme Signing" in first.output
    assert oct((tmp_path / "signing" / signing.KEY_FILE).stat().st_mode & 0o777) == "0o600"
    before = signing.certificate_path().read_bytes()
    again = runner.invoke(args=["signing-cert"])
    assert "exists" in again.output and signing.certificate_path().read_bytes() == before


def test_signing_cert_imports_a_pkcs12_file(app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path / "made"))
    certificate = signing.create_certificate("Imported Org")
    from cryptography.hazmat.primitives.serialization import load_pem_private_key
    key = load_pem_private_key((tmp_path / "made" / signing.KEY_FILE).read_bytes(), None)
    bundle = tmp_path / "org.p12"
    bundle.write_bytes(pkcs12.serialize_key_and_certificates(
        b"org", key, certificate, None, BestAvailableEncryption(b"secret")))
    monkeypatch.setitem(app.config, "SIGNING_DIR", str(tmp_path / "imported"))
    result = app.test_cli_runner().invoke(args=["signing-cert", "--import", str(bundle),
                                                "--password", "secret"])
    assert result.exit_code == 0, result.output
    stored = x509.load_pem_x509_certificate(signing.certificate_path().read_bytes())
    assert stored == certificate
    wrong = app.test_cli_runner().invoke(args=["signing-cert", "--import", str(bundle),
                                               "--password", "nope"])
    assert wrong.exit_code != 0 and "Cannot read" in wrong.output


def test_a_declined_document_can_be_removed_with_its_requests(admin_client, make_company,
                                                              smtp_server, client):
    from tests.document_support import portal_link_of
    company, document = _pending(admin_client, make_company, smtp_server)
    link = portal_link_of(smtp_server.messages[0])
    request_id = db.session.query(SignatureRequest.id).scalar()
    client.post(f"{link}/decline/{request_id}", data={"reason": "No"})
    response = admin_client.post(f"/admin/company/card/remove/?id={company.id}&kind=document"
                                 f"&row={document.id}", follow_redirects=True)
    assert "Removed" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.query(Document).count() == 0
    assert db.session.query(SignatureRequest).count() == 0


def test_a_company_with_a_document_out_for_signature_is_not_deleted(admin_client, make_company,
                                                                   smtp_server):
    from admin_app.errors import Refusal
    from admin_app.services.companies import delete_company
    company, _document = _pending(admin_client, make_company, smtp_server)
    try:
        delete_company(company)
    except Refusal as refusal:
        assert "signed document" in str(refusal)
    else:
        raise AssertionError("the company was deleted")
