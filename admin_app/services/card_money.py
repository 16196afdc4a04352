"""The client card's money figures, each one SQL aggregate: KPIs, monthly revenue, balances.

Sums run over integer cents: SQLite stores NUMERIC as floating point, and summing cents keeps
every figure exact to the cent on SQLite and PostgreSQL alike. What a balance is and when an
invoice is overdue come from models/balances.py, as everywhere else.
"""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Integer, and_, case, cast, extract, func, null, or_, select
from sqlalchemy.orm import aliased

from .. import clock
from ..extensions import db
from ..models import CreditNote, Invoice, Order, Payment
from ..models.balances import balance_of, cents, from_cents, overdue_clause
from ..models.credit_notes import credited_cents, used_credit_cents
from ..models.sales import paid_cents_sum

TENTH = Decimal("0.1")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Kpis:
    revenue: Decimal | None
    outstanding: Decimal | None
    unpaid_count: int | None
    unpaid_amount: Decimal | None
    average_payment_delay: Decimal | None
    issued_count: int
    # Credit in the client's favour: the negative balances, as a positive amount.
    client_credit: Decimal | None = None
    # The currency the issued invoices share; None (the setting's) when they differ or none.
    currency: str | None = None

    def data_values(self) -> dict[str, str]:
        """The machine-readable `data-value` of each KPI: `1234.50`, `12.5`, `3` or empty."""
        def fmt(value) -> str:
            return "" if value is None else str(value)
        return {"revenue": fmt(self.revenue), "outstanding": fmt(self.outstanding),
                "unpaid-count": fmt(self.unpaid_count), "unpaid-amount": fmt(self.unpaid_amount),
                "average-payment-delay": fmt(self.average_payment_delay)}


def grouped_balance_cents():
    """An invoice's balance in cents, in a query joined to its payments and grouped by invoice.

    Aggregating in one grouped join keeps the cost linear whatever plan the database picks; a
    correlated subquery was evaluated once per use of the balance on PostgreSQL.
    """
    return balance_of(cents(Invoice.total_incl_tax), paid_cents_sum(), credited_cents(Invoice.id),
                      used_credit_cents(Invoice.id))


def credited_revenue_cents(company_id: int, start: date | None = None):
    """Cents excl. tax of the company's issued credit notes (from `start`): a scalar subquery."""
    query = select(func.coalesce(func.sum(cents(CreditNote.total_excl_tax)), 0)).where(
        CreditNote.company_id == company_id, CreditNote.status == "issued")
    if start is not None:
        query = query.where(CreditNote.issue_date >= start)
    return query.scalar_subquery()


def grouped_overdue(today: date):
    """Whether an invoice is overdue, in a query joined to its payments and grouped by invoice."""
    return overdue_clause(Invoice.status, grouped_balance_cents(), Invoice.due_date, today)


def with_payments(query):
    """`query` over invoices, joined to their payments and grouped by invoice."""
    return (query.outerjoin(Payment, Payment.invoice_id == Invoice.id)
            .group_by(Invoice.id, Invoice.status, Invoice.total_excl_tax, Invoice.total_incl_tax,
                      Invoice.due_date))


def order_invoiced_cents():
    """Cents invoiced (excluding tax, cancelled invoices left out) on the enclosing order."""
    return (select(func.coalesce(func.sum(cents(Invoice.total_excl_tax)), 0))
            .where(Invoice.order_id == Order.id, Invoice.status != "cancelled")
            .correlate(Order).scalar_subquery())


def company_kpis(company_id: int, today: date | None = None) -> Kpis:
    """Revenue, outstanding, unpaid (overdue) and the average payment delay, in one query.

    DESIGN.md: revenue is net of issued credit notes; outstanding sums the positive balances;
    negative balances are the client's credit. A company without issued invoices gets empty
    figures: "no data", not "zero".
    """
    today = today or clock.today()
    paid = paid_cents_sum()
    # What payments had to cover: the total less the issued credit notes; the whole total when
    # credit notes cover all of it (then only an invoice paid in full before counts as paid).
    after_credit = cents(Invoice.total_incl_tax) - credited_cents(Invoice.id)
    total = case((after_credit > 0, after_credit), else_=cents(Invoice.total_incl_tax))
    per_invoice = with_payments(
        select(cents(Invoice.total_excl_tax).label("excl"),
               grouped_balance_cents().label("balance"), Invoice.status, Invoice.due_date,
               Invoice.issue_date, Invoice.currency,
               completed_on(paid, total).label("completed_on"))
        .where(Invoice.company_id == company_id, Invoice.status == "issued")
    ).subquery("per_invoice")
    balance, completed = per_invoice.c.balance, per_invoice.c.completed_on
    overdue = overdue_clause(per_invoice.c.status, balance, per_invoice.c.due_date, today)
    row = db.session.execute(
        select(func.count(), func.sum(per_invoice.c.excl) - credited_revenue_cents(company_id),
               func.sum(case((balance > 0, balance), else_=0)),
               func.sum(case((overdue, 1), else_=0)), func.sum(case((overdue, balance), else_=0)),
               func.count(completed),
               func.sum(_days_between(completed, per_invoice.c.issue_date)),
               func.sum(case((balance < 0, -balance), else_=0)),
               func.min(per_invoice.c.currency), func.max(per_invoice.c.currency))
        .select_from(per_invoice)
    ).one()
    issued_count = int(row[0] or 0)
    if not issued_count:
        return Kpis(None, None, None, None, None, 0)
    return Kpis(revenue=from_cents(row[1]), outstanding=from_cents(row[2]),
                unpaid_count=int(row[3] or 0), unpaid_amount=from_cents(row[4] or 0),
                average_payment_delay=_mean_days(row[5], row[6]), issued_count=issued_count,
                client_credit=from_cents(row[7] or 0),
                currency=row[8] if row[8] == row[9] else None)


