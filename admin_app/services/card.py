"""The client card: what it shows, read in a fixed number of queries."""
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache

from sqlalchemy import DateTime, Integer, bindparam, func, or_, select, tuple_, union_all
from sqlalchemy.orm import aliased, joinedload, selectinload

from .. import clock
from ..errors import Refusal
from ..extensions import db
from ..models import (
    Address, CommentTemplate, Company, CompanyExchangeCount, Contact, CustomFieldDefinition,
    Document, Exchange, Merge, Opportunity, User,
)
from ..models.base import MAX_ID, compound_part
from ..models.exchanges import EXCHANGE_KINDS
from .card_money import Kpis, chart_bars, company_kpis, monthly_revenue
from .custom_fields import values_of
from .sales_history import Page, pending_documents

TIMELINE_PAGE = 20
TIMELINE_INDEX = "ix_exchanges_company_id_kind_occurred_at_id"
LIST_LIMIT = 50


class CardError(Refusal):
    """A user-facing reason why a change from the card was refused."""


@dataclass
class Timeline:
    items: list[Exchange]
    next_cursor: str | None
    kind: str | None


@dataclass
class Card:
    company: Company
    addresses: list[Address]
    contacts: list[Contact]
    custom_fields: list[tuple[CustomFieldDefinition, str | None]]
    kpis: Kpis
    chart: list[dict]
    opportunities: list[Opportunity]
    pending: dict[str, Page]
    documents: list[Document]
    documents_count: int
    timeline: Timeline
    exchange_counts: dict[str, int]
    users: list[User]
    comment_templates: list[CommentTemplate]
    merges: list[Merge]
    today: date | None = None
    # Only when the client holds a credit: the invoices holding it, the ones it can settle.
    credits: list = field(default_factory=list)
    credit_targets: list = field(default_factory=list)

    @property
    def main_address(self) -> Address | None:
        return next((a for a in self.addresses if a.is_main), None)


def load_card(company: Company, kind: str | None = None, cursor: str | None = None,
              today: date | None = None) -> Card:
    """Everything the card shows; the number of queries does not grow with the data."""
    cid, today = company.id, today or clock.today()
    documents = db.session.execute(
        select(Document, func.count().over())
        .options(joinedload(Document.uploaded_by), selectinload(Document.signature_requests))
        .where(Document.company_id == cid).order_by(Document.created_at.desc(), Document.id.desc())
        .limit(LIST_LIMIT)).all()
    card = Card(
        company=company,
        addresses=list(db.session.scalars(
            select(Address).where(Address.company_id == cid)
            .order_by(Address.is_main.desc(), Address.label, Address.id))),
        contacts=list(db.session.scalars(
            select(Contact).where(Contact.company_id == cid)
            .order_by(Contact.is_billing_contact.desc(), Contact.last_name, Contact.first_name,
                      Contact.id))),
        custom_fields=values_of(cid),
        kpis=company_kpis(cid, today),
        chart=chart_bars(monthly_revenue(cid, today)),
        opportunities=list(db.session.scalars(
            select(Opportunity).where(Opportunity.company_id == cid, Opportunity.status == "open")
            .order_by(Opportunity.expected_close_on.is_(None), Opportunity.expected_close_on,
                      Opportunity.id).limit(LIST_LIMIT))),
        pending=pending_documents(cid, today=today),
        documents=[d for d, _ in documents],
        documents_count=documents[0][1] if documents else 0,
        timeline=timeline(cid, kind, cursor),
        exchange_counts=exchange_counts(cid),
        users=list(db.session.scalars(
            select(User).where(or_(User.is_active, User.id == company.account_manager_id))
            .order_by(User.full_name, User.email))),
        comment_templates=comment_templates(),
        merges=merges_into(cid),
        today=today,
    )
    if card.kpis.client_credit:
        from .credit_notes import credit_invoices, settleable_invoices
        card.credits, card.credit_targets = credit_invoices(cid), settleable_invoices(cid)
    return card


def comment_templates() -> list[CommentTemplate]:
    """The comment templates, the default one first, for the "insert template" picker."""
    return list(db.session.scalars(
        select(CommentTemplate).order_by(CommentTemplate.is_default.desc(), CommentTemplate.name)))


