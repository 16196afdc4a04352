"""The figures kept in the database for the card, recomputed from the rows by one service.

Each invoice keeps its balance in cents (models.balances.balance_of) and `paid_on`, the date of
the payment that completed it; each company keeps its money totals (CompanyFigures), its
revenue per month (CompanyMonthFigures) and its exchanges per kind (CompanyExchangeCount), so
that the card reads them in a few index lookups whatever the client's history. Every path that
changes them refreshes them in its own transaction: ORM flushes through services/figure_hooks.py,
set-based statements (merge, demo data) by calling `refresh` themselves. `verify` recomputes
everything and names the first company whose stored figures drifted (`flask verify-figures`,
and the test suite after every test).

Sums run over integer cents: SQLite stores NUMERIC as floating point, and summing cents keeps
every figure exact to the cent on SQLite and PostgreSQL alike.
"""
from collections.abc import Iterable
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger, Integer, String, and_, case, cast, delete, except_, extract, func, insert,
    literal_column, null, or_, select, text, union_all, update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import (
    Company, CompanyExchangeCount, CompanyFigures, CompanyMonthFigures, CreditNote, CreditUse,
    Exchange, Invoice, Payment,
)
from ..models.balances import balance_of, cents

CHUNK = 2000
# The first key of the PostgreSQL advisory locks taken per company (lock_companies): "fig".
FIGURES_LOCK = 0x666967
INVOICES = Invoice.__table__
# Each stored table, its columns, and the query that recomputes its rows for some companies.
FIGURE_COLUMNS = ("company_id", "issued_count", "revenue_cents", "outstanding_cents",
                  "credit_cents", "completed_count", "delay_days", "currency_min", "currency_max")
MONTH_COLUMNS = ("company_id", "year", "month", "revenue_cents")
EXCHANGE_COLUMNS = ("company_id", "kind", "count")
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

