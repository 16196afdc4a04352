"""Payment reminders reach a real SMTP server: the billing contact gets the "payment reminder"
template with the invoice PDF attached, recorded as an email exchange; one from the invoice page
or the card, many from the list; invoices that are not overdue are left alone."""
from datetime import timedelta
from decimal import Decimal

import pytest

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import Exchange, OutboxMessage
from admin_app.services.pdf import document_pdf
from admin_app.services.sales import issue_invoice
from tests.card_support import card_url
from tests.conftest import csrf_from
from tests.mail_support import add_contacts, add_template, parts

SUBJECT = "Reminder: {{ document.title }}"
BODY = ("<p>Dear {{ contact.first_name }}, {{ document.balance|money(document.currency) }} is due "
        "since {{ document.due_date|date }}.</p>")


@pytest.fixture
def overdue(make_company, make_document):
    """An overdue invoice (issued 40 days ago, due 10 days ago) and one not yet due."""
    company = make_company("Late Payer SL")
    add_contacts(company)
    # The migration's default (present in a fresh database) gives way to this one.
    db.session.execute(db.text("DELETE FROM email_templates"))
    template = add_template(subject=SUBJECT, body=BODY, name="Reminder",
                            purpose="payment_reminder")
    template.is_default = True
    db.session.commit()
    today = clock.today()
    late = make_document("invoice", company, issue_date=today - timedelta(days=40),
                         due_date=today - timedelta(days=10))
    fresh = make_document("invoice", company, issue_date=today, due_date=today + timedelta(days=30))
    for invoice in (late, fresh):
        issue_invoice(invoice)
    db.session.commit()
    return late, fresh


def test_a_reminder_from_the_invoice_page_reaches_the_billing_contact_with_the_pdf(
        admin_client, overdue, smtp_server):
    late, _fresh = overdue
    page = admin_client.get(f"/admin/invoice/details/?id={late.id}").get_data(as_text=True)
    assert 'data-action="send-reminder"' in page
    response = admin_client.post("/admin/invoice/remind/",
                                 data={"id": late.id, "csrf_token": csrf_from(page)},
                                 follow_redirects=True)
    assert "sent to bea@client.example" in response.get_data(as_text=True)
    [message] = smtp_server.messages
    assert message["To"] == "bea@client.example"
    assert message["Subject"] == f"Reminder: Invoice {late.number}"
    _text, html, attachments, _cal = parts(message)
    assert "Dear Bea" in html and "120.00" in html
    assert attachments == {f"{late.number}.pdf": document_pdf(late)}
    exchange = db.session.scalars(db.select(Exchange)).one()
    assert exchange.kind == "email" and exchange.email_status == "sent"
    assert exchange.company_id == late.company_id and exchange.email_to == "bea@client.example"


def test_an_invoice_that_is_not_overdue_gets_no_reminder(admin_client, overdue, smtp_server):
    _late, fresh = overdue
    page = admin_client.get(f"/admin/invoice/details/?id={fresh.id}").get_data(as_text=True)
    assert 'data-action="send-reminder"' not in page
    response = admin_client.post("/admin/invoice/remind/",
                                 data={"id": fresh.id, "csrf_token": csrf_from(page)},
                                 follow_redirects=True)
    assert "is not overdue" in response.get_data(as_text=True)
    assert smtp_server.messages == []
    assert db.session.scalar(db.select(db.func.count()).select_from(OutboxMessage)) == 0


def test_bulk_reminders_from_the_list_skip_what_is_not_overdue(admin_client, overdue,
                                                              smtp_server):
    late, fresh = overdue
    listing = admin_client.get("/admin/invoice/").get_data(as_text=True)
    response = admin_client.post("/admin/invoice/action/", data={
        "action": "remind", "rowid": [str(late.id), str(fresh.id)],
        "csrf_token": csrf_from(listing)}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "1 payment reminder(s) sent." in html and "is not overdue" in html
    assert [m["To"] for m in smtp_server.messages] == ["bea@client.example"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Exchange)) == 1


def test_the_card_sends_the_reminder_of_an_overdue_invoice(admin_client, overdue, smtp_server):
    late, _fresh = overdue
    card = admin_client.get(card_url(late.company_id)).get_data(as_text=True)
    assert card.count('data-action="send-reminder"') == 1
    response = admin_client.post("/admin/invoice/remind/", data={
        "id": late.id, "back": "card", "csrf_token": csrf_from(card)})
    assert response.status_code == 302 and card_url(late.company_id) in response.location
    assert len(smtp_server.messages) == 1
    paid = Decimal("120.00")
    from admin_app.services.payments import record_payment
    record_payment(late, paid, clock.today())
    db.session.commit()
    card = admin_client.get(card_url(late.company_id)).get_data(as_text=True)
    assert 'data-action="send-reminder"' not in card
