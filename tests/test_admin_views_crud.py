"""List, create, edit and delete on every non-sales view, happy paths and refusals."""
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import (
    Address, CommentTemplate, Contact, CustomFieldDefinition, Document, EmailTemplate, Exchange,
    User,
)
from admin_app.models.base import utcnow
from admin_app.services.users import verify_password


# --- users ---------------------------------------------------------------------------------

def _user_form(**fields):
    data = {"email": "new@example.com", "full_name": "New Person", "role": "user",
            "is_active": "y", "password": "long-enough-1", "password_confirm": "long-enough-1"}
    data.update(fields)
    return data


def test_admin_creates_a_user_with_an_argon2_password(admin_client):
    response = admin_client.post("/admin/user/new/", data=_user_form(email="New@Example.com"))
    assert response.status_code == 302
    user = db.session.scalar(select(User).where(User.email == "new@example.com"))
    assert user.password_hash.startswith("$argon2") and verify_password(user, "long-enough-1")


def test_user_list_and_forms_never_show_the_hash(admin_client, admin_user):
    for url in ("/admin/user/", f"/admin/user/details/?id={admin_user.id}",
                f"/admin/user/edit/?id={admin_user.id}", "/admin/user/export/csv/"):
        text = admin_client.get(url).get_data(as_text=True)
        assert "$argon2" not in text and "password_hash" not in text, url


def test_create_user_refuses_short_or_mismatched_passwords(admin_client):
    html = admin_client.post("/admin/user/new/", data=_user_form(
        password="short", password_confirm="short")).get_data(as_text=True)
    assert "at least 8 characters" in html
    html = admin_client.post("/admin/user/new/", data=_user_form(
        password_confirm="other-password")).get_data(as_text=True)
    assert "The two passwords differ." in html
    html = admin_client.post("/admin/user/new/", data=_user_form(
        password="", password_confirm="")).get_data(as_text=True)
    assert "Enter the password." in html
    assert db.session.scalar(select(User).where(User.email == "new@example.com")) is None


def test_create_user_refuses_a_taken_email(admin_client, admin_user):
    html = admin_client.post("/admin/user/new/", data=_user_form(
        email="ADMIN@example.com")).get_data(as_text=True)
    assert "already has the email" in html


def test_admin_resets_a_password_and_blank_keeps_it(admin_client, normal_user):
    form = _user_form(email=normal_user.email, full_name="Uma User", password="",
                      password_confirm="")
    assert admin_client.post(f"/admin/user/edit/?id={normal_user.id}", data=form).status_code == 302
    db.session.expire_all()
    old_hash = db.session.get(User, normal_user.id).password_hash
    form.update(password="brand-new-pass", password_confirm="brand-new-pass")
    admin_client.post(f"/admin/user/edit/?id={normal_user.id}", data=form)
    db.session.expire_all()
    user = db.session.get(User, normal_user.id)
    assert user.password_hash != old_hash and verify_password(user, "brand-new-pass")


def test_last_active_admin_cannot_be_demoted_deactivated_or_deleted(admin_client, admin_user):
    url = f"/admin/user/edit/?id={admin_user.id}"
    base = _user_form(email=admin_user.email, full_name="Ada Admin", role="admin", password="",
                      password_confirm="")
    html = admin_client.post(url, data={**base, "role": "user"},
                             follow_redirects=True).get_data(as_text=True)
    assert "last active administrator" in html
    del base["is_active"]
    html = admin_client.post(url, data=base, follow_redirects=True).get_data(as_text=True)
    assert "last active administrator" in html
    db.session.expire_all()
    assert db.session.get(User, admin_user.id).is_admin
    assert db.session.get(User, admin_user.id).is_active


