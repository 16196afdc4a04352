"""The card's money figures against hand-computed fixtures, to the cent."""
from datetime import date
from decimal import Decimal

from admin_app.extensions import db
from admin_app.services.sales_history import pending_documents
from admin_app.services.card_money import company_kpis, monthly_revenue
from tests.card_support import card_url, days, kpi_values, make_order, make_quote


def _mixed_client(make_company, make_invoice):
    company = make_company("Mixed Payments SL")
    # A: 120.00 incl. tax, 50.00 paid, overdue: 70.00 unpaid.
    make_invoice(company, [("1", "100.00", "20")], issue_date=days(-60), due_date=days(-30),
                 payments=[("50.00", days(-40))])
    # B: 3 x 33.33 = 99.99 + 20.00 tax (19.998 rounded) = 119.99, paid in two payments;
    # the second one, 20 days after issue, completes it.
    make_invoice(company, [("3", "33.33", "20")], issue_date=days(-100), due_date=days(-70),
                 payments=[("60.00", days(-90)), ("59.99", days(-80))])
    # C: 200.00 not yet due, nothing paid.
    make_invoice(company, [("1", "200.00", "0")], issue_date=days(-50), due_date=days(10))
    # D and E: draft and cancelled invoices count nowhere.
    make_invoice(company, [("1", "1000.00", "20")], status="draft")
    make_invoice(company, [("1", "500.00", "20")], status="cancelled",
                 issue_date=days(-90), due_date=days(-60))
    # F: 10.00 paid in full 5 days after issue.
    make_invoice(company, [("1", "10.00", "0")], issue_date=days(-30), due_date=days(-15),
                 payments=[("10.00", days(-25))])
    return company


def test_kpis_of_a_client_with_partial_full_draft_and_cancelled_invoices(make_company,
                                                                          make_invoice):
    company = _mixed_client(make_company, make_invoice)
    kpis = company_kpis(company.id)
    assert kpis.revenue == Decimal("409.99")  # 100.00 + 99.99 + 200.00 + 10.00
    assert kpis.outstanding == Decimal("270.00")  # 70.00 + 200.00
    assert kpis.unpaid_count == 1
    assert kpis.unpaid_amount == Decimal("70.00")
    assert kpis.average_payment_delay == Decimal("12.5")  # (20 + 5) / 2


def test_card_shows_the_kpis_as_machine_readable_values(admin_client, make_company,
                                                        make_invoice):
    company = _mixed_client(make_company, make_invoice)
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert kpi_values(html) == {"revenue": "409.99", "outstanding": "270.00",
                                "unpaid-count": "1", "unpaid-amount": "70.00",
                                "average-payment-delay": "12.5"}
    assert 'data-kpi="unpaid-count" data-value="1"' in html
    assert "kpi-alert" in html  # unpaid figures are highlighted when non-zero


def test_client_without_invoices_has_empty_kpis(admin_client, make_company):
    company = make_company("Brand New SA")
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert kpi_values(html) == {"revenue": "", "outstanding": "", "unpaid-count": "",
                                "unpaid-amount": "", "average-payment-delay": ""}
    assert "No issued invoice yet" in html


def test_drafts_and_cancelled_invoices_alone_leave_the_kpis_empty(make_company, make_invoice):
    company = make_company()
    make_invoice(company, status="draft")
    make_invoice(company, status="cancelled")
    kpis = company_kpis(company.id)
    assert (kpis.revenue, kpis.outstanding, kpis.unpaid_count, kpis.average_payment_delay) == \
        (None, None, None, None)


def test_invoice_due_today_is_not_yet_unpaid(make_company, make_invoice):
    company = make_company()
    make_invoice(company, issue_date=days(-30), due_date=days(0))
    make_invoice(company, issue_date=days(-31), due_date=days(-1))
    kpis = company_kpis(company.id)
    assert kpis.unpaid_count == 1
    assert kpis.unpaid_amount == Decimal("120.00")
    assert kpis.outstanding == Decimal("240.00")


def test_paid_client_shows_zero_unpaid_and_no_highlight(admin_client, make_company,
                                                        make_invoice):
    company = make_company()
    make_invoice(company, issue_date=days(-40), due_date=days(-10),
                 payments=[("120.00", days(-33))])
    values = kpi_values(admin_client.get(card_url(company.id)).get_data(as_text=True))
    assert values == {"revenue": "100.00", "outstanding": "0.00", "unpaid-count": "0",
                      "unpaid-amount": "0.00", "average-payment-delay": "7.0"}


