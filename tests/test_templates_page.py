"""Configuration > Templates: the page, its preview endpoint, the rules every save follows (syntax,
variables, one default per purpose, in the service and in the database), deleting a template
that emails used, the list views, and users refused everywhere."""
import time
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from admin_app.errors import Refusal
from admin_app.extensions import db
from admin_app.models import (
    AuditLog, CommentTemplate, Contact, DocumentText, EmailTemplate, Exchange,
)
from admin_app.services.templates import (
    clean_email_body, make_default, save_template,
)
from admin_app.services.templating import TemplateProblem
from tests.test_templating import bounded


@pytest.fixture
def acme(make_company, make_invoice):
    company = make_company("Acme & Sons")
    contact = Contact(company=company, first_name="Ann", last_name="Lee",
                      email="ann@acme.example", is_billing_contact=True)
    db.session.add(contact)
    db.session.commit()
    invoice = make_invoice(company, lines=(("2", "50.00", "21"),), number="INV-2026-0042",
                           issue_date=date.today() - timedelta(days=40))
    return company, contact, invoice


def _preview(client, company=None, contact=None, **fields):
    data = {"kind": "email", "purpose": "exchange", "subject": "", "body": "",
            "company_id": company.id if company else "", "contact_id": contact.id if contact else "",
            **fields}
    return client.post("/admin/templates/preview/", data=data)


def _email(name="Reminder", purpose="payment_reminder", subject="Hi", body="Hello",
           is_default=False):
    return save_template("email", None, {"name": name, "purpose": purpose, "subject": subject,
                                         "body": body, "is_default": is_default})


# --- the preview ------------------------------------------------------------------------------

def test_preview_renders_subject_html_and_text_on_the_picked_company_and_contact(
        admin_client, acme):
    company, contact, invoice = acme
    response = _preview(admin_client, company, contact, purpose="payment_reminder",
                        subject="Invoice {{ document.number }} for {{ company.name }}",
                        body="<p>Dear {{ contact.first_name }},</p><p>{{ document.balance|"
                             "money(document.currency) }} is due since "
                             "{{ document.due_date|date('%Y-%m-%d') }}.</p>"
                             "<p><a href=\"https://pay.example\">Pay</a> — {{ user.full_name }}"
                             "</p>")
    assert response.status_code == 200
    parts = response.get_json()
    assert parts["ok"] and parts["sample"] == []
    assert parts["subject"] == "Invoice INV-2026-0042 for Acme & Sons"
    assert "<p>Dear Ann,</p>" in parts["html"] and "121.00 EUR" in parts["html"]
    assert invoice.due_date.isoformat() in parts["html"]
    assert "Ada Admin" in parts["html"]
    assert parts["text"].startswith("Dear Ann,\n\n121.00 EUR is due since")
    assert "Pay (https://pay.example)" in parts["text"]


def test_preview_escapes_company_data_in_html_only(admin_client, make_company):
    company = make_company("<script>alert(1)</script> Ltd")
    parts = _preview(admin_client, company, subject="{{ company.name }}",
                     body="<p>{{ company.name }}</p>").get_json()
    assert "<script>" not in parts["html"] and "&lt;script&gt;" in parts["html"]
    assert parts["subject"] == "<script>alert(1)</script> Ltd"  # a subject is plain text
    assert parts["text"] == "<script>alert(1)</script> Ltd"


def test_plain_text_body_gets_an_html_part(admin_client, acme):
    company, contact, _invoice = acme
    parts = _preview(admin_client, company, contact, subject="Hello",
                     body="Hello {{ contact.first_name }},\n\nSee you & soon.\nBye").get_json()
    assert parts["html"] == "<p>Hello Ann,</p><p>See you &amp; soon.<br>Bye</p>"
    assert parts["text"] == "Hello Ann,\n\nSee you & soon.\nBye"


def test_preview_without_such_a_document_uses_example_values(admin_client, make_company):
    parts = _preview(admin_client, make_company("Empty Co"), purpose="quote_sending",
                     subject="{{ document.title }}", body="x").get_json()
    assert parts["ok"] and parts["sample"] == ["document"]
    assert parts["subject"] == "Invoice INV-2026-0001"


def test_preview_reports_a_syntax_error_with_its_line(admin_client, acme):
    response = _preview(admin_client, acme[0], subject="Hi",
                        body="Hello\n{{ contact.first_name }\nBye")
    assert response.status_code == 422
    result = response.get_json()
    assert result["ok"] is False and result["line"] == 2 and "Line 2" in result["error"]


