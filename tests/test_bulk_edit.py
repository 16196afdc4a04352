"""Bulk edits on the company list: the checked rows or every row matching the filter, reviewed
with a count, all changed or none, one audit entry per company changed."""
import re
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import AuditLog, Company, CustomFieldDefinition
from admin_app.services.settings import set_setting


@pytest.fixture
def companies(make_company):
    return {name: make_company(name, status=status, email=f"{name.lower()}@team.example")
            for name, status in
            (("Alpha", "lead"), ("Beta", "lead"), ("Gamma", "lead"), ("Delta", "client"))}


def _start(client, ids, list_url="/admin/company/"):
    response = client.post("/admin/company/action/", data={
        "action": "bulk_edit", "rowid": [str(i) for i in ids], "url": list_url})
    assert response.status_code == 302
    return response.headers["Location"]


def _count(html: str, kind: str) -> int | None:
    match = re.search(rf'data-bulk-count="{kind}" data-value="(\d+)"', html)
    return int(match.group(1)) if match else None


def _audits(action="update") -> list[AuditLog]:
    return db.session.scalars(select(AuditLog).where(AuditLog.action == action,
                                                     AuditLog.entity_type == "Company")).all()


def test_review_counts_the_changes_and_writes_nothing(admin_client, companies):
    page = _start(admin_client, [companies["Alpha"].id, companies["Delta"].id])
    html = admin_client.get(page).get_data(as_text=True)
    assert "the 2 companies ticked in the list" in html
    review = admin_client.post(page, data={"step": "review", "scope": "selected",
                                           "kind": "status", "value_status": "client"})
    html = review.get_data(as_text=True)
    assert (_count(html, "change"), _count(html, "unchanged")) == (1, 1)
    assert "data-action=\"apply-bulk-edit\"" in html
    db.session.expire_all()
    assert db.session.get(Company, companies["Alpha"].id).status == "lead"
    assert _audits() == []


def test_apply_changes_every_company_with_one_audit_entry_each(admin_client, companies,
                                                               admin_user):
    ids = [companies[n].id for n in ("Alpha", "Beta", "Delta")]
    page = _start(admin_client, ids)
    done = admin_client.post(page, data={"step": "apply", "scope": "selected",
                                         "kind": "account_manager",
                                         "value_account_manager": str(admin_user.id)},
                             follow_redirects=True)
    assert "3 companies changed: set the account manager to Ada Admin." in done.get_data(as_text=True)
    db.session.expire_all()
    assert {db.session.get(Company, i).account_manager_id for i in ids} == {admin_user.id}
    assert db.session.get(Company, companies["Gamma"].id).account_manager_id is None
    assert sorted(a.entity_id for a in _audits()) == sorted(ids)
    assert _audits()[0].changes == {"account_manager_id": [None, admin_user.id]}


def test_every_row_matching_the_filter_can_be_chosen(admin_client, companies):
    list_url = "/admin/company/?" + urlencode({"flt0_status_equals": "lead", "search": "team"})
    page = _start(admin_client, [companies["Alpha"].id], list_url)
    html = admin_client.get(page).get_data(as_text=True)
    assert re.search(r"every company matching the list’s search and filters\s*\(3\)", html)
    admin_client.post(page, data={"step": "apply", "scope": "filtered", "kind": "comment",
                                  "value_comment": "Met at <b>Expo</b> 2026"})
    db.session.expire_all()
    for name in ("Alpha", "Beta", "Gamma"):
        assert db.session.get(Company, companies[name].id).comments == (
            "<p>Met at &lt;b&gt;Expo&lt;/b&gt; 2026</p>")
    assert db.session.get(Company, companies["Delta"].id).comments is None


def test_refused_rows_are_reported_and_nothing_changes(admin_client, companies, make_invoice):
    make_invoice(companies["Delta"])
    ids = [companies["Alpha"].id, companies["Delta"].id]
    db.session.get(Company, ids[0]).status = "client"
    db.session.commit()
    page = _start(admin_client, ids)
    form = {"scope": "selected", "kind": "status", "value_status": "lead"}
    review = admin_client.post(page, data={**form, "step": "review"}).get_data(as_text=True)
    assert _count(review, "refused") == 1 and "its 1 issued invoice makes it a client" in review
    assert "apply-bulk-edit" not in review
    forced = admin_client.post(page, data={**form, "step": "apply"}).get_data(as_text=True)
    assert "Nothing was changed: 1 of the chosen companies cannot take this change." in forced
    db.session.expire_all()
    assert {db.session.get(Company, i).status for i in ids} == {"client"}
    assert _audits() == []


def test_a_lead_setting_lets_invoiced_companies_go_back_to_lead(admin_client, companies,
                                                                make_invoice):
    make_invoice(companies["Delta"])
    set_setting("invoice_converts_lead_to", "lead")
    db.session.commit()
    page = _start(admin_client, [companies["Delta"].id])
    admin_client.post(page, data={"step": "apply", "scope": "selected", "kind": "status",
                                  "value_status": "lead"})
    db.session.expire_all()
    assert db.session.get(Company, companies["Delta"].id).status == "lead"


def test_custom_field_values_are_checked_against_their_type(admin_client, companies):
    definition = CustomFieldDefinition(key="employees", label="Employees", field_type="number")
    db.session.add(definition)
    db.session.commit()
    page = _start(admin_client, [companies["Alpha"].id, companies["Beta"].id])
    form = {"step": "apply", "scope": "selected", "kind": "custom_field",
            "definition": str(definition.id)}
    bad = admin_client.post(page, data={**form, "value_custom_field": "many"})
    assert "is not a number" in bad.get_data(as_text=True)
    admin_client.post(page, data={**form, "value_custom_field": "42"})
    db.session.expire_all()
    values = [db.session.get(Company, companies[n].id).custom_values for n in ("Alpha", "Beta")]
    assert [[v.value for v in vs] for vs in values] == [["42"], ["42"]]
    assert _audits()[0].changes == {"custom.employees": [None, "42"]}


def test_an_inactive_account_manager_is_refused(admin_client, companies, make_user):
    gone = make_user("gone@example.com", is_active=False)
    page = _start(admin_client, [companies["Alpha"].id])
    html = admin_client.post(page, data={"step": "apply", "scope": "selected",
                                         "kind": "account_manager",
                                         "value_account_manager": str(gone.id)}).get_data(as_text=True)
    assert "Choose an active user" in html
    db.session.expire_all()
    assert db.session.get(Company, companies["Alpha"].id).account_manager_id is None


def test_ids_that_are_not_ids_are_dropped(admin_client, companies):
    page = _start(admin_client, [companies["Alpha"].id, "abc", "-3", "99999999999999999999",
                                 "1\x00"])
    html = admin_client.get(page).get_data(as_text=True)
    assert "the 1 company ticked in the list" in html


def test_users_are_not_offered_bulk_edits(user_client, companies):
    assert "Edit selected" not in user_client.get("/admin/company/").get_data(as_text=True)
    assert user_client.get(f"/admin/company/bulk-edit/?id={companies['Alpha'].id}").status_code == 403
    user_client.post("/admin/company/action/", data={
        "action": "bulk_edit", "rowid": [str(companies["Alpha"].id)]})
    assert _audits() == []