def merges_into(company_id: int) -> list[Merge]:
    """The merges this company absorbed others by and that are not undone, newest first."""
    return list(db.session.scalars(
        select(Merge).options(joinedload(Merge.absorbed), joinedload(Merge.user))
        .where(Merge.kept_id == company_id, Merge.undone_at.is_(None))
        .order_by(Merge.created_at.desc(), Merge.id.desc()).limit(LIST_LIMIT)))


def encode_cursor(exchange: Exchange) -> str:
    return f"{exchange.occurred_at.isoformat()}_{exchange.id}"


def decode_cursor(cursor: str | None) -> tuple[datetime, int] | None:
    """The (occurred_at, id) a "load more" continues after; None when absent or malformed."""
    if not cursor or "_" not in cursor:
        return None
    when, _, ident = cursor.rpartition("_")
    try:
        after = datetime.fromisoformat(when), int(ident)
    except ValueError:
        return None
    return after if 0 < after[1] <= MAX_ID else None


def timeline(company_id: int, kind: str | None = None, cursor: str | None = None,
             page_size: int = TIMELINE_PAGE) -> Timeline:
    """One page of exchanges, newest first, continuing after `cursor` (keyset pagination)."""
    kind = kind if kind in EXCHANGE_KINDS else None
    after = decode_cursor(cursor)
    values = {"company_id": company_id, "limit": page_size + 1}
    if after:
        values.update(after_at=after[0], after_id=after[1])
    statement = _timeline_statement(kind, after is not None)
    rows = list(db.session.scalars(statement, values))
    more = len(rows) > page_size
    rows = rows[:page_size]
    return Timeline(rows, encode_cursor(rows[-1]) if more else None, kind)


@lru_cache(maxsize=16)
def _timeline_statement(kind: str | None, with_cursor: bool):
    """The timeline's statement, built once per shape and reused with new values: the merged
    one has four parts of every column, which took milliseconds to build and key per call.

    One kind: its rows from the (company_id, kind, occurred_at, id) index. Every kind: each
    kind's newest rows from that index, merged; the one index per company the timeline needs,
    so a merge moving 50,000 exchanges rewrites one entry less per row (migration 0020). The
    rows come out of the parts whole: joined back to `exchanges` by id, a planner may read
    the whole table for them."""
    limit = bindparam("limit", type_=Integer)
    if kind:
        source, query = Exchange, _newest(select(Exchange), kind, with_cursor)
    else:
        parts = [compound_part(_newest(select(*Exchange.__table__.c), each, with_cursor)
                               .order_by(Exchange.occurred_at.desc(), Exchange.id.desc())
                               .limit(limit)) for each in EXCHANGE_KINDS]
        source = aliased(Exchange, union_all(*parts).subquery("newest"))
        query = select(source)
    return (query.options(joinedload(source.contact), joinedload(source.author))
            .order_by(source.occurred_at.desc(), source.id.desc()).limit(limit))


def _newest(query, kind: str, with_cursor: bool):
    """`query` on one kind of a company's exchanges, after the cursor when there is one."""
    query = (query.where(Exchange.company_id == bindparam("company_id", type_=Integer),
                         Exchange.kind == kind)
             # SQLite may walk the date index of every company's exchanges instead, when its
             # statistics are stale (taken when the table was small): this index is right
             # whatever they say. PostgreSQL needs no hint (tests/test_card_at_scale.py).
             .with_hint(Exchange, f"INDEXED BY {TIMELINE_INDEX}", dialect_name="sqlite"))
    if with_cursor:
        # A row comparison: both databases seek to it in the index instead of filtering.
        query = query.where(tuple_(Exchange.occurred_at, Exchange.id) < tuple_(
            bindparam("after_at", type_=DateTime), bindparam("after_id", type_=Integer)))
    return query


def exchange_counts(company_id: int) -> dict[str, int]:
    """How many exchanges of each kind, for the timeline's filter: stored per company
    (services/figures.py), so a client with 50,000 exchanges is no slower to show."""
    counts = dict(db.session.execute(
        select(CompanyExchangeCount.kind, CompanyExchangeCount.count)
        .where(CompanyExchangeCount.company_id == company_id)).all())
    return {kind: counts.get(kind, 0) for kind in EXCHANGE_KINDS}
