"""Balance and "overdue" mean one thing everywhere: the card, the invoice list, the dashboard,
the sales history, the invoice page and the SQL expressions all agree, to the cent."""
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from admin_app import clock
from admin_app.admin.dashboard import dashboard_data
from admin_app.extensions import db
from admin_app.models import Invoice
from admin_app.services.card_money import company_kpis
from admin_app.services.sales_history import history_page
from tests.card_support import card_url, days, kpi_values

# name: (lines, status, due in days from today, payments)
CASES = {
    "partly_paid": ([("1", "100.00", "20")], "issued", -30, [("50.00", -40)]),
    "fully_paid": ([("1", "100.00", "20")], "issued", -10, [("120.00", -20)]),
    "due_today": ([("1", "100.00", "20")], "issued", 0, []),
    "due_yesterday": ([("1", "100.00", "20")], "issued", -1, []),
    "draft": ([("1", "1000.00", "20")], "draft", -5, []),
    "cancelled": ([("1", "500.00", "20")], "cancelled", -60, []),
}
BALANCES = {"partly_paid": "70.00", "fully_paid": "0.00", "due_today": "120.00",
            "due_yesterday": "120.00"}
OVERDUE = {"partly_paid", "due_yesterday"}


@pytest.fixture
def invoices(make_company, make_invoice):
    """{case name: Invoice} for one company, as CASES describes them."""
    company = make_company("Balances SL")
    made = {}
    for name, (lines, status, due, payments) in CASES.items():
        made[name] = make_invoice(company, lines, status=status, issue_date=days(due - 30),
                                  due_date=days(due),
                                  payments=[(amount, days(when)) for amount, when in payments])
    return made


def _rows(html: str, marker: str) -> dict[str, str]:
    """{row key: the row's HTML} for the table rows carrying `marker="key"`."""
    return {m.group(1): m.group(0) for m in re.finditer(
        rf'<tr[^>]*{marker}="([^"]+)".*?</tr>', html, re.S)}


def _attr(html: str, name: str) -> str | None:
    found = re.search(rf'{name}="([^"]*)"', html)
    return found.group(1) if found else None


def test_card_list_dashboard_and_history_agree_on_balances_and_overdue(
        admin_client, invoices):
    company_id = invoices["draft"].company_id
    ids = {name: invoice.id for name, invoice in invoices.items()}

    card = admin_client.get(card_url(company_id)).get_data(as_text=True)
    assert kpi_values(card)["unpaid-count"] == str(len(OVERDUE))
    assert kpi_values(card)["unpaid-amount"] == "190.00"  # 70.00 + 120.00
    assert kpi_values(card)["outstanding"] == "310.00"  # every issued balance
    pending = {int(k): v for k, v in _rows(card, "data-id").items() if 'data-pending="invoice"' in v}
    for name in ("partly_paid", "due_today", "due_yesterday"):
        row = pending[ids[name]]
        assert _attr(row, "data-balance") == BALANCES[name], name
        assert _attr(row, "data-overdue") == ("1" if name in OVERDUE else "0"), name
    assert ids["fully_paid"] not in pending and ids["cancelled"] not in pending

    listing = admin_client.get("/admin/invoice/?page_size=50").get_data(as_text=True)
    for name, invoice in invoices.items():
        row = next(r for r in re.findall(r"<tr.*?</tr>", listing, re.S)
                   if f">{invoice.number or f'Invoice draft #{invoice.id}'}<" in r)
        assert _attr(row, "data-balance") == BALANCES.get(name), name
        assert _attr(row, "data-overdue") == (
            None if name not in BALANCES else "1" if name in OVERDUE else "0"), name

    assert dashboard_data(0)["overdue_invoices"] == len(OVERDUE)

    history = admin_client.get(f"/admin/sales-history/?company_id={company_id}&kind=invoice"
                               ).get_data(as_text=True)
    rows = _rows(history, "data-document")
    for name, invoice_id in ids.items():
        row = rows[str(invoice_id)]
        assert _attr(row, "data-overdue") == ("1" if name in OVERDUE else "0"), name
        if name in BALANCES:
            assert _attr(row, "data-balance") == BALANCES[name], name

    for name, invoice_id in ids.items():
        page = admin_client.get(f"/admin/invoice/details/?id={invoice_id}").get_data(as_text=True)
        if name in BALANCES:
            assert f'data-balance="{BALANCES[name]}" data-overdue="{int(name in OVERDUE)}"' in page


def test_sql_expressions_and_loaded_invoices_agree(invoices):
    for name, invoice in invoices.items():
        db.session.expire_all()
        paid, balance, overdue = db.session.execute(
            select(Invoice.paid_total, Invoice.balance, Invoice.is_overdue)
            .where(Invoice.id == invoice.id)).one()
        loaded = db.session.get(Invoice, invoice.id)
        assert (paid, balance, bool(overdue)) == (loaded.paid_total, loaded.balance,
                                                  loaded.is_overdue), name
        assert loaded.is_overdue == (name in OVERDUE), name
    overdue_ids = set(db.session.scalars(select(Invoice.id).where(Invoice.is_overdue)))
    assert overdue_ids == {invoices[name].id for name in OVERDUE}


def test_sql_balance_is_exact_where_floating_point_would_leave_a_residue(make_company,
                                                                         make_invoice):
    # 1.00 paid as 0.10 ten times: summed as floats (SQLite's NUMERIC) that leaves 1.1e-16,
    # which would make a settled invoice "overdue" with a balance above zero.
    invoice = make_invoice(make_company(), [("1", "1.00", "0")], issue_date=days(-40),
                           due_date=days(-10), payments=[("0.10", days(-30))] * 10)
    balance, overdue = db.session.execute(
        select(Invoice.balance, Invoice.is_overdue).where(Invoice.id == invoice.id)).one()
    assert balance == Decimal("0.00") and not overdue
    assert company_kpis(invoice.company_id).unpaid_count == 0
    assert history_page(invoice.company_id, "invoice").rows[0].overdue is False


def test_a_negative_balance_is_a_credit_and_never_overdue(make_company, make_invoice):
    # Overpaid (imported data: the payment service refuses overpayments).
    invoice = make_invoice(make_company(), [("1", "100.00", "0")], issue_date=days(-60),
                           due_date=days(-30), payments=[("150.00", days(-40))])
    db.session.expire_all()
    loaded = db.session.get(Invoice, invoice.id)
    assert loaded.balance == Decimal("-50.00") and not loaded.is_overdue
    assert db.session.scalar(select(Invoice.balance).where(Invoice.id == invoice.id)) == \
        Decimal("-50.00")


def test_every_screen_takes_today_from_the_one_clock(admin_client, invoices, monkeypatch):
    # Forty days on, the invoice due today and nothing else unpaid has become overdue too.
    monkeypatch.setattr(clock, "today", lambda: days(40))
    later = OVERDUE | {"due_today"}
    company_id = invoices["draft"].company_id
    assert dashboard_data(0)["overdue_invoices"] == len(later)
    assert company_kpis(company_id).unpaid_count == len(later)
    assert {r.document.id for r in history_page(company_id, "invoice").rows if r.overdue} == \
        {invoices[name].id for name in later}
    listing = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert listing.count('data-overdue="1"') == len(later)
    assert db.session.scalar(select(func.count()).where(Invoice.is_overdue)) == len(later)
