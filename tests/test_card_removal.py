"""Removing an address, a contact or a document from the card: confirmed, explained, audited."""
from admin_app.extensions import db
from admin_app.models import Address, AuditLog, Contact, Document, Exchange
from admin_app.models.base import utcnow


def _remove_url(company, kind, row):
    return f"/admin/company/card/remove/?id={company.id}&kind={kind}&row={row.id}"


def test_removing_the_main_address_asks_first_then_promotes_the_next(admin_client, make_company):
    company = make_company("Two Sites")
    main = Address(company=company, label="Head office", line1="1 Main St", is_main=True,
                   is_billing_default=True)
    other = Address(company=company, label="Warehouse", line1="2 Dock Rd")
    db.session.add_all([main, other])
    db.session.commit()
    page = admin_client.get(_remove_url(company, "address", main)).get_data(as_text=True)
    assert "“Warehouse” becomes the main address." in page
    assert "the default for invoices" in page
    assert db.session.get(Address, main.id) is not None  # GET changes nothing
    response = admin_client.post(_remove_url(company, "address", main))
    assert response.status_code == 302 and response.location.endswith("#addresses")
    db.session.expire_all()
    assert db.session.get(Address, main.id) is None
    assert db.session.get(Address, other.id).is_main is True
    entry = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "delete")).one()
    assert entry.entity_type == "Address" and entry.changes["line1"] == "1 Main St"


def test_removing_a_contact_keeps_its_exchanges(admin_client, make_company):
    company = make_company("Contacts Co")
    contact = Contact(company=company, first_name="Ana", last_name="Ruiz", is_billing_contact=True)
    db.session.add(contact)
    db.session.flush()
    db.session.add(Exchange(company=company, contact=contact, kind="call", title="Hello",
                            occurred_at=utcnow()))
    db.session.commit()
    page = admin_client.get(_remove_url(company, "contact", contact)).get_data(as_text=True)
    assert "Its 1 exchange stays in the history" in page and "billing contact" in page
    admin_client.post(_remove_url(company, "contact", contact))
    db.session.expire_all()
    assert db.session.get(Contact, contact.id) is None
    assert db.session.scalars(db.select(Exchange)).one().contact_id is None


def test_a_signed_document_cannot_be_removed(admin_client, make_company, app):
    company = make_company("Signed Co")
    document = Document(company=company, original_name="contract.pdf", file="signedfile1",
                        signature_status="signed")
    db.session.add(document)
    db.session.commit()
    page = admin_client.get(_remove_url(company, "document", document)).get_data(as_text=True)
    assert "cannot be removed" in page and "kept as evidence" in page
    admin_client.post(_remove_url(company, "document", document))
    assert db.session.get(Document, document.id) is not None
    listing = admin_client.post("/admin/document/delete/", data={"id": document.id},
                                follow_redirects=True).get_data(as_text=True)
    assert "kept as evidence" in listing and db.session.get(Document, document.id) is not None


def test_removing_a_document_deletes_its_file(admin_client, make_company, app):
    from pathlib import Path
    company = make_company("Files Co")
    stored = Path(app.config["UPLOAD_DIR"]) / "removable-file"
    stored.write_bytes(b"hello")
    document = Document(company=company, original_name="notes.txt", file="removable-file")
    db.session.add(document)
    db.session.commit()
    admin_client.post(_remove_url(company, "document", document))
    assert db.session.get(Document, document.id) is None and not stored.exists()


def test_a_row_of_another_company_or_a_post_without_token_is_refused(admin_client, make_company):
    mine, theirs = make_company("Mine"), make_company("Theirs")
    address = Address(company=theirs, line1="3 Other St", is_main=True)
    db.session.add(address)
    db.session.commit()
    assert admin_client.post(_remove_url(mine, "address", address)).status_code == 404
    assert admin_client.post(_remove_url(theirs, "address", address), csrf=False).status_code == 400
    assert db.session.get(Address, address.id) is not None


def test_edit_pages_offer_the_removal(admin_client, make_company):
    company = make_company("Offer Co")
    address = Address(company=company, line1="1 A St", is_main=True)
    db.session.add(address)
    db.session.commit()
    page = admin_client.get(f"/admin/company/card/address/?id={company.id}&address={address.id}")
    assert _remove_url(company, "address", address).replace("&", "&amp;") in page.get_data(
        as_text=True)


def test_removing_the_only_address_says_so_simply(admin_client, make_company):
    company = make_company("One Site")
    only = Address(company=company, line1="1 Only St", is_main=True, is_billing_default=True)
    db.session.add(only)
    db.session.commit()
    page = admin_client.get(_remove_url(company, "address", only)).get_data(as_text=True)
    assert "The company will have no address." in page and "default for invoices" not in page
