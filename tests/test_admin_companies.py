"""The company list and form: search, filters, create, edit, inline rows, custom fields."""
from decimal import Decimal

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition, CustomFieldValue,
)


def _form(**fields):
    data = {"name": "Nordic Foods", "status": "lead", "email": "", "phone": "", "website": "",
            "legal_id": "", "comments": ""}
    data.update(fields)
    return data


def test_company_list_shows_companies_linked_to_their_card(admin_client, make_company):
    company = make_company("Blue Robotics", email="hello@blue.example")
    html = admin_client.get("/admin/company/").get_data(as_text=True)
    assert "Blue Robotics" in html and "hello@blue.example" in html
    from admin_app.admin.links import company_url
    with admin_client.application.test_request_context():
        assert f'href="{company_url(company.id)}"' in html


def test_company_list_hides_merged_tombstones(admin_client, make_company):
    kept = make_company("Kept SA")
    make_company("Gone SA", merged_into_id=kept.id)
    html = admin_client.get("/admin/company/").get_data(as_text=True)
    assert "Kept SA" in html and "Gone SA" not in html


def test_edit_and_details_of_a_merged_away_company_lead_to_the_absorbing_one(admin_client,
                                                                            make_company):
    final = make_company("Final SA")
    middle = make_company("Middle SA", merged_into_id=final.id)
    first = make_company("First SA", merged_into_id=middle.id)
    for page in ("edit", "details"):
        response = admin_client.get(f"/admin/company/{page}/?id={first.id}&url=/admin/company/")
        assert response.status_code == 302, page
        assert f"/admin/company/{page}/?" in response.location, page
        assert f"id={final.id}" in response.location and "url=" in response.location, page
        html = admin_client.get(response.location).get_data(as_text=True)
        assert "“First SA” was merged into “Final SA”" in html and "Final SA" in html, page
    posted = admin_client.post(f"/admin/company/edit/?id={middle.id}", data=_form(name="Hijack"))
    assert posted.status_code == 302 and f"id={final.id}" in posted.location
    assert db.session.get(Company, middle.id).name == "Middle SA"
    live = admin_client.get(f"/admin/company/edit/?id={final.id}")
    assert live.status_code == 200


def test_company_search_finds_name_email_and_phone(admin_client, make_company):
    make_company("Atlas Energy", email="info@atlas.example", phone="+34 912 345 678")
    make_company("Cobalt Media")
    for term in ("atlas", "info@atlas", "912 345"):
        html = admin_client.get(f"/admin/company/?search={term}").get_data(as_text=True)
        assert "Atlas Energy" in html and "Cobalt Media" not in html, term


def test_company_search_without_match_says_so(admin_client, make_company):
    make_company("Atlas Energy")
    html = admin_client.get("/admin/company/?search=zzzz").get_data(as_text=True)
    assert "Nothing matches" in html and "Show everything" in html


def test_company_filters_by_status_and_account_manager(admin_client, make_company, make_user):
    manager = make_user(full_name="Sara Ortega")
    make_company("Lead One", status="lead")
    make_company("Client Two", status="client", account_manager_id=manager.id)
    html = admin_client.get("/admin/company/?flt1_status_equals=lead").get_data(as_text=True)
    assert "Lead One" in html and "Client Two" not in html
    html = admin_client.get(
        f"/admin/company/?flt1_account_manager_equals={manager.id}").get_data(as_text=True)
    assert "Client Two" in html and "Lead One" not in html


