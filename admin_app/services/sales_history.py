"""Pending versus all sales documents of a company, computed in SQL."""
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import and_, func, or_, select

from ..extensions import db
from ..models import Invoice, Order, Payment, Quote

KINDS = ("quote", "order", "invoice")


def paid_subquery():
    return (select(Payment.invoice_id, func.sum(Payment.amount).label("paid"))
            .group_by(Payment.invoice_id).subquery())


def invoiced_subquery():
    return (select(Invoice.order_id, func.sum(Invoice.total_excl_tax).label("invoiced"))
            .where(Invoice.order_id.is_not(None), Invoice.status != "cancelled")
            .group_by(Invoice.order_id).subquery())


def pending_quote_clause():
    return Quote.status.in_(("draft", "sent"))


@dataclass
class Row:
    """One line of the history: a document with what is left to do on it."""
    kind: str
    document: object
    date: object
    left: Decimal  # invoice: balance; order: amount not yet invoiced (excl. tax); quote: total
    pending: bool


def _quotes(company_id: int, pending_only: bool):
    query = (select(Quote, pending_quote_clause().label("pending"))
             .where(Quote.company_id == company_id))
    if pending_only:
        query = query.where(pending_quote_clause())
    return query.order_by(Quote.issue_date.desc(), Quote.id.desc())


def _orders(company_id: int, pending_only: bool):
    sub = invoiced_subquery()
    invoiced = func.coalesce(sub.c.invoiced, 0)
    pending = and_(Order.status == "open", invoiced < Order.total_excl_tax)
    query = (select(Order, pending.label("pending"), (Order.total_excl_tax - invoiced).label("left"))
             .outerjoin(sub, sub.c.order_id == Order.id).where(Order.company_id == company_id))
    if pending_only:
        query = query.where(pending)
    return query.order_by(Order.order_date.desc(), Order.id.desc())


def _invoices(company_id: int, pending_only: bool):
    sub = paid_subquery()
    balance = Invoice.total_incl_tax - func.coalesce(sub.c.paid, 0)
    pending = or_(Invoice.status == "draft", and_(Invoice.status == "issued", balance > 0))
    query = (select(Invoice, pending.label("pending"), balance.label("left"))
             .outerjoin(sub, sub.c.invoice_id == Invoice.id).where(Invoice.company_id == company_id))
    if pending_only:
        query = query.where(pending)
    return query.order_by(Invoice.issue_date.desc(), Invoice.id.desc())


QUERIES = {"quote": _quotes, "order": _orders, "invoice": _invoices}


def history_page(company_id: int, kind: str, pending_only: bool = False, page: int = 0,
                 per_page: int = 20) -> tuple[list[Row], int]:
    """One page of a company's quotes, orders or invoices, newest first, and their count."""
    query = QUERIES[kind](company_id, pending_only)
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = []
    for found in db.session.execute(query.limit(per_page).offset(page * per_page)):
        doc = found[0]
        left = doc.total_incl_tax if kind == "quote" else Decimal(found[2])
        when = doc.order_date if kind == "order" else doc.issue_date
        rows.append(Row(kind, doc, when, Decimal(left).quantize(Decimal("0.01")), bool(found[1])))
    return rows, total


def pending_documents(company_id: int, limit: int = 50) -> dict[str, list[Row]]:
    """The card's pending quotes, orders and invoices: {"quote": [...], "order": [...], ...}."""
    return {kind: history_page(company_id, kind, True, 0, limit)[0] for kind in KINDS}


def pending_counts(company_id: int) -> dict[str, int]:
    return {kind: history_page(company_id, kind, True, 0, 0)[1] for kind in KINDS}