def test_preview_reports_an_unknown_variable(admin_client, acme):
    result = _preview(admin_client, acme[0], subject="Hi",
                      body="Hello {{ contact.nickname }}").get_json()
    assert result["ok"] is False and "contact has no variable 'nickname'" in result["error"]
    result = _preview(admin_client, acme[0], subject="{{ invoice.number }}", body="x").get_json()
    assert "unknown variable 'invoice'" in result["error"]
    # The document is only there for the purposes that are about one.
    result = _preview(admin_client, acme[0], purpose="exchange", subject="{{ document.number }}",
                      body="x").get_json()
    assert "unknown variable 'document'" in result["error"]


@pytest.mark.parametrize("payload", ["{{ ''.__class__.__mro__ }}", "{{ config }}",
                                     "{{ self }}", "{{ cycler.__init__.__globals__ }}",
                                     "{{ request }}", "{{ config.SECRET_KEY }}"])
def test_preview_of_ssti_payloads_shows_nothing_dangerous(admin_client, app, acme, payload):
    for field in ("subject", "body"):
        response = _preview(admin_client, acme[0], **{"subject": "x", "body": "x",
                                                      field: payload})
        body = response.get_data(as_text=True)
        assert response.status_code == 422, payload
        assert app.config["SECRET_KEY"] not in body and "<class" not in body
        assert "SQLALCHEMY" not in body


def test_preview_of_a_huge_loop_returns_quickly_with_an_error(admin_client, acme):
    started = time.monotonic()
    with bounded():
        response = _preview(admin_client, acme[0], subject="x",
                            body="{% for i in range(10**9) %}{% for j in range(10**9) %}x"
                                 "{% endfor %}{% endfor %}")
    assert time.monotonic() - started < 5
    assert response.status_code == 422 and "range()" in response.get_json()["error"]


def test_preview_ignores_a_contact_of_another_company(admin_client, acme, make_company):
    other = make_company("Other")
    parts = _preview(admin_client, other, acme[1], subject="[{{ contact.full_name }}]",
                     body="x").get_json()
    assert parts["subject"] == "[]"


def test_preview_pickers_find_companies_and_their_contacts(admin_client, acme, make_company):
    make_company("Zeta 100% Ltd")
    found = admin_client.get("/admin/templates/companies/?q=acme").get_json()
    assert [c["name"] for c in found] == ["Acme & Sons"]
    assert admin_client.get("/admin/templates/companies/?q=100%").get_json()[0]["name"] == \
        "Zeta 100% Ltd"
    contacts = admin_client.get(f"/admin/templates/contacts/?company_id={acme[0].id}").get_json()
    assert contacts == [{"id": acme[1].id, "name": "Ann Lee"}]


# --- saving: the rules ---------------------------------------------------------------------------

