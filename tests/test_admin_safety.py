"""Cross-cutting behaviour of every admin view: audit entries, CSV export escaping, stored XSS,
list queries that do not grow with the page size, capped counts."""
import csv
import io

import pytest
from sqlalchemy import select

from admin_app.admin.formatting import neutralise_formula
from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, CommentTemplate, Company, Contact, EmailTemplate, Exchange,
)
from admin_app.models.base import utcnow

PAYLOADS = ['<script>alert("x")</script>', '<img src=x onerror=alert(1)>',
            '<a href="javascript:alert(1)">go</a>']


# --- audit ---------------------------------------------------------------------------------

def test_create_update_delete_are_audited_with_user_and_changes(admin_client, admin_user):
    admin_client.post("/admin/company/new/", data={"name": "Audit Co", "status": "lead"})
    company = db.session.scalar(select(Company))
    admin_client.post(f"/admin/company/edit/?id={company.id}",
                      data={"name": "Audit Company", "status": "client", "email": "a@b.example"})
    admin_client.post("/admin/company/delete/confirm/", data={"id": company.id})
    entries = db.session.scalars(select(AuditLog).where(AuditLog.action != "login")
                                .order_by(AuditLog.id)).all()
    assert [e.action for e in entries] == ["create", "update", "delete"]
    assert all(e.user_id == admin_user.id and e.at and e.entity_id == company.id
               for e in entries)
    update = entries[1]
    assert update.changes["name"] == ["Audit Co", "Audit Company"]
    assert update.changes["status"] == ["lead", "client"]
    assert update.changes["email"] == [None, "a@b.example"]
    assert "updated_at" not in update.changes


def test_inline_rows_are_audited_too(admin_client):
    admin_client.post("/admin/company/new/", data={
        "name": "Inline Co", "status": "lead", "addresses-0-line1": "1 Rue",
        "contacts-0-last_name": "Roux"})
    types = {e.entity_type for e in db.session.scalars(
        select(AuditLog).where(AuditLog.action != "login"))}
    assert types == {"Company", "Address", "Contact"}


def test_a_refused_save_leaves_no_audit_entry(admin_client):
    admin_client.post("/admin/company/new/", data={"name": "X", "status": "lead",
                                                   "email": "bad"})
    assert db.session.scalar(select(AuditLog).where(AuditLog.action != "login")) is None


def test_admin_can_browse_and_filter_the_audit_log(admin_client, make_company):
    admin_client.post("/admin/company/new/", data={"name": "Seen Co", "status": "lead"})
    admin_client.post("/admin/contact/new/", data={
        "company": db.session.scalar(select(Company.id)), "last_name": "Blanc"})
    html = admin_client.get("/admin/auditlog/?flt1_entity_equals=Contact").get_data(as_text=True)
    assert "Blanc" in html and "Created Company Seen Co" not in html
    entry = db.session.scalar(select(AuditLog).where(AuditLog.entity_type == "Company"))
    details = admin_client.get(f"/admin/auditlog/details/?id={entry.id}").get_data(as_text=True)
    assert "data-audit-changes" in details and "Seen Co" in details


def test_user_cannot_read_the_audit_log(user_client):
    assert user_client.get("/admin/auditlog/").status_code == 403


# --- export --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"])
def test_formula_cells_are_neutralised(value):
    assert neutralise_formula(value) == "'" + value


def test_numbers_and_plain_text_are_left_alone():
    assert neutralise_formula("-12.50") == "-12.50"
    assert neutralise_formula("Acme") == "Acme" and neutralise_formula(3) == 3


def test_company_csv_export_escapes_formulas(admin_client, make_company):
    make_company('=HYPERLINK("http://evil.example","x")', email="@evil.example",
                 phone="+34 600")
    response = admin_client.get("/admin/company/export/csv/")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    header, row = rows[0], rows[1]
    cells = dict(zip(header, row))
    assert cells["Name"].startswith("'=HYPERLINK")
    assert cells["Email"] == "'@evil.example"
    assert "<a" not in response.get_data(as_text=True)


def test_contact_export_shows_company_names_not_html(admin_client, make_company):
    company = make_company("-Minus Corp")
    db.session.add(Contact(company=company, last_name="=cmd|' /C calc'!A0"))
    db.session.commit()
    text = admin_client.get("/admin/contact/export/csv/").get_data(as_text=True)
    assert "'-Minus Corp" in text and "'=cmd" in text and "href" not in text


# --- stored XSS ----------------------------------------------------------------------------

@pytest.mark.parametrize("payload", PAYLOADS)
def test_company_comments_are_sanitised_on_save(admin_client, payload):
    admin_client.post("/admin/company/new/", data={"name": "Xss Co", "status": "lead",
                                                   "comments": f"<p>hi</p>{payload}"})
    stored = db.session.scalar(select(Company.comments))
    assert "<script" not in stored and "onerror" not in stored and "javascript:" not in stored
    assert "<p>hi</p>" in stored


@pytest.mark.parametrize("payload", PAYLOADS)
def test_stored_payloads_never_render_as_markup(admin_client, make_company, payload):
    # Written around the forms (an import, raw SQL): the views still neutralise it.
    company = make_company(f"Name {payload}", comments=payload)
    for url in ("/admin/company/", f"/admin/company/details/?id={company.id}",
                f"/admin/company/edit/?id={company.id}"):
        html = admin_client.get(url).get_data(as_text=True)
        assert payload not in html, url
        assert "<script>alert" not in html and "onerror=alert" not in html.replace(
            "onerror=alert(1)&gt;", ""), url