def completed_on(invoice, paid, last_paid_on, due):
    """The date of the payment whose running total (in (paid_on, id) order) first reached
    `due`; NULL while a balance is left. `paid` and `last_paid_on`: the sum and the latest date
    of the invoice's payments.

    Payments are positive (CHECK amount > 0), so when they add up to exactly `due` it is the
    last one: no per-payment running total needed. Only an overpaid invoice (the payment
    service refuses them; imported data may not) walks its payments.
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
    return case((due <= 0, null()), (paid == due, last_paid_on), (paid > due, walked),
                else_=null())


def invoice_state(invoice_ids: list[int] | None = None):
    """(id, balance_cents, paid_on) recomputed from the rows, for these invoices (all when
    None).

    Payments, credit notes and credit uses are each summed per invoice, then joined: hash
    joins over whole tables for a full recompute, index lookups for a few invoices.
    """
    invoice = aliased(Invoice, name="recomputed")

    def per_invoice(model, *columns, where=()):
        query = select(model.invoice_id.label("invoice_id"), *columns).where(*where)
        if invoice_ids is not None:
            query = query.where(model.invoice_id.in_(invoice_ids))
        return query.group_by(model.invoice_id).subquery()
    payments = per_invoice(Payment, func.sum(cents(Payment.amount)).label("cents"),
                           func.max(Payment.paid_on).label("last"))
    notes = per_invoice(CreditNote, func.sum(cents(CreditNote.total_incl_tax)).label("cents"),
                        where=[CreditNote.status == "issued"])
    uses = per_invoice(CreditUse, func.sum(cents(CreditUse.amount)).label("cents"))
    paid, credited, used = (func.coalesce(t.c.cents, 0) for t in (payments, notes, uses))
    total = cents(invoice.total_incl_tax)
    # What payments had to cover: the total less the issued credit notes; the whole total when
    # credit notes cover all of it (DESIGN.md: an invoice settled by a credit note alone was
    # never paid).
    after_credit = total - credited
    due = case((after_credit > 0, after_credit), else_=total)
    query = (select(invoice.id.label("id"),
                    balance_of(total, paid, credited, used).label("balance_cents"),
                    completed_on(invoice, paid, payments.c.last, due).label("paid_on"))
             .select_from(invoice)
             .outerjoin(payments, payments.c.invoice_id == invoice.id)
             .outerjoin(notes, notes.c.invoice_id == invoice.id)
             .outerjoin(uses, uses.c.invoice_id == invoice.id))
    return query if invoice_ids is None else query.where(invoice.id.in_(invoice_ids))


def _drifted_invoices(state):
    return or_(INVOICES.c.balance_cents != state.c.balance_cents,
               INVOICES.c.paid_on.is_distinct_from(state.c.paid_on))


def refresh_invoices(connection: Connection, invoice_ids: Iterable[int] | None) -> None:
    """Recompute the stored state of these invoices (all when None), writing what changed."""
    for ids in _chunks(invoice_ids):
        state = invoice_state(ids).subquery("state")
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


def exchange_rows(company_ids: list[int] | None = None):
    """One row per company and kind of exchange it has, with how many."""
    query = (select(Exchange.company_id, Exchange.kind, cast(func.count(), Integer))
             .group_by(Exchange.company_id, Exchange.kind))
    return query if company_ids is None else query.where(Exchange.company_id.in_(company_ids))


def _stored(connection: Connection):
    """(what, table, columns, rows(company_ids)) of each stored per-company table."""
    return (("totals", CompanyFigures.__table__, FIGURE_COLUMNS,
             lambda ids=None: company_rows(connection, ids)),
            ("months", CompanyMonthFigures.__table__, MONTH_COLUMNS, month_rows),
            ("exchanges", CompanyExchangeCount.__table__, EXCHANGE_COLUMNS, exchange_rows))


def _rewrite(connection: Connection, company_ids: Iterable[int] | None,
             *kinds: str) -> None:
    """Replace the stored rows of `kinds` ("totals", "months", "exchanges") of these companies
    (all when None) by their recompute."""
    for ids in _chunks(company_ids):
        for what, table, columns, rows in _stored(connection):
            if what in kinds:
                connection.execute(delete(table) if ids is None
                                   else delete(table).where(table.c.company_id.in_(ids)))
                connection.execute(insert(table).from_select(columns, rows(ids)))


def lock_companies(connection: Connection, company_ids: Iterable[int]) -> None:
    """Take, until the end of the transaction, the right to recompute these companies' figures.

    Two transactions recomputing the same company at once would each count the rows as their
    own snapshot sees them, and the last to commit would miss the other's change. PostgreSQL:
    an advisory lock per company, in id order, apart from the row locks a merge or a payment
    takes; each recompute then starts after the previous holder committed. SQLite has one
    writer at a time already.
    """
    if connection.dialect.name != "postgresql":
        return
    for ids in _chunks(company_ids):
        # pg_advisory_xact_lock is volatile: evaluated row by row after the sort.
        connection.execute(text("SELECT pg_advisory_xact_lock(:key, id) FROM unnest(:ids) AS id "
                                "ORDER BY id"), {"key": FIGURES_LOCK, "ids": ids})


def refresh_money(connection: Connection, invoice_ids: Iterable[int] = (),
                  company_ids: Iterable[int] = (), months: bool = True) -> None:
    """The stored state of these invoices, then the money figures of their companies and of
    `company_ids`. `months=False` when only payments or credit uses changed: revenue per month
    comes from invoices and credit notes alone."""
    invoice_ids, company_ids = set(invoice_ids), set(company_ids)
    for ids in _chunks(invoice_ids):
        company_ids.update(connection.scalars(
            select(INVOICES.c.company_id).where(INVOICES.c.id.in_(ids))))
    lock_companies(connection, company_ids)
    if invoice_ids:
        refresh_invoices(connection, invoice_ids)
    if company_ids:
        _rewrite(connection, company_ids, "totals", *(("months",) if months else ()))


def refresh_exchange_counts(connection: Connection, company_ids: Iterable[int]) -> None:
    """The stored exchange counts of these companies."""
    lock_companies(connection, company_ids)
    _rewrite(connection, company_ids, "exchanges")


def refresh(connection: Connection | None = None, invoice_ids: Iterable[int] = (),
            company_ids: Iterable[int] = ()) -> None:
    """Bring back in line with the rows, in the caller's transaction: the stored state of these
    invoices and the money figures of their companies, and every figure of `company_ids`
    (after a set-based statement that moved or wrote their rows)."""
    connection = connection or db.session.connection()
    refresh_money(connection, invoice_ids, company_ids)
    if company_ids:
        refresh_exchange_counts(connection, company_ids)


def refresh_all(connection: Connection | None = None) -> None:
    """Recompute every invoice's state and every company's figures (after a bulk load)."""
    connection = connection or db.session.connection()
    refresh_invoices(connection, None)
    _rewrite(connection, None, "totals", "months", "exchanges")


def _chunks(ids: Iterable[int] | None):
    if ids is None:
        yield None
        return
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), CHUNK):
        yield ordered[start:start + CHUNK]


# --- the guard --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Drift:
    """The first company whose stored figures differ from a recompute, and what differs."""
    company_id: int
    what: str  # "invoice", "totals", "months" or "exchanges"
    invoice_id: int | None = None


def describe(drift: Drift) -> str:
    """What drifted, in a sentence naming the company (and the invoice)."""
    name = db.session.scalar(select(Company.name).where(Company.id == drift.company_id))
    if drift.what == "invoice":
        invoice = db.session.get(Invoice, drift.invoice_id)
        return _("The stored balance or payment date of invoice %(invoice)s of %(company)s "
                 "(#%(id)s) differs from its payments and credit notes.",
                 invoice=str(invoice), company=name, id=drift.company_id)
    if drift.what == "totals":
        return _("The stored money totals of %(company)s (#%(id)s) differ from its invoices "
                 "and credit notes.", company=name, id=drift.company_id)
    if drift.what == "months":
        return _("The stored monthly revenue of %(company)s (#%(id)s) differs from its "
                 "invoices and credit notes.", company=name, id=drift.company_id)
    return _("The stored exchange counts of %(company)s (#%(id)s) differ from its exchanges.",
             company=name, id=drift.company_id)


def verify(connection: Connection | None = None) -> Drift | None:
    """Recompute every stored figure; the drift of the lowest company id, None when all agree."""
    connection = connection or db.session.connection()
    state = invoice_state().subquery("state")
    drifted = (select(INVOICES.c.company_id, INVOICES.c.id)
               .join(state, state.c.id == INVOICES.c.id).where(_drifted_invoices(state)))
    found = []
    # Two aggregates, not ORDER BY ... LIMIT 1: that order tempts PostgreSQL into walking the
    # invoices by company and recomputing the state once per invoice.
    company_id = connection.scalar(select(func.min(drifted.subquery().c.company_id)))
    if company_id is not None:
        first = drifted.where(INVOICES.c.company_id == company_id).subquery()
        found.append(Drift(company_id, "invoice", connection.scalar(select(func.min(first.c.id)))))
    # Company totals are recomputed from the invoices' stored state, just checked above.
    for what, table, columns, rows in _stored(connection):
        expected, stored = rows(), select(*(table.c[name] for name in columns))
        for one, other in ((expected, stored), (stored, expected)):
            differing = except_(one, other).subquery()
            company_id = connection.scalar(select(func.min(list(differing.c)[0])))
            if company_id is not None:
                found.append(Drift(company_id, what))
    return min(found, key=lambda drift: drift.company_id, default=None)