def test_saving_refuses_a_syntax_error_with_its_line_and_saves_nothing(admin_client):
    response = admin_client.post("/admin/templates/save/", data={
        "kind": "email", "name": "Broken", "purpose": "exchange", "subject": "Hello",
        "body": "Line one\nLine two {% if contact.first_name %}\nno end"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Body, line 2" in html and "no end" in html  # the message, and what was typed
    assert db.session.scalar(select(EmailTemplate)) is None


def test_saving_refuses_unknown_variables_and_fields(admin_user):
    with pytest.raises(TemplateProblem, match="unknown variable 'config'"):
        _email(body="{{ config }}")
    with pytest.raises(TemplateProblem, match="Subject, line 1: company has no variable 'nmae'"):
        _email(subject="{{ company.nmae }}")
    with pytest.raises(TemplateProblem, match="unknown variable 'document'"):
        _email(purpose="exchange", body="{{ document.number }}")
    db.session.rollback()
    assert db.session.scalar(select(EmailTemplate)) is None


def test_a_document_text_is_checked_too(admin_user):
    with pytest.raises(TemplateProblem, match="user"):
        save_template("document", None, {"name": "N", "purpose": "invoice_notes",
                                         "body": "{{ user.full_name }}"})


def test_html_bodies_are_sanitised_but_keep_their_jinja():
    body = ('<p onclick="x()">Total {% if document.total_incl_tax > 100 %}high{% endif %}'
            '</p><script>steal()</script><a href="{{ company.website }}">site</a>')
    clean = clean_email_body(body)
    assert "onclick" not in clean and "<script>" not in clean
    assert "{% if document.total_incl_tax > 100 %}" in clean
    assert 'href="{{ company.website }}"' in clean
    assert clean_email_body("Plain & simple <3") == "Plain & simple <3"


def test_one_default_email_template_per_purpose(admin_user):
    first = _email("First", is_default=True)
    other_purpose = _email("Quote mail", purpose="quote_sending", is_default=True)
    second = _email("Second", is_default=True)
    db.session.commit()
    assert (first.is_default, second.is_default, other_purpose.is_default) == (False, True, True)
    make_default("email", first)
    db.session.commit()
    db.session.expire_all()
    defaults = db.session.execute(select(EmailTemplate.purpose, EmailTemplate.name)
                                  .where(EmailTemplate.is_default)
                                  .order_by(EmailTemplate.purpose)).all()
    assert [tuple(row) for row in defaults] == [("payment_reminder", "First"),
                                                ("quote_sending", "Quote mail")]


@pytest.mark.parametrize("model, fields", [
    (EmailTemplate, {"purpose": "invoice_sending", "subject": "S"}),
    (DocumentText, {"purpose": "invoice_footer"}),
    (CommentTemplate, {}),
])
def test_the_database_refuses_two_defaults_for_one_purpose(model, fields):
    db.session.add(model(name="One", body="a", is_default=True, **fields))
    db.session.commit()
    db.session.add(model(name="Two", body="b", is_default=False, **fields))
    db.session.commit()  # any number of non-defaults
    db.session.add(model(name="Three", body="c", is_default=True, **fields))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_an_unknown_purpose():
    db.session.add(EmailTemplate(name="X", subject="S", body="", purpose="spam"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_page_create_duplicate_rename_make_default_delete(admin_client):
    response = admin_client.post("/admin/templates/save/", data={
        "kind": "document", "name": "Bank details", "purpose": "invoice_footer",
        "body": "Pay to {{ sender.name }}", "is_default": "y"})
    assert response.status_code == 302
    text = db.session.scalar(select(DocumentText))
    assert text.is_default and text.purpose == "invoice_footer"
    admin_client.post("/admin/templates/duplicate/", data={"kind": "document", "id": text.id})
    copy = db.session.scalar(select(DocumentText).where(DocumentText.id != text.id))
    assert copy.name == "Bank details (copy)" and not copy.is_default
    admin_client.post("/admin/templates/rename/", data={"kind": "document", "id": copy.id,
                                                        "name": "Bank details 2027"})
    admin_client.post("/admin/templates/default/", data={"kind": "document", "id": copy.id})
    db.session.expire_all()
    assert db.session.get(DocumentText, copy.id).name == "Bank details 2027"
    assert db.session.get(DocumentText, copy.id).is_default
    assert not db.session.get(DocumentText, text.id).is_default
    html = admin_client.post("/admin/templates/rename/", data={
        "kind": "document", "id": copy.id, "name": "Bank details"},
        follow_redirects=True).get_data(as_text=True)
    assert "already called" in html
    admin_client.post("/admin/templates/delete/", data={"kind": "document", "id": text.id})
    assert db.session.scalars(select(DocumentText.name)).all() == ["Bank details 2027"]
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "delete",
                                                    AuditLog.entity_type == "DocumentText"))


def test_comment_templates_keep_their_one_default_on_the_page(admin_client):
    db.session.add(CommentTemplate(name="Old", body="<p>old</p>", is_default=True))
    db.session.commit()
    admin_client.post("/admin/templates/save/", data={
        "kind": "comment", "name": "New", "body": "<p>new</p><script>x()</script>",
        "is_default": "y"})
    rows = db.session.execute(select(CommentTemplate.name, CommentTemplate.body,
                                     CommentTemplate.is_default)
                              .order_by(CommentTemplate.name)).all()
    assert [tuple(r) for r in rows] == [("New", "<p>new</p>", True), ("Old", "<p>old</p>", False)]


def test_deleting_a_used_template_leaves_the_past_exchange_text_intact(admin_client, acme):
    company, contact, _invoice = acme
    template = _email("Chaser", subject="Reminder for {{ company.name }}",
                      body="Dear {{ contact.first_name }}")
    db.session.commit()
    exchange = Exchange(company=company, contact=contact, kind="email",
                        title="Reminder for Acme & Sons", body="Dear Ann",
                        occurred_at=datetime(2026, 1, 5, 10, 0), email_status="sent",
                        email_template_id=template.id)
    db.session.add(exchange)
    db.session.commit()
    response = admin_client.post("/admin/templates/delete/", data={"kind": "email",
                                                                  "id": template.id})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(EmailTemplate, template.id) is None
    kept = db.session.get(Exchange, exchange.id)
    assert (kept.title, kept.body, kept.email_status) == ("Reminder for Acme & Sons", "Dear Ann",
                                                          "sent")
    assert kept.email_template_id is None


def test_templates_page_shows_tabs_variables_and_the_list_views(admin_client, admin_user):
    _email("Chaser", is_default=True)
    db.session.commit()
    html = admin_client.get("/admin/templates/").get_data(as_text=True)
    for marker in ('data-tab="comment"', 'data-tab="email"', 'data-tab="document"',
                   'data-template="Chaser"', "data-default", "/admin/emailtemplate/",
                   "{{ contact.first_name }}", "templates_page.js", "data-preview-url"):
        assert marker in html, marker
    html = admin_client.get("/admin/templates/?tab=comment").get_data(as_text=True)
    assert "/admin/commenttemplate/" in html
    assert admin_client.get("/admin/templates/?tab=email&id=999999").status_code == 404


# --- the list views follow the same rules ---------------------------------------------------------

def test_email_template_list_view_checks_syntax_and_one_default(admin_client, admin_user):
    html = admin_client.post("/admin/emailtemplate/new/", data={
        "name": "Bad", "purpose": "exchange", "subject": "Hi", "body": "{% for x in %}"},
        follow_redirects=True).get_data(as_text=True)
    assert "Body, line 1" in html and db.session.scalar(select(EmailTemplate)) is None
    _email("Old default", purpose="invoice_sending", is_default=True)
    db.session.commit()
    response = admin_client.post("/admin/emailtemplate/new/", data={
        "name": "New default", "purpose": "invoice_sending", "subject": "Invoice {{ "
        "document.number }}", "body": "Hello", "is_default": "y"})
    assert response.status_code == 302
    defaults = db.session.scalars(select(EmailTemplate.name).where(EmailTemplate.is_default))
    assert defaults.all() == ["New default"]


def test_service_refuses_a_taken_name(admin_user):
    _email("Same")
    with pytest.raises(Refusal, match="already called"):
        _email("Same")


# --- PDFs print the default document texts ---------------------------------------------------------

def test_invoice_pdf_prints_the_default_notes_and_footer(admin_client, acme):
    from io import BytesIO

    from pypdf import PdfReader
    company, _contact, invoice = acme
    for purpose, body in (("invoice_notes", "Thank you, {{ contact.first_name }}."),
                          ("invoice_footer", "{{ sender.name }} - pay {{ document.number }}")):
        save_template("document", None, {"name": purpose, "purpose": purpose, "body": body,
                                         "is_default": True})
    save_template("document", None, {"name": "Not default", "purpose": "invoice_notes",
                                     "body": "NEVER PRINTED"})
    db.session.commit()
    response = admin_client.get(f"/admin/invoice/pdf/?id={invoice.id}")
    assert response.status_code == 200
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(response.data)).pages)
    assert "Thank you, Ann." in text and "pay INV-2026-0042" in text
    assert "NEVER PRINTED" not in text