def completed_on(paid, total):
    """In a query grouped by invoice: the date of the payment whose running total (in
    (paid_on, id) order) first reached the invoice total; NULL while a balance is left.

    Payments are positive (CHECK amount > 0), so when they add up to exactly the total it is
    the last one, max(paid_on): no per-payment running total needed. Only an overpaid
    invoice (the payment service refuses them; imported data may not) walks its payments.
    """
    later, earlier = aliased(Payment), aliased(Payment)
    running = (select(func.sum(cents(earlier.amount)))
               .where(earlier.invoice_id == later.invoice_id,
                      or_(earlier.paid_on < later.paid_on,
                          and_(earlier.paid_on == later.paid_on, earlier.id <= later.id)))
               .scalar_subquery())
    walked = (select(func.min(later.paid_on))
              .where(later.invoice_id == Invoice.id, running >= total)
              .scalar_subquery())
    return case((total <= 0, null()), (paid == total, func.max(Payment.paid_on)),
                (paid > total, walked), else_=null())


def _days_between(later, earlier):
    if db.session.get_bind().dialect.name == "sqlite":
        return cast(func.julianday(later) - func.julianday(earlier), Integer)
    return later - earlier  # PostgreSQL: date - date is an integer number of days


def _mean_days(count, total_days) -> Decimal | None:
    """Mean of whole days to one decimal, half up; None without any fully paid invoice."""
    if not count:
        return None
    return (Decimal(int(total_days)) / Decimal(count)).quantize(TENTH, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class MonthRevenue:
    year: int
    month: int
    amount: Decimal

    @property
    def label(self) -> str:
        return f"{MONTHS[self.month - 1]} {self.year}"


def last_months(today: date, count: int = 12) -> list[tuple[int, int]]:
    """(year, month) of the last `count` months, oldest first, the current month last."""
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append((year, month))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def monthly_revenue(company_id: int, today: date | None = None) -> list[MonthRevenue]:
    """Revenue (issued invoices less issued credit notes, excluding tax) per month of issue
    over the last 12 months."""
    today = today or clock.today()
    months = last_months(today)
    start = date(months[0][0], months[0][1], 1)
    year, month = extract("year", Invoice.issue_date), extract("month", Invoice.issue_date)
    rows = db.session.execute(
        select(year, month, func.sum(cents(Invoice.total_excl_tax)))
        .where(Invoice.company_id == company_id, Invoice.status == "issued",
               Invoice.issue_date >= start)
        .group_by(year, month)
    ).all()
    credit_year = extract("year", CreditNote.issue_date)
    credit_month = extract("month", CreditNote.issue_date)
    credited = db.session.execute(
        select(credit_year, credit_month, func.sum(cents(CreditNote.total_excl_tax)))
        .where(CreditNote.company_id == company_id, CreditNote.status == "issued",
               CreditNote.issue_date >= start)
        .group_by(credit_year, credit_month)
    ).all()
    month_cents: dict[tuple[int, int], int] = {}
    for y, m, total in rows:
        month_cents[(int(y), int(m))] = int(total or 0)
    for y, m, total in credited:
        month_cents[(int(y), int(m))] = month_cents.get((int(y), int(m)), 0) - int(total or 0)
    sums = {key: from_cents(total) for key, total in month_cents.items()}
    return [MonthRevenue(y, m, sums.get((y, m), Decimal("0.00"))) for y, m in months]


def chart_bars(months: list[MonthRevenue], width: int = 360, height: int = 110) -> list[dict]:
    """Bar geometry for the inline SVG chart, scaled to the largest month."""
    peak = max((m.amount for m in months), default=Decimal("0")) or Decimal("1")
    slot = width / len(months)
    bars = []
    for index, m in enumerate(months):
        # Pixels, not money: the ratio to the peak month, rounded for the SVG.
        bar_height = round(m.amount / peak * (height - 14), 1) if m.amount > 0 else Decimal(0)
        bars.append({"x": round(index * slot + 3, 1), "width": round(slot - 6, 1),
                     "y": round(height - bar_height, 1), "height": round(bar_height, 1),
                     "label": m.label, "short": MONTHS[m.month - 1][0], "amount": m.amount,
                     "text_x": round(index * slot + slot / 2, 1)})
    return bars