def test_create_company_with_inline_address_and_contact(admin_client):
    data = _form(name="Granite Builders", status="client", email="office@granite.example",
                 website="granite.example")
    data.update({"addresses-0-label": "Head office", "addresses-0-line1": "1 Calle Mayor",
                 "addresses-0-city": "Madrid", "addresses-0-country": "Spain",
                 "contacts-0-first_name": "Ana", "contacts-0-last_name": "Garcia",
                 "contacts-0-email": "ana@granite.example"})
    response = admin_client.post("/admin/company/new/", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    company = db.session.scalar(select(Company).where(Company.name == "Granite Builders"))
    assert company.website == "https://granite.example"
    assert [a.city for a in company.addresses] == ["Madrid"]
    assert company.addresses[0].is_main  # the only address becomes the main one
    assert [c.email for c in company.contacts] == ["ana@granite.example"]


def test_create_company_refuses_a_bad_email_and_changes_nothing(admin_client):
    response = admin_client.post("/admin/company/new/", data=_form(email="not-an-email"))
    assert response.status_code == 200
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert db.session.scalar(select(Company)) is None


def test_create_company_requires_a_name(admin_client):
    response = admin_client.post("/admin/company/new/", data=_form(name=""))
    assert "Enter the company name." in response.get_data(as_text=True)
    assert db.session.scalar(select(Company)) is None


def test_create_company_refuses_two_main_addresses(admin_client):
    data = _form()
    for i in (0, 1):
        data.update({f"addresses-{i}-line1": f"{i} Rue", f"addresses-{i}-city": "Lyon",
                     f"addresses-{i}-is_main": "y"})
    response = admin_client.post("/admin/company/new/", data=data)
    assert "Only one address can be the main address" in response.get_data(as_text=True)
    assert db.session.scalar(select(Company)) is None


def test_new_company_form_is_prefilled_with_the_default_comment_template(admin_client):
    db.session.add_all([CommentTemplate(name="Other", body="<p>other</p>"),
                        CommentTemplate(name="Checklist", body="<p>Decision makers:</p>",
                                        is_default=True)])
    db.session.commit()
    html = admin_client.get("/admin/company/new/").get_data(as_text=True)
    assert "Decision makers:" in html and "other" not in html.split('name="comments"')[1][:300]


def test_edit_company_moves_the_main_flag_between_saved_addresses(admin_client, make_company):
    company = make_company("Delta Labs")
    db.session.add_all([Address(company=company, label="A", line1="1 A", is_main=True),
                        Address(company=company, label="B", line1="2 B")])
    db.session.commit()
    a, b = company.addresses
    data = _form(name="Delta Labs", status="client")
    data.update({"addresses-0-id": a.id, "addresses-0-label": "A", "addresses-0-line1": "1 A",
                 "addresses-1-id": b.id, "addresses-1-label": "B", "addresses-1-line1": "2 B",
                 "addresses-1-is_main": "y"})
    response = admin_client.post(f"/admin/company/edit/?id={company.id}", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert {x.label: x.is_main for x in db.session.get(Company, company.id).addresses} == {
        "A": False, "B": True}


def test_custom_fields_appear_typed_and_are_saved(admin_client, make_company):
    db.session.add_all([
        CustomFieldDefinition(key="employees", label="Employees", field_type="number"),
        CustomFieldDefinition(key="industry", label="Industry", field_type="choice",
                              choices="Retail\nServices"),
        CustomFieldDefinition(key="partner_since", label="Partner since", field_type="date"),
        CustomFieldDefinition(key="newsletter", label="Newsletter", field_type="boolean"),
        CustomFieldDefinition(key="hidden", label="Hidden", field_type="text", is_active=False),
    ])
    db.session.commit()
    html = admin_client.get("/admin/company/new/").get_data(as_text=True)
    assert 'name="custom_employees"' in html and 'type="date"' in html
    assert '<option value="Services">' in html and 'name="custom_hidden"' not in html
    data = _form(name="Orion Travel", custom_employees="120", custom_industry="Services",
                 custom_partner_since="2020-03-01", custom_newsletter="y")
    assert admin_client.post("/admin/company/new/", data=data).status_code == 302
    company = db.session.scalar(select(Company).where(Company.name == "Orion Travel"))
    values = {v.definition.key: v.value for v in company.custom_values}
    assert values == {"employees": "120", "industry": "Services", "partner_since": "2020-03-01",
                      "newsletter": "true"}
    edit = admin_client.get(f"/admin/company/edit/?id={company.id}").get_data(as_text=True)
    assert 'value="120"' in edit and 'value="2020-03-01"' in edit


def test_custom_field_refuses_a_value_of_the_wrong_type(admin_client):
    db.session.add(CustomFieldDefinition(key="employees", label="Employees", field_type="number"))
    db.session.commit()
    response = admin_client.post("/admin/company/new/",
                                 data=_form(custom_employees="many"))
    assert response.status_code == 200
    assert db.session.scalar(select(CustomFieldValue)) is None
    assert db.session.scalar(select(Company)) is None


def test_editing_a_custom_field_is_audited_old_to_new(admin_client, make_company):
    definition = CustomFieldDefinition(key="employees", label="Employees", field_type="number")
    company = make_company("Vertex Studio")
    db.session.add_all([definition, CustomFieldValue(company=company, definition=definition,
                                                     value="10")])
    db.session.commit()
    data = _form(name="Vertex Studio", status="client", custom_employees="12.5")
    assert admin_client.post(f"/admin/company/edit/?id={company.id}", data=data).status_code == 302
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "update",
                                                     AuditLog.entity_type == "Company"))
    assert entry.changes["custom.employees"] == ["10", "12.5"]
    assert "status" not in entry.changes  # unchanged fields are not listed
    assert Decimal(db.session.scalar(select(CustomFieldValue.value))) == Decimal("12.5")


def test_contact_inline_email_is_validated(admin_client):
    data = _form(**{"contacts-0-last_name": "Petit", "contacts-0-email": "petit@"})
    response = admin_client.post("/admin/company/new/", data=data)
    assert "Enter a valid email address" in response.get_data(as_text=True)
    assert db.session.scalar(select(Contact)) is None
