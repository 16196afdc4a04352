"""Changes made from the card: addresses and their defaults, contacts, exchanges, comments,
account manager, custom fields. Bad input changes nothing."""
from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition,
    CustomFieldValue, Exchange,
)
from admin_app.services.addresses import save_address
from admin_app.services.companies import default_comments
from tests.card_support import card_url

# The test client adds its CSRF token into the posted dict: every post gets a fresh copy.
ADDRESS = {"label": "Head office", "line1": "1 Calle Mayor", "postal_code": "28001",
           "city": "Madrid", "country": "Spain"}


def _addresses(company_id):
    db.session.expire_all()
    return db.session.query(Address).filter_by(company_id=company_id).order_by(Address.id).all()


def test_first_address_added_from_the_card_becomes_the_main_address(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/address/?id={company.id}", data={**ADDRESS})
    assert response.status_code == 302 and response.location.endswith("#addresses")
    [address] = _addresses(company.id)
    assert address.is_main and address.one_line == "1 Calle Mayor, 28001 Madrid, Spain"
    assert db.session.query(AuditLog).filter_by(entity_type="Address").count() == 1


def test_making_an_address_the_default_clears_the_previous_default(admin_client, make_company):
    company = make_company()
    url = f"/admin/company/card/address/?id={company.id}"
    admin_client.post(url, data={**ADDRESS, "is_billing_default": "y", "is_quote_default": "y"})
    admin_client.post(url, data={**ADDRESS, "label": "Warehouse", "line1": "9 Dock Road",
                                 "is_billing_default": "y", "is_delivery_default": "y"})
    first, second = _addresses(company.id)
    assert (first.is_main, first.is_billing_default, first.is_quote_default) == (True, False, True)
    assert (second.is_main, second.is_billing_default, second.is_delivery_default) == \
        (False, True, True)
    # Editing the first one back to main + billing default moves the billing default again.
    admin_client.post(url + f"&address={first.id}", data={**ADDRESS, "is_main": "y",
                                                          "is_billing_default": "y"})
    first, second = _addresses(company.id)
    assert first.is_billing_default and not second.is_billing_default
    assert second.is_delivery_default and not first.is_quote_default


def test_address_defaults_of_other_companies_are_untouched(make_company):
    mine, other = make_company("Mine"), make_company("Other")
    theirs = save_address(other, {**ADDRESS, "is_billing_default": True})
    save_address(mine, {**ADDRESS, "is_billing_default": True})
    db.session.commit()
    db.session.refresh(theirs)
    assert theirs.is_billing_default


def test_new_main_address_replaces_the_old_main_one(make_company):
    company = make_company()
    old = save_address(company, ADDRESS)
    new = save_address(company, {**ADDRESS, "line1": "2 Gran Via", "is_main": True})
    db.session.commit()
    db.session.refresh(old)
    assert new.is_main and not old.is_main


def test_address_without_a_street_is_refused_and_nothing_changes(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/address/?id={company.id}",
                                 data={**ADDRESS, "line1": ""})
    assert response.status_code == 200
    assert "Enter the street address." in response.get_data(as_text=True)
    assert _addresses(company.id) == []


def test_address_of_another_company_cannot_be_edited_through_this_card(admin_client,
                                                                       make_company):
    mine, other = make_company("Mine"), make_company("Other")
    theirs = save_address(other, ADDRESS)
    db.session.commit()
    response = admin_client.post(f"/admin/company/card/address/?id={mine.id}&address={theirs.id}",
                                 data={**ADDRESS, "line1": "Hijacked"})
    assert response.status_code == 404
    assert _addresses(other.id)[0].line1 == "1 Calle Mayor"


def test_post_without_csrf_token_is_refused(admin_client, make_company):
    company = make_company()
    response = admin_client.post(f"/admin/company/card/address/?id={company.id}", data={**ADDRESS},
                                 csrf=False)
    assert response.status_code == 400
    assert _addresses(company.id) == []


def test_user_records_a_call_with_a_call_back_from_the_card(user_client, normal_user,
                                                            make_company):
    company = make_company()
    contact = Contact(company_id=company.id, first_name="Ana", last_name="Garcia")
    db.session.add(contact)
    db.session.commit()
    response = user_client.post(f"/admin/company/card/exchange/?id={company.id}", data={
        "kind": "call", "contact_id": str(contact.id), "occurred_at": "2026-03-02T10:30",
        "title": "Renewal call", "body": "Wants a discount <b>now</b>",
        "callback_at": "2026-03-09T09:00"})
    assert response.status_code == 302
    exchange = db.session.query(Exchange).one()
    assert (exchange.kind, exchange.contact_id, exchange.author_id) == \
        ("call", contact.id, normal_user.id)
    assert exchange.callback_at.isoformat() == "2026-03-09T09:00:00"
    html = user_client.get(card_url(company.id)).get_data(as_text=True)
    assert "Renewal call" in html and "Call back Mar 9, 2026, 9:00\u202fAM" in html
    assert "Wants a discount &lt;b&gt;now&lt;/b&gt;" in html  # bodies are text, escaped
    assert "Renewal call" in user_client.get("/admin/").get_data(as_text=True)  # dashboard


def test_email_exchange_is_recorded_and_says_it_was_not_sent(admin_client, make_company):
    company = make_company()
    form = admin_client.get(f"/admin/company/card/exchange/?id={company.id}&kind=email")
    assert "not sent" in form.get_data(as_text=True)
    response = admin_client.post(f"/admin/company/card/exchange/?id={company.id}", data={
        "kind": "email", "occurred_at": "2026-03-02T10:30", "title": "Price list"},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "it was not sent" in html and "recorded, not sent from here" in html
    assert db.session.query(Exchange).one().email_status is None


def test_meeting_keeps_its_end_and_location(admin_client, make_company):
    company = make_company()
    admin_client.post(f"/admin/company/card/exchange/?id={company.id}", data={
        "kind": "meeting", "occurred_at": "2026-03-02T10:00", "ends_at": "2026-03-02T11:30",
        "location": "Their office", "title": "Kick-off"})
    meeting = db.session.query(Exchange).one()
    assert meeting.starts_at == meeting.occurred_at and meeting.location == "Their office"
    assert meeting.ends_at.isoformat() == "2026-03-02T11:30:00"


def test_exchange_with_bad_input_is_refused_and_nothing_is_recorded(admin_client, make_company):
    company, other = make_company("Mine"), make_company("Other")
    stranger = Contact(company_id=other.id, last_name="Stranger")
    db.session.add(stranger)
    db.session.commit()
    url = f"/admin/company/card/exchange/?id={company.id}"
    base = {"kind": "call", "occurred_at": "2026-03-02T10:30", "title": "Call"}
    cases = [
        ({**base, "contact_id": str(stranger.id)}, "must be one of this company&#39;s contacts"),
        ({**base, "callback_at": "2026-03-01T10:00"}, "call-back date must be after"),
        ({**base, "title": ""}, "Enter the title."),
        ({**base, "occurred_at": "yesterday"}, "Not a valid datetime value"),
        ({**base, "kind": "fax"}, "Not a valid choice"),
        ({**base, "kind": "meeting", "ends_at": "2026-03-02T09:00"}, "cannot end before"),
    ]
    for data, message in cases:
        response = admin_client.post(url, data=data)
        assert response.status_code == 200, data
        assert message in response.get_data(as_text=True), message
    assert db.session.query(Exchange).count() == 0


def test_comments_are_sanitised_and_offer_the_templates(admin_client, make_company):
    company = make_company()
    db.session.add(CommentTemplate(name="Checklist", body="<p>Decision makers:</p>",
                                   is_default=True))
    db.session.commit()
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert 'data-comment-template="Checklist (default)"' in html and "Decision makers:" in html
    assert "rich_text.js" in html
    admin_client.post(f"/admin/company/card/comments/?id={company.id}", data={
        "comments": '<p onclick="x()">Hello <script>alert(1)</script><a href="javascript:x">'
                    'bad</a> <strong>VIP</strong></p>'})
    db.session.expire_all()
    saved = db.session.get(Company, company.id).comments
    assert "script" not in saved and "onclick" not in saved and "javascript" not in saved
    assert "<strong>VIP</strong>" in saved


def test_new_companies_start_with_the_default_comment_template(make_company):
    assert default_comments() == ""
    db.session.add_all([CommentTemplate(name="Other", body="<p>other</p>"),
                        CommentTemplate(name="Default", body="<p>Context:</p>", is_default=True)])
    db.session.commit()
    assert default_comments() == "<p>Context:</p>"


def test_account_manager_is_changed_from_the_card(admin_client, make_user, make_company):
    company = make_company()
    manager = make_user("sara@example.com", full_name="Sara Ortega")
    url = f"/admin/company/card/account-manager/?id={company.id}"
    response = admin_client.post(url, data={"account_manager_id": str(manager.id)},
                                 follow_redirects=True)
    assert "Account manager: Sara Ortega." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Company, company.id).account_manager_id == manager.id
    gone = make_user("gone@example.com", is_active=False)
    response = admin_client.post(url, data={"account_manager_id": str(gone.id)},
                                 follow_redirects=True)
    assert "Choose an active user" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Company, company.id).account_manager_id == manager.id
    admin_client.post(url, data={"account_manager_id": ""})
    db.session.expire_all()
    assert db.session.get(Company, company.id).account_manager_id is None


