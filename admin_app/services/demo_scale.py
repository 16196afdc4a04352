"""Demo data for measuring at scale: invoices of open orders, and one very large client."""
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from ..extensions import db
from ..models import Company, Exchange, Invoice, InvoiceLine, Order, OrderLine, Payment
from ..normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
from .demo import PRODUCTS, _insert_documents, _invoice, _lines, _next_number, _totals

WHALE_NAME = "Leviathan Wholesale SA"
WHALE_INVOICES = 10_000
WHALE_EXCHANGES = 50_000
WHALE_OPEN_ORDERS = 50
BATCH = 2_000


def partly_invoiced(order_id: int, order: dict, lines: list, today: date,
                    numbers: dict) -> tuple[dict, list]:
    """An issued invoice for the first line of an order: the order stays open and pending."""
    issued = min(today, order["order_date"] + timedelta(days=7))
    first = [dict(lines[0], position=0)]
    row = {"company_id": order["company_id"], "order_id": order_id, "status": "issued",
           "issue_date": issued, "due_date": issued + timedelta(days=30),
           "number": _next_number(numbers, "invoice", issued.year),
           "issued_at": datetime.combine(issued, datetime.min.time()), "cancelled_at": None,
           "paid_on": None, "created_by_id": order["created_by_id"], **_totals(first)}
    return row, first


def seed_whale(rng, users, today: date, numbers: dict, counts: dict, progress=None) -> int:
    """One client with WHALE_INVOICES invoices (and their payments), WHALE_EXCHANGES exchanges
    and WHALE_OPEN_ORDERS open orders, each partly invoiced; returns its id."""
    email, phone, legal_id = "accounts@leviathan.example", "+34 910 000 001", "B99999990"
    company_id = db.session.scalar(insert(Company).returning(Company.id), [{
        "name": WHALE_NAME, "status": "client", "email": email, "phone": phone,
        "website": "https://www.leviathan.example", "legal_id": legal_id,
        "account_manager_id": users[0].id, "name_key": normalize_name(WHALE_NAME),
        "phone_key": normalize_phone(phone), "email_domain": email_domain(email),
        "legal_id_key": normalize_legal_id(legal_id), "legal_id_check": ""}])
    author = users[0].id
    for start in range(0, WHALE_INVOICES, BATCH):
        documents, paid = [], []
        for _ in range(min(BATCH, WHALE_INVOICES - start)):
            row, lines, payments = _invoice(rng, company_id, author, today, numbers)
            documents.append((row, lines))
            paid.append(payments)
        ids = _insert_documents(Invoice, InvoiceLine, "invoice_id", documents)
        rows = [dict(p, invoice_id=i) for i, ps in zip(ids, paid) for p in ps]
        if rows:
            db.session.execute(insert(Payment), rows)
        counts["invoices"] += len(ids)
        counts["payments"] += len(rows)
    orders = []
    for _ in range(WHALE_OPEN_ORDERS):
        lines = _lines(rng)
        lines.append(dict(lines[0], position=len(lines)))  # two lines at least: one invoiced
        ordered = today - timedelta(days=rng.randint(10, 200))
        orders.append(({"company_id": company_id, "status": "open", "order_date": ordered,
                        "number": _next_number(numbers, "order", ordered.year),
                        "created_by_id": author, **_totals(lines)}, lines))
    order_ids = _insert_documents(Order, OrderLine, "order_id", orders)
    _insert_documents(Invoice, InvoiceLine, "invoice_id", [
        partly_invoiced(i, order, lines, today, numbers)
        for i, (order, lines) in zip(order_ids, orders)])
    counts["open_orders"] += WHALE_OPEN_ORDERS
    for start in range(0, WHALE_EXCHANGES, BATCH):
        rows = []
        for _ in range(min(BATCH, WHALE_EXCHANGES - start)):
            when = datetime.combine(today - timedelta(days=rng.randint(0, 1500)),
                                    datetime.min.time()) + timedelta(hours=rng.randint(8, 18))
            rows.append({"company_id": company_id, "author_id": rng.choice(users).id,
                         "kind": "call", "title": f"Call about {rng.choice(PRODUCTS)[0].lower()}",
                         "body": "Weekly account review.", "occurred_at": when,
                         "send_invitation": False, "created_at": when})
        db.session.execute(insert(Exchange), rows)
        counts["exchanges"] += len(rows)
    if progress is not None:
        progress(1)
    counts["whale_id"] = company_id
    return company_id