# --- users ---------------------------------------------------------------------------------------

def _endpoints(app, prefixes):
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in prefixes:
            yield rule


def test_a_user_is_refused_on_every_templates_and_my_documents_endpoint(app, user_client,
                                                                        admin_user):
    template = _email("Kept")
    db.session.commit()
    rules = list(_endpoints(app, {"templates", "my_documents"}))
    assert len(rules) >= 13
    for rule in rules:
        for method in sorted(rule.methods & {"GET", "POST"}):
            response = user_client.open(rule.rule, method=method,
                                        data={"kind": "email", "id": template.id, "name": "X",
                                              "subject": "x", "body": "x"}
                                        if method == "POST" else None)
            assert response.status_code == 403, (method, rule.rule)
    db.session.expire_all()
    assert db.session.scalars(select(EmailTemplate.name)).all() == ["Kept"]


def test_the_preview_needs_the_csrf_token(admin_client, acme):
    response = admin_client.post("/admin/templates/preview/", data={
        "kind": "email", "subject": "x", "body": "x"}, csrf=False)
    assert response.status_code == 400


def test_demo_templates_follow_the_rules_and_render_on_demo_data(app):
    from admin_app.models import Company, Invoice
    from admin_app.services.templates import check_template, document_texts, preview
    app.test_cli_runner().invoke(args=["seed-demo", "--companies", "5"])
    for kind, model in (("email", EmailTemplate), ("document", DocumentText)):
        for template in db.session.scalars(select(model)):
            check_template(kind, template.purpose, template.body,
                           getattr(template, "subject", ""))
    invoice = db.session.scalar(select(Invoice).where(Invoice.number.is_not(None)).limit(1))
    assert invoice.number in document_texts(invoice)["footer"]
    reminder = db.session.scalar(select(EmailTemplate).where(
        EmailTemplate.purpose == "payment_reminder"))
    company = db.session.get(Company, invoice.company_id)
    parts = preview("email", reminder.purpose, reminder.body, reminder.subject, company)
    assert company.name in parts["subject"] and parts["sample"] == []
