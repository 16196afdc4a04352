"""Migration 0016f on a database that already holds invoices, payments, credit notes, credit uses
and exchanges: the figures it stores are those the rows give (what the card computed on every
load before), on SQLite and on PostgreSQL, and the downgrade takes them away again."""
from datetime import datetime
from decimal import Decimal

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from admin_app.extensions import db
from admin_app.models import Company, CreditNote, CreditUse, Exchange, Payment
from admin_app.services import figures
from admin_app.services.card import exchange_counts
from admin_app.services.card_money import company_kpis, monthly_revenue
from tests.card_support import days
from tests.credit_support import figures_from_rows

# Invoices as 0015c stored them: (id, status, excl, tax, issued n days ago, due date in days
# from today, stored paid_on n days ago, payments [(amount, n days ago)]).
INVOICES = [
    (1, "issued", "100.00", "20.00", 60, -30, None, [("50.00", 40)]),  # overdue: 70.00 left
    # Paid by its second payment 20 days after issue; its stored paid_on was lost.
    (2, "issued", "99.99", "20.00", 100, -70, None, [("60.00", 90), ("59.99", 80)]),
    (3, "issued", "200.00", "0.00", 50, 10, None, []),  # not due yet
    (4, "draft", "1000.00", "200.00", 5, 25, None, []),
    (5, "cancelled", "500.00", "100.00", 90, -60, None, []),
    # Overpaid (imported): completed by the second payment; 50.00 in the client's favour.
    (6, "issued", "100.00", "0.00", 60, -30, 30, [("60.00", 50), ("60.00", 40), ("30.00", 30)]),
    (7, "issued", "100.00", "0.00", 20, -10, None, []),  # credited in full: never paid
    # Paid, then credited 20.00 of which 5.00 refunded: 15.00 in the client's favour.
    (8, "issued", "50.00", "0.00", 30, -20, 25, [("50.00", 25)]),
]
CREDIT_NOTES = [(7, "100.00", 15), (8, "20.00", 10)]  # (invoice, amount excl. = incl., n ago)


def _old_rows() -> None:
    connection = db.session.connection()
    connection.execute(sa.insert(Company.__table__), [
        {"id": 1, "name": "Old Client SL", "status": "client"},
        {"id": 2, "name": "Chatty SA", "status": "lead"}])
    money, day = sa.Numeric(12, 2), sa.Date()
    invoices = sa.table(  # as at 0015c: no balance_cents yet
        "invoices", sa.column("id", sa.Integer), sa.column("number", sa.String),
        sa.column("company_id", sa.Integer), sa.column("status", sa.String),
        sa.column("issue_date", day), sa.column("due_date", day),
        sa.column("total_excl_tax", money), sa.column("total_tax", money),
        sa.column("total_incl_tax", money), sa.column("paid_on", day),
        sa.column("currency", sa.String), sa.column("created_at", sa.DateTime))
    connection.execute(invoices.insert(), [
        {"id": i, "number": None if status == "draft" else f"INV-{i}", "company_id": 1,
         "status": status, "issue_date": days(-issued), "due_date": days(due),
         "total_excl_tax": Decimal(excl), "total_tax": Decimal(tax),
         "total_incl_tax": Decimal(excl) + Decimal(tax),
         "paid_on": None if paid_on is None else days(-paid_on), "currency": "EUR",
         "created_at": datetime(2026, 1, 1)}
        for i, status, excl, tax, issued, due, paid_on, _payments in INVOICES])
    connection.execute(sa.insert(Payment.__table__), [
        {"invoice_id": i, "amount": Decimal(amount), "paid_on": days(-ago), "method": "transfer"}
        for i, *_rest, payments in INVOICES for amount, ago in payments])
    connection.execute(sa.insert(CreditNote.__table__), [
        {"number": f"CN-{i}", "company_id": 1, "invoice_id": i, "status": "issued",
         "issue_date": days(-ago), "total_excl_tax": Decimal(amount), "total_tax": 0,
         "total_incl_tax": Decimal(amount), "currency": "EUR"}
        for i, amount, ago in CREDIT_NOTES])
    connection.execute(sa.insert(CreditUse.__table__), [
        {"invoice_id": 8, "amount": Decimal("5.00"), "used_on": days(-5), "method": "transfer"}])
    connection.execute(sa.insert(Exchange.__table__), [
        {"company_id": 2, "kind": kind, "title": kind, "occurred_at": datetime(2026, 1, 1)}
        for kind in ("call", "call", "call", "note")])
    db.session.commit()


def _month_revenue() -> dict[tuple[int, int], Decimal]:
    """Revenue per month of issue, by hand: issued invoices less credit notes."""
    months: dict[tuple[int, int], Decimal] = {}
    for _i, status, excl, _tax, issued, *_rest in INVOICES:
        if status == "issued":
            key = (days(-issued).year, days(-issued).month)
            months[key] = months.get(key, Decimal("0")) + Decimal(excl)
    for _i, amount, ago in CREDIT_NOTES:
        key = (days(-ago).year, days(-ago).month)
        months[key] = months.get(key, Decimal("0")) - Decimal(amount)
    return months


def test_the_backfill_stores_the_figures_the_rows_give_and_downgrade_removes_them(
        database_at_revision):
    database_at_revision("0015c", on_test_server=True)
    _old_rows()

    upgrade()

    kpis = company_kpis(1)
    assert {name: getattr(kpis, name) for name in (
        "revenue", "outstanding", "unpaid_count", "unpaid_amount", "average_payment_delay",
        "client_credit")} == figures_from_rows(1)
    assert (kpis.revenue, kpis.outstanding, kpis.unpaid_amount, kpis.client_credit) == (
        Decimal("529.99"), Decimal("270.00"), Decimal("70.00"), Decimal("65.00"))
    assert kpis.average_payment_delay == Decimal("15.0")  # (20 + 20 + 5) / 3
    assert {(m.year, m.month): m.amount for m in monthly_revenue(1) if m.amount} == \
        {key: amount for key, amount in _month_revenue().items() if amount}
    assert exchange_counts(2) == {"call": 3, "meeting": 0, "email": 0, "note": 1}
    assert company_kpis(2).issued_count == 0
    assert figures.verify() is None
    db.session.rollback()

    downgrade(revision="0015c")
    columns = {c["name"] for c in sa.inspect(db.engine).get_columns("invoices")}
    assert "balance_cents" not in columns
    assert not {"company_figures", "company_month_figures", "company_exchange_counts"} & set(
        sa.inspect(db.engine).get_table_names())