def test_an_admin_can_be_demoted_when_another_remains(admin_client, make_user):
    other = make_user("second@example.com", role="admin")
    form = _user_form(email=other.email, full_name="Second", role="user", password="",
                      password_confirm="")
    assert admin_client.post(f"/admin/user/edit/?id={other.id}", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(User, other.id).role == "user"


def test_admin_cannot_delete_own_account(admin_client, admin_user, make_user):
    make_user("second@example.com", role="admin")
    html = admin_client.post("/admin/user/delete/", data={"id": admin_user.id},
                             follow_redirects=True).get_data(as_text=True)
    assert "cannot delete your own account" in html


def test_admin_deletes_another_user(admin_client, normal_user):
    admin_client.post("/admin/user/delete/", data={"id": normal_user.id})
    assert db.session.get(User, normal_user.id) is None


# --- contacts, addresses, exchanges ---------------------------------------------------------

def test_contact_crud(admin_client, make_company):
    company = make_company()
    assert admin_client.post("/admin/contact/new/", data={
        "company": company.id, "first_name": "Ines", "last_name": "Navarro",
        "email": "ines@acme.example"}).status_code == 302
    contact = db.session.scalar(select(Contact))
    assert "Navarro" in admin_client.get("/admin/contact/?search=ines").get_data(as_text=True)
    admin_client.post(f"/admin/contact/edit/?id={contact.id}", data={
        "company": company.id, "first_name": "Ines", "last_name": "Navarro-Ruiz"})
    db.session.expire_all()
    assert db.session.get(Contact, contact.id).last_name == "Navarro-Ruiz"
    admin_client.post("/admin/contact/delete/", data={"id": contact.id})
    assert db.session.get(Contact, contact.id) is None


def test_contact_refuses_bad_email_and_missing_company(admin_client):
    html = admin_client.post("/admin/contact/new/", data={
        "last_name": "X", "email": "x@"}).get_data(as_text=True)
    assert "Enter the company." in html and "Enter a valid email address" in html
    assert db.session.scalar(select(Contact)) is None


def test_contact_company_picker_is_ajax_not_a_full_select(admin_client, make_company):
    for i in range(30):
        make_company(f"Picker {i:02d}", commit=False)
    db.session.commit()
    html = admin_client.get("/admin/contact/new/").get_data(as_text=True)
    assert "Picker 07" not in html and "data-url" in html
    found = admin_client.get("/admin/contact/ajax/lookup/?name=company&query=Picker 07")
    assert "Picker 07" in found.get_data(as_text=True)


def test_address_crud_and_default_flag_moves(admin_client, make_company):
    company = make_company()
    first = Address(company=company, label="HQ", line1="1 A", is_main=True,
                    is_billing_default=True)
    db.session.add(first)
    db.session.commit()
    response = admin_client.post("/admin/address/new/", data={
        "company": company.id, "label": "Depot", "line1": "2 B", "city": "Lille",
        "is_billing_default": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    flags = {a.label: a.is_billing_default for a in db.session.scalars(select(Address))}
    assert flags == {"HQ": False, "Depot": True}
    depot = db.session.scalar(select(Address).where(Address.label == "Depot"))
    admin_client.post("/admin/address/delete/", data={"id": depot.id})
    assert db.session.get(Address, depot.id) is None


def test_address_list_card_and_company_form_move_a_default_alike(admin_client, make_company):
    company = make_company("Flags SA")
    admin_client.post("/admin/address/new/", data={"company": company.id, "label": "HQ",
                                                   "line1": "1 A", "is_quote_default": "y"})
    admin_client.post(f"/admin/company/card/address/?id={company.id}",
                      data={"label": "Depot", "line1": "2 B", "is_quote_default": "y"})
    db.session.expire_all()
    hq, depot = db.session.scalars(select(Address).order_by(Address.id)).all()
    assert (hq.is_main, hq.is_quote_default) == (True, False)  # the first address is the main one
    assert (depot.is_main, depot.is_quote_default) == (False, True)
    data = {"name": "Flags SA", "status": "lead", "email": "", "phone": "", "website": "",
            "legal_id": "", "comments": ""}
    for n, (address, quote) in enumerate(((hq, "y"), (depot, ""))):
        data.update({f"addresses-{n}-id": address.id, f"addresses-{n}-label": address.label,
                     f"addresses-{n}-line1": address.line1, f"addresses-{n}-is_quote_default": quote})
    data["addresses-0-is_main"] = "y"
    assert admin_client.post(f"/admin/company/edit/?id={company.id}", data=data).status_code == 302
    db.session.expire_all()
    assert [a.is_quote_default for a in (hq, depot)] == [True, False]


def test_address_requires_a_street(admin_client, make_company):
    company = make_company()
    html = admin_client.post("/admin/address/new/", data={"company": company.id}).get_data(
        as_text=True)
    assert "Enter the street address." in html


def test_exchange_crud_sets_author(admin_client, make_company, admin_user):
    company = make_company()
    assert admin_client.post("/admin/exchange/new/", data={
        "company": company.id, "kind": "call", "title": "Called the CFO",
        "occurred_at": "2024-05-02 10:00:00", "callback_at": "2024-05-09 10:00:00"}
    ).status_code == 302
    exchange = db.session.scalar(select(Exchange))
    assert exchange.author_id == admin_user.id
    assert "Called the CFO" in admin_client.get("/admin/exchange/").get_data(as_text=True)
    admin_client.post("/admin/exchange/delete/", data={"id": exchange.id})
    assert db.session.scalar(select(Exchange)) is None


def test_meeting_cannot_end_before_it_starts(admin_client, make_company):
    company = make_company()
    html = admin_client.post("/admin/exchange/new/", data={
        "company": company.id, "kind": "meeting", "title": "Kick-off",
        "occurred_at": "2024-05-02 10:00:00", "starts_at": "2024-05-02 10:00:00",
        "ends_at": "2024-05-02 09:00:00"}).get_data(as_text=True)
    assert "cannot end before it starts" in html
    assert db.session.scalar(select(Exchange)) is None


def test_exchange_list_applies_the_cards_rules(admin_client, make_company):
    company = make_company()
    for data, message in (
            ({"kind": "call", "callback_at": "2024-05-01 10:00:00"}, "call-back date must be after"),
            ({"kind": "meeting"}, "A meeting needs a start time.")):
        html = admin_client.post("/admin/exchange/new/", data={
            "company": company.id, "title": "t", "occurred_at": "2024-05-02 10:00:00", **data}
        ).get_data(as_text=True)
        assert message in html, message
    assert db.session.scalar(select(Exchange)) is None


def test_exchange_contact_must_belong_to_the_company(admin_client, make_company):
    one, other = make_company("One"), make_company("Other")
    contact = Contact(company=other, last_name="Elsewhere")
    db.session.add(contact)
    db.session.commit()
    html = admin_client.post("/admin/exchange/new/", data={
        "company": one.id, "contact": contact.id, "kind": "note", "title": "t",
        "occurred_at": "2024-05-02 10:00:00"}, follow_redirects=True).get_data(as_text=True)
    assert "choose one of its contacts" in html


# --- configuration and documents --------------------------------------------------------------

def test_only_one_default_comment_template(admin_client):
    db.session.add(CommentTemplate(name="Old", body="x", is_default=True))
    db.session.commit()
    admin_client.post("/admin/commenttemplate/new/", data={"name": "New", "body": "y",
                                                           "is_default": "y"})
    defaults = db.session.scalars(select(CommentTemplate.name).where(
        CommentTemplate.is_default)).all()
    assert defaults == ["New"]


def test_email_template_requires_subject(admin_client):
    html = admin_client.post("/admin/emailtemplate/new/", data={"name": "N", "body": "b"}
                             ).get_data(as_text=True)
    assert "Enter the subject." in html and db.session.scalar(select(EmailTemplate)) is None


def test_custom_field_definition_rules(admin_client):
    html = admin_client.post("/admin/customfielddefinition/new/", data={
        "label": "Industry", "key": "Industry Type", "field_type": "text", "position": "0"}
    ).get_data(as_text=True)
    assert "lower-case letters" in html
    html = admin_client.post("/admin/customfielddefinition/new/", data={
        "label": "Industry", "key": "industry", "field_type": "choice", "position": "0"},
        follow_redirects=True).get_data(as_text=True)
    assert "List the choices" in html
    assert admin_client.post("/admin/customfielddefinition/new/", data={
        "label": "Industry", "key": "industry", "field_type": "choice",
        "choices": "Retail\nRetail\nServices", "position": "0", "is_active": "y"}
    ).status_code == 302
    assert db.session.scalar(select(CustomFieldDefinition.choices)) == "Retail\nServices"


def test_user_cannot_reach_configuration_posts(user_client):
    assert user_client.post("/admin/commenttemplate/new/", data={"name": "x"}).status_code == 403


def test_document_list_edit_and_delete_removes_the_file(admin_client, app, make_company):
    from pathlib import Path
    upload = Path(app.config["UPLOAD_DIR"]) / "abc123.pdf"
    upload.write_bytes(b"%PDF-1.4")
    company = make_company()
    doc = Document(company=company, title="Contract", original_name="contract.pdf",
                   file="abc123.pdf", size_bytes=8, created_at=utcnow())
    db.session.add(doc)
    db.session.commit()
    html = admin_client.get("/admin/document/").get_data(as_text=True)
    assert "Contract" in html and "8 bytes" in html
    admin_client.post(f"/admin/document/edit/?id={doc.id}", data={"title": "Signed contract",
                                                                  "company": company.id})
    db.session.expire_all()
    assert db.session.get(Document, doc.id).title == "Signed contract"
    admin_client.post("/admin/document/delete/", data={"id": doc.id})
    assert db.session.get(Document, doc.id) is None and not upload.exists()


def test_merges_are_read_only(admin_client):
    assert admin_client.get("/admin/merge/").status_code == 200
    assert admin_client.get("/admin/merge/new/").status_code in (302, 403, 404)


def test_ticking_the_billing_contact_in_the_contact_list_takes_it_from_the_other(
        admin_client, make_company):
    from admin_app.models import Contact
    company = make_company("Billing Co")
    first = Contact(company=company, last_name="First", is_billing_contact=True)
    db.session.add(first)
    db.session.commit()
    response = admin_client.post("/admin/contact/new/", data={
        "company": str(company.id), "last_name": "Second", "is_billing_contact": "y"})
    assert response.status_code == 302
    rows = db.session.execute(db.select(Contact.last_name, Contact.is_billing_contact)
                              .order_by(Contact.id)).all()
    assert [tuple(r) for r in rows] == [("First", False), ("Second", True)]