def _definitions():
    defs = [CustomFieldDefinition(key="employees", label="Employees", field_type="number"),
            CustomFieldDefinition(key="since", label="Partner since", field_type="date"),
            CustomFieldDefinition(key="newsletter", label="Newsletter", field_type="boolean"),
            CustomFieldDefinition(key="industry", label="Industry", field_type="choice",
                                  choices="Retail\nServices"),
            CustomFieldDefinition(key="portal", label="Portal", field_type="url")]
    db.session.add_all(defs)
    db.session.commit()
    return defs


def test_custom_fields_are_saved_by_type_and_shown_typed(admin_client, make_company):
    company = make_company()
    employees, since, newsletter, industry, portal = _definitions()
    response = admin_client.post(f"/admin/company/card/custom-fields/?id={company.id}", data={
        f"field-{employees.id}": "1200", f"field-{since.id}": "2019-04-01",
        f"field-{newsletter.id}": "true", f"field-{industry.id}": "Services",
        f"field-{portal.id}": "https://portal.example"})
    assert response.status_code == 302
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert "1,200" in html and "Apr 1, 2019" in html and ">Yes<" in html
    assert 'href="https://portal.example"' in html and 'rel="noopener noreferrer"' in html


def test_custom_fields_from_the_card_and_the_form_are_audited_alike(admin_client, make_company):
    company = make_company("Vertex Studio", status="client")
    employees = _definitions()[0]
    admin_client.post(f"/admin/company/card/custom-fields/?id={company.id}",
                      data={f"field-{employees.id}": "10"})
    admin_client.post(f"/admin/company/edit/?id={company.id}", data={
        "name": "Vertex Studio", "status": "client", "email": "", "phone": "", "website": "",
        "legal_id": "", "comments": "", "custom_employees": "12.50"})
    entries = db.session.query(AuditLog).filter_by(entity_type="Company", action="update") \
        .order_by(AuditLog.id).all()
    assert [e.changes["custom.employees"] for e in entries] == [[None, "10"], ["10", "12.5"]]


def test_invalid_custom_field_values_save_nothing(admin_client, make_company):
    company = make_company()
    employees, since, newsletter, industry, portal = _definitions()
    response = admin_client.post(f"/admin/company/card/custom-fields/?id={company.id}", data={
        f"field-{employees.id}": "many", f"field-{since.id}": "2019-04-01",
        f"field-{industry.id}": "Mining", f"field-{portal.id}": "javascript:alert(1)"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Employees: &#39;many&#39; is not a number." in html
    assert "Industry: choose one of Retail, Services." in html
    assert "Portal: a web address starts with http://" in html
    assert db.session.query(CustomFieldValue).count() == 0
