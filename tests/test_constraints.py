"""The database itself refuses bad rows, whatever code path writes them."""
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from admin_app.extensions import db
from admin_app.models import (
    Address, Company, Contact, CustomFieldDefinition, CustomFieldValue, Document, DuplicateIgnore,
    Exchange, Invoice, InvoiceLine, Merge, NumberCounter, Opportunity, Order, Payment,
    PipelineStage, Quote, User,
)
from admin_app.models.base import utcnow


def _rejects(*objects) -> None:
    db.session.add_all(objects)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


@pytest.fixture
def company(make_company):
    return make_company("Checked Company")


def _invoice(company, **overrides):
    fields = dict(company_id=company.id, status="draft", issue_date=date(2026, 1, 10),
                  due_date=date(2026, 2, 10))
    fields.update(overrides)
    return Invoice(**fields)


def test_sqlite_runs_with_foreign_keys_on(is_postgres):
    if not is_postgres:
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_company_status_must_be_lead_or_client():
    _rejects(Company(name="X", status="prospect"))


def test_company_cannot_be_merged_into_itself(company):
    company.merged_into_id = company.id
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_user_role_is_checked_and_email_unique(admin_user):
    _rejects(User(email="x@example.com", password_hash="h", role="root"))
    _rejects(User(email=admin_user.email, password_hash="h", role="user"))


def test_one_main_address_per_company(company):
    db.session.add(Address(company_id=company.id, line1="1 A St", is_main=True))
    db.session.flush()
    _rejects(Address(company_id=company.id, line1="2 B St", is_main=True))


@pytest.mark.parametrize("flag", ["is_billing_default", "is_delivery_default", "is_quote_default"])
def test_one_default_address_of_each_kind_per_company(company, make_company, flag):
    db.session.add(Address(company_id=company.id, line1="1 A St", **{flag: True}))
    other = make_company("Other")
    db.session.add(Address(company_id=other.id, line1="1 A St", **{flag: True}))
    db.session.add(Address(company_id=company.id, line1="3 C St"))
    db.session.flush()
    _rejects(Address(company_id=company.id, line1="2 B St", **{flag: True}))


def test_address_needs_an_existing_company():
    _rejects(Address(company_id=999999, line1="Nowhere"))


def test_exchange_kind_and_meeting_times_are_checked(company):
    now = utcnow()
    _rejects(Exchange(company_id=company.id, kind="fax", occurred_at=now))
    _rejects(Exchange(company_id=company.id, kind="meeting", occurred_at=now, starts_at=now,
                      ends_at=now - timedelta(hours=1)))
    _rejects(Exchange(company_id=company.id, kind="email", occurred_at=now, email_status="lost"))


def test_opportunity_status_and_amount_are_checked(company):
    _rejects(Opportunity(company_id=company.id, title="O", status="maybe"))
    _rejects(Opportunity(company_id=company.id, title="O", amount=Decimal("-1")))


def test_pipeline_stage_probability_is_a_percentage():
    _rejects(PipelineStage(name="Odd", probability=120))


def test_invoice_status_dates_and_amounts_are_checked(company):
    _rejects(_invoice(company, status="paid"))
    _rejects(_invoice(company, due_date=date(2025, 12, 31)))
    _rejects(_invoice(company, total_excl_tax=Decimal("-5"), total_incl_tax=Decimal("-5")))
    _rejects(_invoice(company, total_excl_tax=Decimal("10"), total_tax=Decimal("2"),
                      total_incl_tax=Decimal("13")))
    _rejects(_invoice(company, status="issued", number=None))


def test_document_numbers_are_unique(company):
    db.session.add(_invoice(company, status="issued", number="INV-2026-0001"))
    db.session.flush()
    _rejects(_invoice(company, status="issued", number="INV-2026-0001"))


def test_quote_and_order_statuses_are_checked(company):
    _rejects(Quote(company_id=company.id, status="won", issue_date=date(2026, 1, 1)))
    _rejects(Quote(company_id=company.id, issue_date=date(2026, 1, 1),
                   valid_until=date(2025, 1, 1)))
    _rejects(Order(company_id=company.id, status="shipped", order_date=date(2026, 1, 1)))


