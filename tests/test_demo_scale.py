"""Demo data for measuring at scale: lighter children for big sizes, open orders partly invoiced."""
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Address, Contact, Invoice, Order
from admin_app.services import demo
from admin_app.services.sales_history import pending_documents


def test_past_the_light_threshold_each_company_gets_one_address_and_one_contact(monkeypatch):
    monkeypatch.setattr(demo, "LIGHT_ABOVE", 10)
    calls = []
    counts = demo.seed_demo(companies=40, progress=calls.append)
    db.session.commit()
    assert counts["companies"] == 40 and sum(calls) == 40
    assert db.session.scalar(select(func.count()).select_from(Address)) == 40
    assert db.session.scalar(select(func.count()).select_from(Contact)) == 40


def test_the_demo_has_open_orders_some_partly_invoiced_and_still_pending():
    counts = demo.seed_demo(companies=120)
    db.session.commit()
    assert counts["open_orders"] > 0
    linked = db.session.scalars(select(Invoice).where(Invoice.order_id.is_not(None))).all()
    assert linked, "no invoice of an order"
    order = db.session.get(Order, linked[0].order_id)
    assert order.status == "open"
    pending = pending_documents(order.company_id)["order"]
    assert order.id in {row.document.id for row in pending.rows}
