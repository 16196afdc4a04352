"""A company with quotes, orders or invoices is never deleted (merged instead); an empty one is
deleted after a page that lists what goes with it."""
from datetime import date

import pytest
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models import Address, AuditLog, Company, Contact, Exchange, Quote


@pytest.fixture
def booked(make_company, make_invoice):
    company = make_company("Booked SA")
    make_invoice(company)
    return company


@pytest.fixture
def empty(make_company):
    company = make_company("Empty SL")
    db.session.add_all([Address(company=company, line1="1 Calle", is_main=True),
                        Contact(company=company, last_name="Ruiz"),
                        Contact(company=company, last_name="Vidal")])
    db.session.commit()
    return company


def test_delete_from_the_list_posts_refuse_a_company_with_invoices(admin_client, booked):
    response = admin_client.post("/admin/company/delete/", data={"id": booked.id},
                                 follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "cannot be deleted: it has 1 invoice" in html
    assert f'href="/admin/company/merge/?id={booked.id}"' in html
    assert db.session.get(Company, booked.id) is not None


def test_confirm_page_explains_why_and_offers_the_merge(admin_client, booked):
    html = admin_client.get(f"/admin/company/delete/confirm/?id={booked.id}").get_data(
        as_text=True)
    assert "cannot be deleted" in html and "merge it" in html
    assert "Yes, delete permanently" not in html


def test_confirm_post_refuses_a_company_with_a_quote(admin_client, make_company):
    company = make_company("Quoted Ltd")
    db.session.add(Quote(company=company, issue_date=date.today()))
    db.session.commit()
    response = admin_client.post("/admin/company/delete/confirm/", data={"id": company.id},
                                 follow_redirects=True)
    assert "it has 1 quote" in response.get_data(as_text=True)
    assert db.session.get(Company, company.id) is not None


def test_list_delete_button_leads_to_the_confirmation_page(admin_client, empty):
    html = admin_client.get("/admin/company/").get_data(as_text=True)
    assert f"/admin/company/delete/confirm/?id={empty.id}" in html


def test_confirm_page_lists_what_goes_with_an_empty_company(admin_client, empty):
    html = admin_client.get(f"/admin/company/delete/confirm/?id={empty.id}").get_data(
        as_text=True)
    assert "1 address and 2 contacts" in html and "Yes, delete permanently" in html


def test_confirming_deletes_the_company_with_its_rows_and_audits_it(admin_client, empty):
    response = admin_client.post("/admin/company/delete/confirm/", data={"id": empty.id})
    assert response.status_code == 302
    assert db.session.get(Company, empty.id) is None
    assert db.session.scalar(select(Contact)) is None
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "delete"))
    assert entry.entity_type == "Company" and entry.entity_id == empty.id
    assert entry.changes["name"] == "Empty SL"


def test_edit_page_explains_why_a_company_cannot_be_deleted(admin_client, booked, empty):
    html = admin_client.get(f"/admin/company/edit/?id={booked.id}").get_data(as_text=True)
    assert "cannot be deleted" in html and f"/admin/company/merge/?id={booked.id}" in html
    html = admin_client.get(f"/admin/company/edit/?id={empty.id}").get_data(as_text=True)
    assert f"/admin/company/delete/confirm/?id={empty.id}" in html


def test_bulk_delete_goes_to_the_confirmation_page(admin_client, booked, empty):
    response = admin_client.post("/admin/company/action/",
                                 data={"action": "delete", "rowid": [booked.id, empty.id]})
    assert response.status_code == 302 and "/delete/confirm/" in response.location
    html = admin_client.get(response.location).get_data(as_text=True)
    assert "Booked SA" in html and "Empty SL" in html and "cannot be deleted" in html
    assert "Yes, delete permanently" not in html


def test_bulk_delete_is_all_or_nothing(admin_client, booked, empty):
    response = admin_client.post("/admin/company/delete/confirm/",
                                 data={"id": [booked.id, empty.id]}, follow_redirects=True)
    assert "Nothing was deleted" in response.get_data(as_text=True)
    assert db.session.get(Company, empty.id) is not None
    assert db.session.get(Company, booked.id) is not None


def test_bulk_delete_of_empty_companies_deletes_them_in_one_go(admin_client, make_company):
    ids = [make_company(f"Empty {i}").id for i in range(3)]
    response = admin_client.post("/admin/company/delete/confirm/", data={"id": ids})
    assert response.status_code == 302
    assert db.session.scalar(select(Company)) is None
    assert len(db.session.scalars(select(AuditLog).where(AuditLog.action == "delete")).all()) == 3


def test_delete_needs_the_csrf_token(admin_client, empty):
    response = admin_client.post("/admin/company/delete/confirm/", data={"id": empty.id},
                                 csrf=False)
    assert response.status_code == 400
    assert db.session.get(Company, empty.id) is not None


def test_the_database_restricts_deleting_a_company_with_invoices(booked):
    with pytest.raises(IntegrityError):
        db.session.execute(delete(Company).where(Company.id == booked.id))
        db.session.flush()
    db.session.rollback()


def test_deleting_a_company_cascades_its_exchanges(admin_client, empty, admin_user):
    from admin_app.models.base import utcnow
    db.session.add(Exchange(company_id=empty.id, kind="note", title="x", occurred_at=utcnow(),
                            author_id=admin_user.id))
    db.session.commit()
    admin_client.post("/admin/company/delete/confirm/", data={"id": empty.id})
    assert db.session.scalar(select(Exchange)) is None


def test_edit_form_advanced_part_leads_admins_to_the_merge(admin_client, make_company):
    company = make_company("Keeper")
    html = admin_client.get(f"/admin/company/edit/?id={company.id}").get_data(as_text=True)
    assert 'data-section="advanced"' in html
    assert f"/admin/company/merge/?id={company.id}" in html


def test_edit_form_tells_users_that_merging_is_for_admins(user_client, make_company):
    company = make_company("Keeper")
    html = user_client.get(f"/admin/company/edit/?id={company.id}").get_data(as_text=True)
    assert "Only administrators can merge" in html
    assert f"/admin/company/merge/?id={company.id}" not in html
