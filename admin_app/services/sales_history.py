"""A company's quotes, orders and invoices, all or pending only: the one definition of
"pending" (see DESIGN.md), with balances, invoiced amounts and "overdue" computed in SQL.

Pending: a quote draft or sent; an order open and invoiced (excl. tax, cancelled invoices left
out) less than its total; an invoice draft, or issued with a balance above zero (the balance
stored by services/figures.py). Amounts are integer cents, so they are exact to the cent on
SQLite and PostgreSQL alike.
"""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from sqlalchemy import Date, Integer, and_, bindparam, false, func, null, or_, select

from .. import clock
from ..extensions import db
from ..models import Invoice, Order, Quote
from ..models.balances import cents, from_cents, overdue_clause
from .figures import unsettled

KINDS = ("quote", "order", "invoice")
PENDING_QUOTE_STATUSES = ("draft", "sent")
NEWEST_FIRST = {
    "quote": (Quote.issue_date.desc(), Quote.id.desc()),
    "order": (Order.order_date.desc(), Order.id.desc()),
    "invoice": (Invoice.issue_date.desc(), Invoice.id.desc()),
}
# The card lists what needs attention first: the invoice due soonest (or overdue longest).
MOST_URGENT_FIRST = {**NEWEST_FIRST, "invoice": (Invoice.due_date, Invoice.id)}


@dataclass
class Row:
    """One document with what is left to do on it."""
    kind: str
    document: Quote | Order | Invoice
    pending: bool
    left: Decimal | None  # invoice: balance; order: left to invoice (excl. tax); quote: None
    overdue: bool = False  # invoices only, from models.balances.overdue_conditions

    @property
    def date(self):
        return self.document.order_date if self.kind == "order" else self.document.issue_date

    @property
    def done(self) -> Decimal | None:
        """Invoice: paid so far; order: invoiced so far (excl. tax); quote: None."""
        if self.left is None:
            return None
        if self.kind == "order":
            return self.document.total_excl_tax - self.left
        return self.document.total_incl_tax - self.left


@dataclass
class Page:
    """One page of one kind of document and how many there are in all."""
    kind: str
    rows: list[Row]
    total: int
    page: int = 0
    per_page: int = 20

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page)) if self.per_page else 1


def order_invoiced_cents():
    """Cents invoiced (excluding tax, cancelled invoices left out) on the enclosing order."""
    return (select(func.coalesce(func.sum(cents(Invoice.total_excl_tax)), 0))
            .where(Invoice.order_id == Order.id, Invoice.status != "cancelled")
            .correlate(Order).scalar_subquery())


def _query(kind: str, company_id: int, pending_only: bool, today: date):
    """(document, pending, left in cents, overdue, count of all matches) for one kind."""
    if kind == "quote":
        pending = Quote.status.in_(PENDING_QUOTE_STATUSES)
        return _matching(Quote, company_id, [pending] if pending_only else [],
                         pending, null(), false())
    if kind == "order":
        invoiced = order_invoiced_cents()
        pending = and_(Order.status == "open", invoiced < cents(Order.total_excl_tax))
        return _matching(Order, company_id, [pending] if pending_only else [],
                         pending, cents(Order.total_excl_tax) - invoiced, false())
    balance = Invoice.balance_cents
    pending = or_(Invoice.status == "draft", and_(Invoice.status == "issued", balance > 0))
    # Pending invoices are unsettled ones: read from that index, not from every invoice.
    return _matching(Invoice, company_id, [unsettled(), pending] if pending_only else [],
                     pending, balance, overdue_clause(Invoice.status, balance, Invoice.due_date,
                                                      today))


def _matching(model, company_id: int, conditions: list, *columns):
    """The company's documents meeting `conditions`, with `columns` and how many match.

    The count is a subquery of its own (run once, from the index when it can), not a window
    over the rows: a window reads every matching row before the page is cut."""
    conditions = [model.company_id == company_id, *conditions]
    count = (select(func.count()).select_from(model).where(*conditions)
             .correlate(None).scalar_subquery())
    return select(model, *columns, count).where(*conditions)


@lru_cache(maxsize=16)
def _page_statement(kind: str, pending_only: bool, urgent_first: bool):
    """A page's statement, built once per shape and run with new values: building it and
    keying it for SQLAlchemy's compiled cache took longer than running it (the card runs three
    of them on every view)."""
    query = _query(kind, bindparam("company_id", type_=Integer), pending_only,
                   bindparam("today", type_=Date))
    order = (MOST_URGENT_FIRST if urgent_first else NEWEST_FIRST)[kind]
    return (query.order_by(*order).limit(bindparam("limit", type_=Integer))
            .offset(bindparam("offset", type_=Integer)))


def history_page(company_id: int, kind: str, pending_only: bool = False, page: int = 0,
                 per_page: int = 20, urgent_first: bool = False,
                 today: date | None = None) -> Page:
    """One page of a company's quotes, orders or invoices (newest first, or the most urgent
    first) and their count."""
    page = max(page, 0)
    values = {"company_id": company_id, "today": today or clock.today(), "limit": per_page,
              "offset": page * per_page}
    found = db.session.execute(_page_statement(kind, pending_only, urgent_first), values).all()
    rows = [Row(kind, doc, bool(pending), from_cents(left), bool(overdue))
            for doc, pending, left, overdue, _ in found]
    if found:
        total = found[0][-1]
    elif page:  # past the last page: the count comes from a query of its own
        query = _query(kind, company_id, pending_only, values["today"])
        total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    else:
        total = 0
    return Page(kind, rows, total, page, per_page)


# The card shows the most urgent few of each kind and links to all of them: a client with
# hundreds of open documents would otherwise get a card that is mostly this table (and whose
# rendering time grows with it).
CARD_PENDING_ROWS = 10


def pending_documents(company_id: int, limit: int = CARD_PENDING_ROWS,
                      today: date | None = None) -> dict[str, Page]:
    """The card's pending quotes, orders and invoices ({kind: Page}), one query per kind."""
    return {kind: history_page(company_id, kind, True, 0, limit, True, today)
            for kind in KINDS}