def test_money_sums_stay_exact_to_the_cent(make_company, make_invoice):
    company = make_company()
    for _ in range(10):  # ten times 0.10: a float sum would not give 1.00
        make_invoice(company, [("1", "0.10", "0")], issue_date=days(-5), due_date=days(-1),
                     payments=[("0.03", days(-2))])
    make_invoice(company, [("7", "0.15", "5.5")], issue_date=days(-5), due_date=days(-1))
    kpis = company_kpis(company.id)
    # 7 x 0.15 = 1.05; tax 5.5% of 1.05 = 0.05775 -> 0.06; incl. 1.11
    assert kpis.revenue == Decimal("2.05")
    assert kpis.outstanding == Decimal("1.81")  # 10 x 0.07 + 1.11
    assert kpis.unpaid_count == 11
    assert kpis.unpaid_amount == Decimal("1.81")


def test_average_delay_rounds_half_up_to_one_decimal(make_company, make_invoice):
    company = make_company()
    for delay in (1, 1, 1, 2):  # 5 / 4 = 1.25 -> 1.3 (half-up, not banker's 1.2)
        make_invoice(company, [("1", "10.00", "0")], issue_date=days(-50), due_date=days(-20),
                     payments=[("10.00", days(-50 + delay))])
    assert company_kpis(company.id).average_payment_delay == Decimal("1.3")


def test_average_delay_uses_the_completing_payment_not_the_stored_paid_on(make_company,
                                                                          make_invoice):
    company = make_company()
    invoice = make_invoice(company, [("1", "100.00", "0")], issue_date=days(-60),
                           due_date=days(-30),
                           payments=[("40.00", days(-50)), ("60.00", days(-45))])
    invoice.paid_on = None  # the stored shortcut may be missing or stale
    db.session.commit()
    assert company_kpis(company.id).average_payment_delay == Decimal("15.0")


def test_partly_paid_invoices_do_not_count_in_the_average_delay(make_company, make_invoice):
    company = make_company()
    make_invoice(company, [("1", "100.00", "0")], issue_date=days(-60), due_date=days(-30),
                 payments=[("99.99", days(-59))])
    kpis = company_kpis(company.id)
    assert kpis.average_payment_delay is None
    assert kpis.unpaid_amount == Decimal("0.01")


def test_other_companies_invoices_never_leak_into_the_kpis(make_company, make_invoice):
    mine, other = make_company("Mine"), make_company("Other")
    make_invoice(mine, [("1", "10.00", "0")])
    make_invoice(other, [("1", "999.00", "0")], payments=[("999.00", days(-1))])
    assert company_kpis(mine.id).revenue == Decimal("10.00")
    assert company_kpis(mine.id).average_payment_delay is None


def test_monthly_revenue_covers_the_last_twelve_months_of_issued_invoices(make_company,
                                                                          make_invoice):
    company = make_company()
    today = date.today()
    first_of_month = today.replace(day=1)
    make_invoice(company, [("1", "100.00", "20")], issue_date=first_of_month)
    make_invoice(company, [("1", "50.50", "20")], issue_date=first_of_month)
    make_invoice(company, [("1", "999.00", "20")], status="draft", issue_date=first_of_month)
    make_invoice(company, [("1", "70.00", "0")],
                 issue_date=date(today.year - 1, today.month, 1))  # 12 months ago: outside
    months = monthly_revenue(company.id)
    assert len(months) == 12
    assert (months[-1].year, months[-1].month) == (today.year, today.month)
    assert months[-1].amount == Decimal("150.50")
    assert sum(m.amount for m in months) == Decimal("150.50")


def test_pending_lists_quotes_orders_and_invoices_with_their_balances(make_company,
                                                                      make_invoice):
    company = make_company()
    sent, draft = make_quote(company, "sent"), make_quote(company, "draft")
    make_quote(company, "accepted")
    make_quote(company, "refused")
    partly = make_order(company, total="1000.00")
    fully = make_order(company, total="300.00")
    make_order(company, status="closed")
    for order, amount, status in ((partly, "400.00", "issued"), (partly, "500.00", "cancelled"),
                                  (fully, "300.00", "issued")):
        invoice = make_invoice(company, [("1", amount, "0")], status=status,
                               payments=[(amount, days(-1))] if order is fully else ())
        invoice.order_id = order.id
    db.session.commit()
    paid = make_invoice(company, [("1", "10.00", "0")], payments=[("10.00", days(-1))])
    draft_invoice = make_invoice(company, status="draft")
    pending = pending_documents(company.id)
    assert {r.document.id for r in pending["quote"].rows} == {sent.id, draft.id}
    assert [(r.document.id, r.done, r.left) for r in pending["order"].rows] == \
        [(partly.id, Decimal("400.00"), Decimal("600.00"))]
    balances = {r.document.id: r.left for r in pending["invoice"].rows}
    assert paid.id not in balances
    assert balances[draft_invoice.id] == Decimal("120.00")
    assert {kind: page.total for kind, page in pending.items()} == \
        {"quote": 2, "order": 1, "invoice": len(balances)}
