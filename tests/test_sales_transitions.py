"""Each allowed and refused transition of quotes, orders and invoices."""
from datetime import date
from decimal import Decimal

import pytest

from admin_app.extensions import db
from admin_app.models import AuditLog, Opportunity, PipelineStage
from admin_app.services import sales
from admin_app.services.sales import SalesError


@pytest.fixture
def company(make_company):
    return make_company()


def test_sending_a_draft_quote_numbers_it(company, make_document):
    quote = make_document("quote", company)
    sales.send_quote(quote)
    db.session.commit()
    assert (quote.status, quote.number) == ("sent", f"QUO-{date.today().year}-0001")
    assert db.session.scalar(db.select(AuditLog.action).where(AuditLog.entity_type == "Quote")) \
        == "transition"


def test_a_quote_without_lines_cannot_be_sent(company, make_document):
    with pytest.raises(SalesError, match="no lines"):
        sales.send_quote(make_document("quote", company, lines=()))


def test_accepting_a_sent_quote_creates_the_order_and_wins_the_opportunity(company,
                                                                          make_document):
    stage = PipelineStage(name="Proposal", position=0, probability=50)
    opportunity = Opportunity(company=company, title="Deal", amount=Decimal("100"), stage=stage)
    db.session.add_all([stage, opportunity])
    quote = make_document("quote", company, lines=[("2", "10.00", "20"), ("1", "5.00", "10")],
                          opportunity_id=None)
    quote.opportunity = opportunity
    sales.send_quote(quote)
    order = sales.accept_quote(quote)
    db.session.commit()
    assert quote.status == "accepted" and quote.decided_at is not None
    assert order.status == "open" and order.quote_id == quote.id
    assert order.number == f"ORD-{date.today().year}-0001"
    assert [(l.description, l.total_excl_tax) for l in order.lines] == [
        (l.description, l.total_excl_tax) for l in quote.lines]
    assert order.total_incl_tax == quote.total_incl_tax == Decimal("29.50")
    assert (opportunity.status, opportunity.closed_on) == ("won", date.today())


@pytest.mark.parametrize("action,status", [("refuse", "refused"), ("expire", "expired")])
def test_a_sent_quote_can_be_refused_or_expired(company, make_document, action, status):
    quote = make_document("quote", company)
    sales.send_quote(quote)
    sales.QUOTE_ACTIONS[action](quote)
    assert quote.status == status


@pytest.mark.parametrize("start,action", [
    ("draft", "accept"), ("draft", "refuse"), ("draft", "expire"), ("accepted", "send"),
    ("accepted", "refuse"), ("refused", "accept"), ("expired", "accept"), ("sent", "send")])
def test_refused_quote_transitions(company, make_document, start, action):
    quote = make_document("quote", company, status=start)
    with pytest.raises(SalesError, match="cannot be"):
        sales.QUOTE_ACTIONS[action](quote)
    assert quote.status == start


def test_an_order_is_invoiced_fully_in_one_go(company, make_document):
    order = make_document("order", company, lines=[("3", "10.00", "20")], number="ORD-X-1")
    invoice = sales.invoice_order(order)
    db.session.commit()
    assert invoice.status == "draft" and invoice.order_id == order.id
    assert invoice.total_incl_tax == order.total_incl_tax
    assert order.status == "invoiced"
    with pytest.raises(SalesError, match="invoiced: it cannot"):
        sales.invoice_order(order)


def test_an_order_is_invoiced_in_parts_per_tax_rate(company, make_document):
    order = make_document("order", company, number="ORD-X-2",
                          lines=[("1", "1000.00", "20"), ("2", "250.00", "10")])
    first = sales.invoice_order(order, Decimal("30"))
    db.session.commit()
    assert first.total_excl_tax == Decimal("450.00")
    assert sorted((l.tax_rate, l.unit_price) for l in first.lines) == [
        (Decimal("10.00"), Decimal("150.00")), (Decimal("20.00"), Decimal("300.00"))]
    assert order.status == "open" and sales.invoiced_amount(order) == Decimal("450.00")
    rest = sales.invoice_order(order)
    db.session.commit()
    assert rest.total_excl_tax == Decimal("1050.00")
    assert first.total_incl_tax + rest.total_incl_tax == order.total_incl_tax
    assert order.status == "invoiced"


def test_an_issued_invoice_is_never_cancelled_but_corrected_by_a_credit_note(company,
                                                                            make_document):
    order = make_document("order", company, number="ORD-X-3")
    invoice = sales.invoice_order(order)
    sales.issue_invoice(invoice)
    with pytest.raises(SalesError, match="credit note"):
        sales.cancel_invoice(invoice)
    assert invoice.status == "issued" and order.status == "invoiced"


@pytest.mark.parametrize("percent", ["0", "-5", "120"])
def test_a_part_outside_0_to_100_percent_is_refused(company, make_document, percent):
    order = make_document("order", company, number="ORD-X-4")
    with pytest.raises(SalesError, match="percentage"):
        sales.invoice_order(order, Decimal(percent))


def test_an_order_is_closed_by_hand_and_then_refuses_invoicing(company, make_document):
    order = make_document("order", company, number="ORD-X-5")
    sales.close_order(order)
    assert order.status == "closed" and order.closed_at is not None
    with pytest.raises(SalesError):
        sales.invoice_order(order)
    with pytest.raises(SalesError):
        sales.close_order(order)


def test_issuing_a_draft_invoice_numbers_and_freezes_it(company, make_document):
    invoice = make_document("invoice", company)
    sales.issue_invoice(invoice)
    db.session.commit()
    assert invoice.status == "issued" and invoice.issued_at is not None
    with pytest.raises(SalesError, match="cannot change"):
        sales.ensure_editable(invoice)
    with pytest.raises(SalesError, match="cannot be deleted"):
        sales.ensure_deletable(invoice)


@pytest.mark.parametrize("start,action", [("draft", "cancel"), ("issued", "issue"),
                                          ("cancelled", "issue"), ("cancelled", "cancel")])
def test_refused_invoice_transitions(company, make_document, start, action):
    invoice = make_document("invoice", company, status=start,
                            number=None if start == "draft" else f"T-{start}")
    with pytest.raises(SalesError, match="cannot be"):
        sales.INVOICE_ACTIONS[action](invoice)
    assert invoice.status == start


def test_an_invoice_with_payments_cannot_be_cancelled(company, make_invoice):
    invoice = make_invoice(company, payments=[("10.00", date.today())])
    with pytest.raises(SalesError, match="credit note"):
        sales.cancel_invoice(invoice)


def test_an_invoice_without_lines_cannot_be_issued(company, make_document):
    with pytest.raises(SalesError, match="no lines"):
        sales.issue_invoice(make_document("invoice", company, lines=()))


def test_a_draft_without_number_can_be_deleted(company, make_document):
    sales.ensure_deletable(make_document("invoice", company))
    sales.ensure_deletable(make_document("quote", company))


def test_a_paid_invoice_page_does_not_offer_cancel_and_says_why(admin_client, make_company,
                                                                make_invoice):
    from datetime import date as _date
    invoice = make_invoice(make_company("Paid Co"), payments=[("10.00", _date.today())])
    html = admin_client.get(f"/admin/invoice/details/?id={invoice.id}").get_data(as_text=True)
    assert 'data-action="cancel"' not in html
    assert "cannot be cancelled" in html
