"""The money figures kept in the database, recomputed from the rows by one service.

Each invoice keeps its balance in cents (models.balances.balance_of) and `paid_on`, the date of
the payment that completed it; each company keeps its totals (CompanyFigures) and its revenue
per month (CompanyMonthFigures), so that the card reads them in a few index lookups whatever
the client's history. Every path that changes money or moves rows refreshes them in its own
transaction: ORM flushes through the session hooks at the bottom (`install`), set-based
statements (merge, demo data) by calling `refresh` themselves. `verify` recomputes everything
and names the first company whose stored figures drifted (`flask verify-figures`, and the test
suite after every test).

Sums run over integer cents: SQLite stores NUMERIC as floating point, and summing cents keeps
every figure exact to the cent on SQLite and PostgreSQL alike.
"""
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

from sqlalchemy import (
    BigInteger, Integer, String, and_, case, cast, delete, event, except_, extract, func, insert,
    inspect, literal_column, null, or_, select, union_all, update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from ..extensions import db
from ..models import CompanyFigures, CompanyMonthFigures, CreditNote, CreditUse, Invoice, Payment
from ..models.balances import balance_of, cents
from ..models.credit_notes import credited_cents, used_credit_cents
from ..models.sales import paid_cents_sum

CHUNK = 2000
INVOICES = Invoice.__table__
FIGURES = CompanyFigures.__table__
MONTHS = CompanyMonthFigures.__table__
FIGURE_COLUMNS = ("company_id", "issued_count", "revenue_cents", "outstanding_cents",
                  "credit_cents", "completed_count", "delay_days", "currency_min", "currency_max")
MONTH_COLUMNS = ("company_id", "year", "month", "revenue_cents")
# Inline constants: bound parameters in a UNION leave PostgreSQL guessing their type.
ONE, NONE = literal_column("1", Integer), literal_column("0", Integer)


def unsettled(invoice=Invoice):
    """ix_invoices_unsettled's condition (models.sales.UNSETTLED) as a clause: a query that
    includes it reads the index of the invoices still in play. Literals, not parameters, so
    that PostgreSQL's generic plans can prove the index applies too."""
    return or_(invoice.status == literal_column("'draft'"),
               and_(invoice.status == literal_column("'issued'"),
                    invoice.balance_cents != literal_column("0")))


# --- an invoice's state, from its payments, credit notes and credit uses -----------------------

def completed_on(invoice, paid, due):
    """In a query over `invoice` joined to its payments and grouped by invoice: the date of the
    payment whose running total (in (paid_on, id) order) first reached `due`; NULL while a
    balance is left.

    Payments are positive (CHECK amount > 0), so when they add up to exactly `due` it is the
    last one, max(paid_on): no per-payment running total needed. Only an overpaid invoice (the
    payment service refuses them; imported data may not) walks its payments.
    """
    later, earlier = aliased(Payment), aliased(Payment)
    running = (select(func.sum(cents(earlier.amount)))
               .where(earlier.invoice_id == later.invoice_id,
                      or_(earlier.paid_on < later.paid_on,
                          and_(earlier.paid_on == later.paid_on, earlier.id <= later.id)))
               .scalar_subquery())
    walked = (select(func.min(later.paid_on))
              .where(later.invoice_id == invoice.id, running >= due)
              .scalar_subquery())
    return case((due <= 0, null()), (paid == due, func.max(Payment.paid_on)),
                (paid > due, walked), else_=null())


def invoice_state(scope=None):
    """(id, balance_cents, paid_on) recomputed from the rows, for the invoices `scope` (a
    condition on the alias it is given) selects, all of them when None.

    Payments are joined and grouped (one pass, whatever plan the database picks); credit notes
    and credit uses, rare, are looked up per invoice.
    """
    invoice = aliased(Invoice, name="recomputed")
    paid, credited = paid_cents_sum(), credited_cents(invoice.id)
    total = cents(invoice.total_incl_tax)
    # What payments had to cover: the total less the issued credit notes; the whole total when
    # credit notes cover all of it (DESIGN.md: an invoice settled by a credit note alone was
    # never paid).
    after_credit = total - credited
    due = case((after_credit > 0, after_credit), else_=total)
    query = (select(invoice.id.label("id"),
                    balance_of(total, paid, credited, used_credit_cents(invoice.id))
                    .label("balance_cents"),
                    completed_on(invoice, paid, due).label("paid_on"))
             .outerjoin(Payment, Payment.invoice_id == invoice.id)
             .group_by(invoice.id, invoice.total_incl_tax))
    return query.where(scope(invoice)) if scope is not None else query


def _drifted_invoices(state):
    return or_(INVOICES.c.balance_cents != state.c.balance_cents,
               INVOICES.c.paid_on.is_distinct_from(state.c.paid_on))


def refresh_invoices(connection: Connection, invoice_ids: Iterable[int] | None) -> None:
    """Recompute the stored state of these invoices (all when None), writing what changed."""
    for scope in _scopes(invoice_ids, lambda invoice, ids: invoice.id.in_(ids)):
        state = invoice_state(scope).subquery("state")
        connection.execute(update(INVOICES)
                           .where(INVOICES.c.id == state.c.id, _drifted_invoices(state))
                           .values(balance_cents=state.c.balance_cents, paid_on=state.c.paid_on))


# --- a company's figures, from its invoices' stored state and its credit notes ---------------

def _days_between(connection: Connection, later, earlier):
    if connection.dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer number of days


def company_rows(connection: Connection, company_ids: list[int] | None = None):
    """One row per company (of `company_ids`, all when None) with issued invoices or credit
    notes, in FIGURE_COLUMNS order."""
    balance = Invoice.balance_cents
    invoices = select(
        Invoice.company_id.label("company_id"), ONE.label("issued"),
        cents(Invoice.total_excl_tax).label("revenue"),
        case((balance > 0, balance), else_=0).label("outstanding"),
        case((balance < 0, -balance), else_=0).label("credit"),
        case((Invoice.paid_on.is_not(None), 1), else_=0).label("completed"),
        func.coalesce(_days_between(connection, Invoice.paid_on, Invoice.issue_date), 0)
        .label("delay"),
        Invoice.currency.label("currency"),
    ).where(Invoice.status == "issued")
    notes = select(
        CreditNote.company_id, NONE, -cents(CreditNote.total_excl_tax), NONE, NONE, NONE, NONE,
        cast(null(), String(3)),
    ).where(CreditNote.status == "issued")
    if company_ids is not None:
        invoices = invoices.where(Invoice.company_id.in_(company_ids))
        notes = notes.where(CreditNote.company_id.in_(company_ids))
    both = union_all(invoices, notes).subquery("rows")

    def total(column):
        return cast(func.sum(column), BigInteger)
    return (select(both.c.company_id, total(both.c.issued), total(both.c.revenue),
                   total(both.c.outstanding), total(both.c.credit), total(both.c.completed),
                   total(both.c.delay), func.min(both.c.currency), func.max(both.c.currency))
            .group_by(both.c.company_id))


def month_rows(company_ids: list[int] | None = None):
    """One row per company and calendar month with issued invoices or credit notes: revenue
    excl. tax of the invoices issued in it less the credit notes issued in it."""
    def per_month(model, revenue):
        query = select(model.company_id.label("company_id"),
                       cast(extract("year", model.issue_date), Integer).label("year"),
                       cast(extract("month", model.issue_date), Integer).label("month"),
                       revenue.label("revenue")).where(model.status == "issued")
        return query if company_ids is None else query.where(model.company_id.in_(company_ids))
    both = union_all(per_month(Invoice, cents(Invoice.total_excl_tax)),
                     per_month(CreditNote, -cents(CreditNote.total_excl_tax))).subquery("months")
    return (select(both.c.company_id, both.c.year, both.c.month,
                   cast(func.sum(both.c.revenue), BigInteger))
            .group_by(both.c.company_id, both.c.year, both.c.month))


def refresh_companies(connection: Connection, company_ids: Iterable[int] | None) -> None:
    """Rewrite the stored figures of these companies (all when None) from their rows."""
    for ids in _chunks(company_ids):
        if ids is None:
            connection.execute(delete(FIGURES))
            connection.execute(delete(MONTHS))
        else:
            connection.execute(delete(FIGURES).where(FIGURES.c.company_id.in_(ids)))
            connection.execute(delete(MONTHS).where(MONTHS.c.company_id.in_(ids)))
        connection.execute(insert(FIGURES).from_select(FIGURE_COLUMNS, company_rows(connection, ids)))
        connection.execute(insert(MONTHS).from_select(MONTH_COLUMNS, month_rows(ids)))


def refresh(connection: Connection | None = None, invoice_ids: Iterable[int] = (),
            company_ids: Iterable[int] = ()) -> None:
    """Bring the stored state of these invoices and the figures of their companies and of
    `company_ids` back in line with the rows, in the caller's transaction."""
    connection = connection or db.session.connection()
    invoice_ids, company_ids = set(invoice_ids), set(company_ids)
    if invoice_ids:
        refresh_invoices(connection, invoice_ids)
        for ids in _chunks(invoice_ids):
            company_ids.update(connection.scalars(
                select(INVOICES.c.company_id).where(INVOICES.c.id.in_(ids))))
    if company_ids:
        refresh_companies(connection, company_ids)


def refresh_all(connection: Connection | None = None) -> None:
    """Recompute every invoice's state and every company's figures (after a bulk load)."""
    connection = connection or db.session.connection()
    refresh_invoices(connection, None)
    refresh_companies(connection, None)


def _chunks(ids: Iterable[int] | None):
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


def _scopes(ids: Iterable[int] | None, condition):
    for chunk in _chunks(ids):
        yield None if chunk is None else (lambda invoice, chunk=chunk: condition(invoice, chunk))


# --- the guard --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    """The first company whose stored figures differ from a recompute, and what differs."""
    company_id: int
    what: str  # "invoice", "totals" or "months"
    invoice_id: int | None = None


def verify(connection: Connection | None = None) -> Drift | None:
    """Recompute every stored figure; the drift of the lowest company id, None when all agree."""
    connection = connection or db.session.connection()
    state = invoice_state().subquery("state")
    found = []
    invoice = connection.execute(
        select(INVOICES.c.company_id, INVOICES.c.id).join(state, state.c.id == INVOICES.c.id)
        .where(_drifted_invoices(state)).order_by(INVOICES.c.company_id, INVOICES.c.id).limit(1)
    ).first()
    if invoice is not None:
        found.append(Drift(invoice.company_id, "invoice", invoice.id))
    # Company totals are recomputed from the invoices' stored state, just checked above.
    for what, table, columns, expected in (
            ("totals", FIGURES, FIGURE_COLUMNS, company_rows(connection)),
            ("months", MONTHS, MONTH_COLUMNS, month_rows())):
        stored = select(*(table.c[name] for name in columns))
        for one, other in ((expected, stored), (stored, expected)):
            differing = except_(one, other).subquery()
            company_id = connection.scalar(select(func.min(list(differing.c)[0])))
            if company_id is not None:
                found.append(Drift(company_id, what))
    return min(found, key=lambda drift: drift.company_id, default=None)


# --- following the ORM's flushes --------------------------------------------------------------

TOUCHED = "figures_touched"


def _ids(obj, attribute: str) -> set[int]:
    """The attribute's value now and before this flush, loaded or not, without loading it."""
    state = inspect(obj)
    values = set()
    if attribute in state.dict:
        values.add(state.dict[attribute])
    history = state.attrs[attribute].history
    values.update(history.added or (), history.deleted or (), history.unchanged or ())
    return {v.id if hasattr(v, "id") else v for v in values if v is not None}


def _note_touched(session: Session, _context) -> None:
    # After the SQL of a flush, while the history of what it wrote is still readable.
    invoices, companies = session.info.setdefault(TOUCHED, (set(), set()))
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Invoice):
            invoices.update(_ids(obj, "id"))
            companies.update(_ids(obj, "company_id"))
        elif isinstance(obj, (Payment, CreditUse, CreditNote)):
            invoices.update(_ids(obj, "invoice_id"), _ids(obj, "invoice"))
            if isinstance(obj, CreditNote):
                companies.update(_ids(obj, "company_id"))


def _refresh_touched(session: Session, _context) -> None:
    invoices, companies = session.info.pop(TOUCHED, (set(), set()))
    if not invoices and not companies:
        return
    refresh(session.connection(), invoices, companies)
    mapper = inspect(Invoice)
    for invoice_id in invoices:
        loaded = session.identity_map.get(mapper.identity_key_from_primary_key([invoice_id]))
        if loaded is not None:
            session.expire(loaded, ["balance_cents", "paid_on"])


def _forget_touched(session: Session, *_args) -> None:
    session.info.pop(TOUCHED, None)


def install() -> None:
    """Follow every flush of the app's session: recompute what it touched, before anything
    else reads it (once per process: the session is shared)."""
    for name, hook in (("after_flush", _note_touched), ("after_flush_postexec", _refresh_touched),
                       ("after_soft_rollback", _forget_touched)):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
