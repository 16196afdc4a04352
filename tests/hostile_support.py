"""Helpers for the hostile-input tests: one row of every kind, text payloads in every free text
column, and requests served the way a real server serves them (own app context and session)."""
import itertools
import re
import threading
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import CheckConstraint, String, inspect

from admin_app.extensions import db
from admin_app.models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CreditNote, CreditNoteLine,
    CustomFieldDefinition,
    CustomFieldValue, Document, EmailTemplate, Exchange, Invoice, InvoiceLine, Opportunity,
    Order, OrderLine, Payment, PipelineStage, Quote, QuoteLine, User,
)
from admin_app.services.merge import merge_companies
from admin_app.services.users import create_user

FORMULAS = ('=HYPERLINK("http://evil.example")', "+1", "@SUM(A1)", "-2+3")
# Columns a form or the code fills, never the user: a payload there tests nothing useful.
NOT_USER_TEXT = {"password_hash", "name_key", "phone_key", "email_domain", "legal_id_key",
                 "sha256", "signature_token", "content_type"}


def free_text_columns(model) -> list:
    """The String/Text columns of a model that hold free text (no CHECK, key or derived value,
    no column the database computes)."""
    table = model.__table__
    checked = " ".join(str(c.sqltext) for c in table.constraints if isinstance(c, CheckConstraint))
    return [c for c in table.columns
            if isinstance(c.type, String) and not c.primary_key and not c.foreign_keys
            and c.computed is None and c.name not in NOT_USER_TEXT
            and not re.search(rf"\b{c.name}\b", checked)]


def fill_text(rows, payloads=FORMULAS) -> None:
    """Put a payload in every free text column of every row (unique columns get a suffix)."""
    serial, turn = itertools.count(1), itertools.count()
    for row in rows:
        for column in free_text_columns(type(row)):
            value = payloads[next(turn) % len(payloads)]
            if column.unique:
                value = f"{value} {next(serial)}"
            setattr(row, inspect(type(row)).get_property_by_column(column).key,
                    value[:column.type.length] if column.type.length else value)


def seed_every_kind(admin: User, payloads=None) -> dict[str, int]:
    """One row of every kind, a merged-away company and its merge record; returns their ids.

    With `payloads`, every free text column of every row holds one of them."""
    today = date.today()
    owner = create_user("owner@example.com", "correct-horse-battery", role="user",
                        full_name="Olga Owner")
    kept, other, absorbed = (Company(name=n, status="client", account_manager=owner)
                             for n in ("Kept", "Other", "Gone"))
    stage = PipelineStage(name="Qualified", position=1, probability=20)
    contact = Contact(company=kept, first_name="Carla", last_name="Contact", is_billing_contact=True)
    definition = CustomFieldDefinition(key="sector", label="Sector", field_type="text")
    address = Address(company=kept, label="Head office", line1="1 Main St", city="Lyon",
                      is_main=True)
    document = Document(company=kept, title="Contract", original_name="contract.pdf",
                        file="seeded-contract.pdf", content_type="application/pdf",
                        uploaded_by=owner)
    rows = [
        owner, kept, other, absorbed, stage, contact, definition, address, document,
        CustomFieldValue(company=kept, definition=definition, value="Retail"),
        Exchange(company=kept, contact=contact, author=owner, kind="call", title="Call",
                 body="Talked", occurred_at=datetime(2024, 1, 2, 10)),
        Opportunity(company=kept, title="Deal", amount=Decimal("100"), stage=stage, owner=owner,
                    notes="Notes"),
        CommentTemplate(name="Greeting", body="Hello"),
        EmailTemplate(name="Reminder", subject="Please pay", body="Body"),
        Contact(company=absorbed, last_name="Moved"),
    ]
    quote = Quote(company=kept, status="draft", issue_date=today, notes="Quote notes")
    quote.lines.append(QuoteLine(description="Consulting", quantity=1, unit_price=100, tax_rate=20))
    order = Order(company=kept, status="open", order_date=today, notes="Order notes")
    order.lines.append(OrderLine(description="Consulting", quantity=1, unit_price=100, tax_rate=20))
    invoice = Invoice(company=kept, status="issued", number="INV-1", issue_date=today,
                      due_date=today + timedelta(days=30), notes="Invoice notes",
                      issued_at=datetime.combine(today, datetime.min.time()))
    invoice.lines.append(InvoiceLine(description="Consulting", quantity=1, unit_price=100,
                                     tax_rate=20))
    for document in (quote, order, invoice):
        document.total_excl_tax, document.total_tax = Decimal("100"), Decimal("20")
        document.total_incl_tax = Decimal("120")
    payment = Payment(invoice=invoice, amount=Decimal("20"), paid_on=today, reference="Ref")
    credit = CreditNote(company=kept, invoice=invoice, status="issued", number="CN-1",
                        issue_date=today, reason="Credit reason", total_excl_tax=Decimal("10"),
                        total_tax=Decimal("2"), total_incl_tax=Decimal("12"))
    credit.lines.append(CreditNoteLine(description="Discount", quantity=1, unit_price=10,
                                       tax_rate=20, total_excl_tax=10, total_tax=2))
    audit = AuditLog(action="update", entity_type="Company", summary="Seeded", user=admin)
    rows += [quote, order, invoice, *quote.lines, *order.lines, *invoice.lines, payment, credit,
             *credit.lines, audit]
    if payloads:
        fill_text(rows, payloads)
        admin.full_name = payloads[0]
    db.session.add_all(rows)
    db.session.flush()
    merge = merge_companies(kept, absorbed, admin, note=payloads[0] if payloads else "Seeded")
    db.session.commit()
    return {"company": kept.id, "other": other.id, "tombstone": absorbed.id,
            "contact": contact.id, "address": address.id, "document": document.id,
            "merge": merge.id, "user": owner.id}


def get_as_a_server_would(client, url: str, **kwargs):
    """GET `url` in a thread of its own: like a real server, the request has its own app
    context, so its database session is closed when the request ends (before a streamed body
    is read, for instance). Returns the response, or the exception the app raised."""
    outcome = {}

    def run():
        try:
            outcome["response"] = client.get(url, buffered=True, **kwargs)
        except Exception as exc:  # noqa: BLE001 - handed to the test, which reports it
            outcome["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome.get("response") or outcome["error"]
