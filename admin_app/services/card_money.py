"""The client card's money figures: KPIs and monthly revenue, read from the figures stored by
services/figures.py in a few index lookups, however many invoices the client has.

Amounts are integer cents in SQL, exact to the cent on SQLite and PostgreSQL alike. What a
balance is and when an invoice is overdue come from models/balances.py, as everywhere else.
"""
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from sqlalchemy import Date, Integer, bindparam, func, select

from .. import clock
from ..extensions import db
from ..models import CompanyFigures, CompanyMonthFigures, Invoice
from ..models.balances import from_cents, overdue_clause
from .figures import unsettled

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


def company_kpis(company_id: int, today: date | None = None) -> Kpis:
    """Revenue, outstanding, unpaid (overdue) and the average payment delay, in one query.

    DESIGN.md: revenue is net of issued credit notes; outstanding sums the positive balances;
    negative balances are the client's credit. A company without issued invoices gets empty
    figures: "no data", not "zero". The totals are stored (services/figures.py); "overdue"
    moves with today, so it is summed here, over the client's unsettled invoices only.
    """
    row = db.session.execute(_kpis_statement(), {
        "company_id": company_id, "today": today or clock.today()}).one()
    issued_count = int(row[0] or 0)
    if not issued_count:
        return Kpis(None, None, None, None, None, 0)
    return Kpis(revenue=from_cents(row[1]), outstanding=from_cents(row[2]),
                unpaid_count=int(row[3] or 0), unpaid_amount=from_cents(row[4] or 0),
                average_payment_delay=_mean_days(row[5], row[6]), issued_count=issued_count,
                client_credit=from_cents(row[7] or 0),
                currency=row[8] if row[8] == row[9] else None)


@lru_cache(maxsize=1)
def _kpis_statement():
    """Built once and run with new values (see sales_history._page_statement)."""
    company_id = bindparam("company_id", type_=Integer)
    overdue = (select(func.count().label("count"),
                      func.coalesce(func.sum(Invoice.balance_cents), 0).label("cents"))
               .where(Invoice.company_id == company_id, unsettled(),
                      overdue_clause(Invoice.status, Invoice.balance_cents, Invoice.due_date,
                                     bindparam("today", type_=Date)))
               .subquery("overdue"))
    stored = CompanyFigures
    return (select(stored.issued_count, stored.revenue_cents, stored.outstanding_cents,
                   overdue.c.count, overdue.c.cents, stored.completed_count, stored.delay_days,
                   stored.credit_cents, stored.currency_min, stored.currency_max)
            .select_from(overdue).outerjoin(stored, stored.company_id == company_id))


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
    over the last 12 months, from the stored month figures (services/figures.py)."""
    today = today or clock.today()
    months = last_months(today)
    # A range on the primary key (company_id, year, month); the months outside are skipped below.
    rows = db.session.execute(
        select(CompanyMonthFigures.year, CompanyMonthFigures.month,
               CompanyMonthFigures.revenue_cents)
        .where(CompanyMonthFigures.company_id == company_id,
               CompanyMonthFigures.year >= months[0][0])
    ).all()
    sums = {(int(y), int(m)): from_cents(total) for y, m, total in rows}
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
