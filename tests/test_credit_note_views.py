"""The credit pages: the invoice page offers Credit (never Cancel), the form credits all or part
of an invoice, bad input changes nothing, and the card refunds or applies the client's credit."""
from datetime import timedelta
from decimal import Decimal

import pytest

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import CreditNote, CreditUse, Invoice
from admin_app.services.payments import record_payment
from admin_app.services.sales import issue_invoice
from tests.card_support import card_url
from tests.conftest import csrf_from


@pytest.fixture
def invoice(make_company, make_document):
    issued_on = clock.today() - timedelta(days=5)
    invoice = make_document("invoice", make_company("Views SL"),
                            lines=[("2", "100.00", "20"), ("1", "50.00", "10")],
                            issue_date=issued_on, due_date=issued_on + timedelta(days=30))
    issue_invoice(invoice)
    db.session.commit()
    return invoice


def _form(client, invoice_id):
    page = client.get(f"/admin/creditnote/credit/?invoice_id={invoice_id}").get_data(as_text=True)
    return page, csrf_from(page)


def _notes() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(CreditNote))


def test_the_invoice_page_offers_credit_and_the_form_credits_chosen_lines(admin_client,
                                                                          invoice):
    page = admin_client.get(f"/admin/invoice/details/?id={invoice.id}").get_data(as_text=True)
    assert 'data-action="credit"' in page and 'data-action="cancel"' not in page
    form, token = _form(admin_client, invoice.id)
    assert 'data-credit-left="295.00"' in form
    line = invoice.lines[0]
    response = admin_client.post("/admin/creditnote/credit/", data={
        "csrf_token": token, "invoice_id": invoice.id, "mode": "part", f"qty-{line.id}": "1",
        "amount": "10", "amount_tax_rate": "20", "amount_description": "Discount",
        "reason": "Price error"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Credit note CN-" in html and 'data-section="credit-notes"' in html
    db.session.expire_all()
    note = db.session.scalars(db.select(CreditNote)).one()
    assert note.total_incl_tax == Decimal("132.00") and note.reason == "Price error"
    assert db.session.get(Invoice, invoice.id).balance == Decimal("163.00")
    pdf = admin_client.get(f"/admin/creditnote/pdf/?id={note.id}")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


@pytest.mark.parametrize("data", [
    {"mode": "part"},  # nothing chosen
    {"mode": "part", "amount": "abc"},
    {"mode": "part", "amount": "NaN"},
    {"mode": "part", "amount": "1e40"},
    {"mode": "part", "amount": "-5"},
    {"mode": "part", "amount": "9999"},  # more than the invoice
    {"mode": "part", "amount": "5", "amount_tax_rate": "150"},
    {"mode": "part", "qty-LINE": "3"},  # more than invoiced
    {"mode": "part", "qty-LINE": "1\x00"},
])
def test_bad_credit_input_is_refused_with_a_message_and_changes_nothing(admin_client, invoice,
                                                                       data):
    _, token = _form(admin_client, invoice.id)
    line = invoice.lines[0]
    data = {k.replace("LINE", str(line.id)): v for k, v in data.items()}
    response = admin_client.post("/admin/creditnote/credit/", data={
        "csrf_token": token, "invoice_id": invoice.id, **data})
    assert response.status_code == 200
    assert 'class="alert alert-danger' in response.get_data(as_text=True) or \
        "alert-error" in response.get_data(as_text=True)
    assert _notes() == 0


def test_a_draft_or_missing_invoice_is_not_credited(admin_client, make_company, make_document):
    draft = make_document("invoice", make_company())
    assert admin_client.get(f"/admin/creditnote/credit/?invoice_id={draft.id}").status_code == 302
    assert admin_client.get("/admin/creditnote/credit/?invoice_id=99999999999").status_code == 302
    assert _notes() == 0


def test_the_card_shows_the_client_credit_and_refunds_it(admin_client, invoice):
    record_payment(invoice, Decimal("295.00"), clock.today())
    db.session.commit()
    _, token = _form(admin_client, invoice.id)
    admin_client.post("/admin/creditnote/credit/", data={"csrf_token": token,
                                                      "invoice_id": invoice.id, "mode": "full"})
    card = admin_client.get(card_url(invoice.company_id)).get_data(as_text=True)
    assert 'data-client-credit="295.00"' in card and 'data-form="refund-credit"' in card
    response = admin_client.post("/admin/creditnote/refund/", data={
        "csrf_token": csrf_from(card), "invoice_id": invoice.id, "amount": "95",
        "used_on": clock.today().isoformat(), "method": "transfer"}, follow_redirects=True)
    assert 'data-client-credit="200.00"' in response.get_data(as_text=True)
    refused = admin_client.post("/admin/creditnote/refund/", data={
        "csrf_token": csrf_from(card), "invoice_id": invoice.id, "amount": "500",
        "used_on": clock.today().isoformat()}, follow_redirects=True)
    assert "is too much" in refused.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(CreditUse)) == 1