def test_line_quantity_price_and_tax_rate_are_checked(company):
    invoice = _invoice(company)
    db.session.add(invoice)
    db.session.flush()
    for bad in ({"quantity": Decimal("-1")}, {"unit_price": Decimal("-0.01")},
                {"tax_rate": Decimal("101")}):
        _rejects(InvoiceLine(invoice_id=invoice.id, description="L", **bad))
        invoice = _invoice(company)
        db.session.add(invoice)
        db.session.flush()


def test_payment_amount_must_be_positive_and_method_known(company):
    invoice = _invoice(company, status="issued", number="INV-X-1")
    db.session.add(invoice)
    db.session.flush()
    _rejects(Payment(invoice_id=invoice.id, amount=Decimal("0"), paid_on=date(2026, 1, 2)))
    invoice = _invoice(company, status="issued", number="INV-X-2")
    db.session.add(invoice)
    db.session.flush()
    _rejects(Payment(invoice_id=invoice.id, amount=Decimal("5"), paid_on=date(2026, 1, 2),
                     method="bitcoin"))


def test_company_with_an_invoice_cannot_be_deleted_in_sql(company):
    db.session.add(_invoice(company))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("DELETE FROM companies WHERE id = :id"), {"id": company.id})
        db.session.flush()
    db.session.rollback()


def test_invoice_with_payments_cannot_be_deleted_in_sql(company):
    invoice = _invoice(company, status="issued", number="INV-P-1")
    db.session.add(invoice)
    db.session.flush()
    db.session.add(Payment(invoice_id=invoice.id, amount=Decimal("1"), paid_on=date(2026, 1, 2)))
    db.session.commit()
    with pytest.raises(IntegrityError):
        db.session.execute(text("DELETE FROM invoices WHERE id = :id"), {"id": invoice.id})
        db.session.flush()
    db.session.rollback()


def test_deleting_an_empty_company_cascades_to_what_means_nothing_alone(company):
    db.session.add_all([
        Address(company_id=company.id, line1="1 A St", is_main=True),
        Contact(company_id=company.id, last_name="Doe"),
        Exchange(company_id=company.id, kind="note", occurred_at=utcnow()),
        Opportunity(company_id=company.id, title="O"),
        Document(company_id=company.id, original_name="a.pdf", file="abc123"),
    ])
    db.session.commit()
    db.session.execute(text("DELETE FROM companies WHERE id = :id"), {"id": company.id})
    db.session.commit()
    for table in ("addresses", "contacts", "exchanges", "opportunities", "documents"):
        assert db.session.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar() == 0, table


def test_custom_field_values_are_unique_per_company_and_typed(company):
    _rejects(CustomFieldDefinition(key="k", label="K", field_type="colour"))
    definition = CustomFieldDefinition(key="size", label="Size", field_type="number")
    db.session.add(definition)
    db.session.flush()
    db.session.add(CustomFieldValue(company_id=company.id, definition_id=definition.id, value="1"))
    db.session.flush()
    _rejects(CustomFieldValue(company_id=company.id, definition_id=definition.id, value="2"))


def test_signature_status_and_counter_kind_are_checked(company):
    _rejects(Document(company_id=company.id, original_name="a", file="f1",
                      signature_status="maybe"))
    _rejects(NumberCounter(kind="receipt", year=2026, last_value=0))


def test_merge_and_ignore_pairs_need_distinct_ordered_companies(company, make_company):
    other = make_company("Other")
    _rejects(Merge(kept_id=company.id, absorbed_id=company.id))
    low, high = sorted((company.id, other.id))
    _rejects(DuplicateIgnore(company_low_id=high, company_high_id=low))


def test_every_foreign_key_leads_an_index():
    """Deletes and joins on a foreign key never scan its whole table."""
    missing = []
    for table in db.metadata.sorted_tables:
        leading = {tuple(c.name for c in index.columns)[0] for index in table.indexes}
        leading |= {tuple(c.name for c in table.primary_key.columns)[0]}
        leading |= {tuple(c.name for c in u.columns)[0] for u in table.constraints
                    if u.__class__.__name__ == "UniqueConstraint"}
        for fk in table.foreign_keys:
            if fk.parent.name not in leading:
                missing.append(f"{table.name}.{fk.parent.name}")
    assert missing == []
