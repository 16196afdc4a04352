"""Lead → client when an invoice is created, unless Settings keep it a lead; audit-logged."""
from decimal import Decimal

from admin_app.extensions import db
from admin_app.models import AuditLog, Company
from admin_app.services import sales
from admin_app.services.settings import set_setting


def _invoice_form(company_id: int) -> dict:
    return {"company": str(company_id), "issue_date": "2026-05-01", "due_date": "2026-05-31",
            "lines-0-description": "Setup", "lines-0-quantity": "1",
            "lines-0-unit_price": "100.00", "lines-0-tax_rate": "20"}


def test_creating_an_invoice_turns_a_lead_into_a_client(admin_client, make_company):
    lead = make_company("Prospect SL", status="lead")
    response = admin_client.post("/admin/invoice/new/", data=_invoice_form(lead.id))
    assert response.status_code == 302
    db.session.expire_all()
    company = db.session.get(Company, lead.id)
    assert company.status == "client" and company.converted_at is not None
    entry = db.session.scalars(db.select(AuditLog).where(AuditLog.action == "convert")).one()
    assert entry.entity_type == "Company" and entry.entity_id == lead.id
    assert entry.changes["status"] == ["lead", "client"]


def test_the_setting_keeps_a_lead_a_lead(admin_client, make_company):
    set_setting("invoice_converts_lead_to", "lead")
    db.session.commit()
    lead = make_company("Prospect SL", status="lead")
    assert admin_client.post("/admin/invoice/new/", data=_invoice_form(lead.id)).status_code == 302
    db.session.expire_all()
    company = db.session.get(Company, lead.id)
    assert company.status == "lead" and company.converted_at is None
    assert not db.session.scalars(db.select(AuditLog).where(AuditLog.action == "convert")).all()


def test_invoicing_an_order_of_a_lead_converts_it(make_company, make_document):
    lead = make_company("Prospect SA", status="lead")
    order = make_document("order", lead, number="ORD-L-1")
    sales.invoice_order(order, Decimal("50"))
    db.session.commit()
    assert lead.status == "client" and lead.converted_at is not None


def test_a_client_is_not_converted_twice(make_company, make_document):
    client = make_company("Known SA", status="client")
    order = make_document("order", client, number="ORD-L-2")
    sales.invoice_order(order)
    db.session.commit()
    assert client.converted_at is None
    assert not db.session.scalars(db.select(AuditLog).where(AuditLog.action == "convert")).all()
