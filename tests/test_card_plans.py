"""The card's pending-documents queries read the client's rows only, whatever the table holds."""
from datetime import date

from sqlalchemy import func, insert, select, text

from admin_app.extensions import db
from admin_app.models import Invoice, Order
from admin_app.services import figures
from admin_app.services.sales_history import CARD_PENDING_ROWS, _query, pending_documents


def _plan(query) -> str:
    sql = str(query.compile(db.engine, compile_kwargs={"literal_binds": True}))
    prefix = "EXPLAIN" if db.engine.dialect.name == "postgresql" else "EXPLAIN QUERY PLAN"
    return "\n".join(str(row[-1]) for row in db.session.execute(text(f"{prefix} {sql}")))


def _invoices_without_order(company, count: int, total: int = 100) -> None:
    first = db.session.scalar(select(func.count()).select_from(Invoice))
    db.session.execute(insert(Invoice), [
        {"company_id": company.id, "number": f"F-{first + n}", "status": "issued",
         "issue_date": date(2025, 1, 1), "due_date": date(2025, 2, 1), "total_excl_tax": total,
         "total_tax": 0, "total_incl_tax": total, "currency": "EUR"} for n in range(count)])
    figures.refresh(company_ids=[company.id])  # a bulk insert, past the session's hooks


def test_pending_orders_find_their_invoices_through_the_partial_index(make_company, is_postgres):
    client, others = make_company("Open Orders SA"), make_company("Busy Elsewhere")
    _invoices_without_order(others, 2000)
    db.session.execute(insert(Order), [
        {"company_id": client.id, "number": f"O-{n}", "status": "open",
         "order_date": date(2025, 1, 1), "total_excl_tax": 100, "total_tax": 0,
         "total_incl_tax": 100, "currency": "EUR"} for n in range(5)])
    db.session.commit()
    # The statistic that misled SQLite: almost every invoice has no order.
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    plan = _plan(_query("order", client.id, True, date(2026, 1, 1)))
    if is_postgres:
        assert "Seq Scan on invoices" not in plan, plan
    assert "ix_invoices_order_id_present" in plan, plan
    assert pending_documents(client.id)["order"].total == 5


def test_pending_invoices_are_read_from_the_unsettled_index_without_any_payment(
        make_company, is_postgres):
    client = make_company("Whale SA")
    _invoices_without_order(client, 50)
    _invoices_without_order(client, 2000, total=0)  # settled: nothing left to pay
    db.session.execute(text("ANALYZE"))
    db.session.commit()
    plan = _plan(_query("invoice", client.id, True, date(2026, 1, 1)))
    # Balances are stored (services/figures.py): no payment is read, and of the client's
    # invoices only the unsettled ones.
    assert "payments" not in plan, plan
    assert "ix_invoices_unsettled" in plan, plan
    assert pending_documents(client.id)["invoice"].total == 50


def test_the_card_lists_the_most_urgent_pending_invoices_and_links_to_all(admin_client,
                                                                          make_company):
    client = make_company("Many Unpaid SA")
    _invoices_without_order(client, 1200)
    db.session.commit()
    page = admin_client.get(f"/admin/company/card/?id={client.id}").get_data(as_text=True)
    assert page.count('data-pending="invoice"') == CARD_PENDING_ROWS
    assert f"{CARD_PENDING_ROWS} of 1,200 pending documents of this kind shown." in page
    assert f"/admin/sales-history/?company_id={client.id}&amp;kind=invoice&amp;pending=1" in page