def test_templates_and_exchange_bodies_are_sanitised(admin_client, make_company, admin_user):
    admin_client.post("/admin/commenttemplate/new/", data={
        "name": "T", "body": "<b>ok</b><script>x()</script>"})
    admin_client.post("/admin/emailtemplate/new/", data={
        "name": "E", "subject": "S", "body": "Hello <img src=x onerror=alert(1)>"})
    company = make_company()
    admin_client.post("/admin/exchange/new/", data={
        "company": company.id, "kind": "note", "title": "n", "occurred_at": "2024-01-02 10:00:00",
        "body": "<p onclick='x()'>body</p>"})
    assert db.session.scalar(select(CommentTemplate.body)) == "<b>ok</b>"
    assert "onerror" not in db.session.scalar(select(EmailTemplate.body))
    assert db.session.scalar(select(Exchange.body)) == "<p>body</p>"


def test_exchange_list_shows_body_payload_as_text(admin_client, make_company, admin_user):
    company = make_company()
    db.session.add(Exchange(company=company, kind="note", title="<script>t()</script>",
                            body=PAYLOADS[1], occurred_at=utcnow(), author_id=admin_user.id))
    db.session.commit()
    exchange = db.session.scalar(select(Exchange))
    for url in ("/admin/exchange/", f"/admin/exchange/details/?id={exchange.id}"):
        html = admin_client.get(url).get_data(as_text=True)
        assert "<script>t()" not in html and "<img src=x onerror" not in html


# --- list performance ----------------------------------------------------------------------

def _seed_many(n, make_user):
    managers = [make_user(full_name=f"Manager {i}") for i in range(3)]
    for i in range(n):
        company = Company(name=f"Company {i:03d}", status="client",
                          account_manager_id=managers[i % 3].id)
        db.session.add(company)
        db.session.add(Address(company=company, line1=f"{i} Street", city="Lyon", is_main=True))
        db.session.add(Contact(company=company, last_name=f"Last {i}"))
        db.session.add(Exchange(company=company, contact=None, kind="call", title=f"Call {i}",
                                occurred_at=utcnow(), author_id=managers[i % 3].id))
    db.session.commit()


@pytest.mark.parametrize("endpoint", ["company", "contact", "address", "exchange", "auditlog"])
def test_list_query_count_does_not_grow_with_page_size(admin_client, make_user, count_queries,
                                                       endpoint):
    _seed_many(60, make_user)
    admin_client.get(f"/admin/{endpoint}/")  # warm up: login user, first-request caches
    counts = {}
    for size in (25, 50):
        with count_queries() as statements:
            assert admin_client.get(f"/admin/{endpoint}/?page_size={size}").status_code == 200
        counts[size] = len(statements)
    assert counts[25] == counts[50], counts


def test_list_count_stops_at_the_cap(admin_client, company_view, make_company):
    view = company_view
    for i in range(6):
        make_company(f"Capped {i}")
    old = view.count_cap, view.page_size
    view.count_cap, view.page_size = 4, 2  # a full page: the count must run
    try:
        html = admin_client.get("/admin/company/?search=capped").get_data(as_text=True)
    finally:
        view.count_cap, view.page_size = old
    assert "4+" in html and "data-count-capped" in html


def test_count_query_is_bounded_by_a_limit(admin_client, company_view, make_company,
                                           count_queries, monkeypatch):
    make_company("Bounded A")
    make_company("Bounded B")
    monkeypatch.setattr(company_view, "page_size", 1)  # a full page: the count must run
    with count_queries() as statements:
        admin_client.get("/admin/company/?search=bound")
    counts = [s for s in statements if "count(" in s.lower()]
    assert counts and all("LIMIT" in s.upper() for s in counts)


def test_a_list_whose_page_tells_the_total_runs_no_count(admin_client, company_view,
                                                         make_company, count_queries,
                                                         monkeypatch):
    for name in ("Counted A", "Counted B", "Counted C"):
        make_company(name)
    admin_client.get("/admin/company/")  # warm up: login user, first-request caches
    pages = {}
    for term, size in (("zzzzqq", 25), ("counted", 25), ("counted", 2)):
        monkeypatch.setattr(company_view, "page_size", size)
        with count_queries() as statements:
            html = admin_client.get(f"/admin/company/?search={term}").get_data(as_text=True)
        # The count (counting.CappedCountQuery), not the search's own probe, which counts too.
        pages[term, size] = (html, [s for s in statements
                                    if s.lstrip().startswith(("SELECT count(", "WITH counted"))])
    assert pages["zzzzqq", 25][1] == []  # no match: the empty page says 0
    assert pages["counted", 25][1] == []  # three matches on a page of 25: the page says 3
    assert len(pages["counted", 2][1]) == 1  # a full page: only a count knows the rest
    for html, _counts in pages.values():
        assert "data-count-capped" not in html
    assert "Counted C" not in pages["counted", 2][0]
    assert 'href="/admin/company/?page=1&amp;search=counted' in pages["counted", 2][0]
