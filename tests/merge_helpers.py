"""Helpers for the merge tests: a company with a row of every kind, and a whole-database snapshot."""
import uuid
from datetime import date, datetime

from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import (
    Address, Contact, CreditNote, CustomFieldDefinition, CustomFieldValue, Document, Exchange,
    Opportunity, Order, Quote,
)

# The duplicates scan's stored keys and change list, the search's word index and the office's
# running tallies are caches of the rows, not data (their own tests: test_search_words.py,
# test_office_counts.py).
BOOKKEEPING_TABLES = {"audit_log", "merges", "duplicate_keys", "duplicate_key_sources",
                      "duplicate_key_changes", "company_words", "search_tokens", "office_tallies",
                      "pipeline_tallies", "quality_tallies"}
# Recomputed per company from the rows (services/figures.py): a merge changes how many there are.
FIGURE_TABLES = {"company_figures", "company_month_figures", "company_exchange_counts"}


def definition(key: str, label: str | None = None) -> CustomFieldDefinition:
    found = db.session.scalar(select(CustomFieldDefinition).where(CustomFieldDefinition.key == key))
    if found:
        return found
    found = CustomFieldDefinition(key=key, label=label or key.title(), field_type="text")
    db.session.add(found)
    db.session.flush()
    return found


def fill_company(company, make_invoice, tag: str = "", main: bool = True, custom=None) -> None:
    """Give `company` one linked row of every kind (an invoice through make_invoice)."""
    db.session.add_all([
        Address(company=company, label=f"Head office {tag}", line1="1 Main St", city="Lyon",
                is_main=main, is_billing_default=main),
        Address(company=company, label=f"Warehouse {tag}", line1="2 Dock Rd", city="Lyon",
                is_delivery_default=True),
        Contact(company=company, first_name="Ana", last_name=f"Lopez {tag}"),
        Exchange(company=company, kind="note", title=f"Note {tag}", occurred_at=datetime(2024, 1, 1)),
        Opportunity(company=company, title=f"Deal {tag}"),
        Quote(company=company, issue_date=date(2024, 1, 1)),
        Order(company=company, order_date=date(2024, 1, 2)),
        Document(company=company, original_name=f"doc{tag}.pdf", file=uuid.uuid4().hex),
    ])
    for key, value in (custom or {}).items():
        db.session.add(CustomFieldValue(company=company, definition=definition(key), value=value))
    db.session.commit()
    invoice = make_invoice(company)
    db.session.add(CreditNote(company=company, invoice=invoice, status="issued",
                              number=f"CN-{uuid.uuid4().hex[:8]}", issue_date=invoice.issue_date,
                              total_excl_tax=10, total_tax=0, total_incl_tax=10))
    db.session.commit()


def snapshot() -> dict[str, list[tuple]]:
    """Every row of every table but bookkeeping, ordered by primary key; updated_at left out."""
    rows = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in BOOKKEEPING_TABLES:
                continue
            columns = [c for c in table.columns if c.name != "updated_at"]
            rows[table.name] = [tuple(r) for r in conn.execute(
                select(*columns).order_by(*table.primary_key.columns))]
    return rows
