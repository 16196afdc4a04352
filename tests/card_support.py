"""Helpers shared by the client-card tests: reading KPIs from the page, making sales documents."""
import re
from datetime import date, timedelta
from decimal import Decimal

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import Order, Quote

TODAY = clock.today()  # the organisation's date, as the app computes it


def days(n: int) -> date:
    """A date `n` days from today (negative: in the past)."""
    return TODAY + timedelta(days=n)


def card_url(company_id: int) -> str:
    return f"/admin/company/card/?id={company_id}"


def kpi_values(html: str) -> dict[str, str]:
    """{kpi: data-value} as the page shows them."""
    return dict(re.findall(r'data-kpi="([a-z-]+)"\s+data-value="([^"]*)"', html))


def make_quote(company, status="sent", total="100.00", issue_date=None) -> Quote:
    total = Decimal(total)
    quote = Quote(company=company, status=status, issue_date=issue_date or days(-5),
                  total_excl_tax=total, total_tax=Decimal("0.00"), total_incl_tax=total,
                  number=None)
    db.session.add(quote)
    db.session.commit()
    return quote


def make_order(company, status="open", total="1000.00", order_date=None) -> Order:
    total = Decimal(total)
    order = Order(company=company, status=status, order_date=order_date or days(-20),
                  total_excl_tax=total, total_tax=Decimal("0.00"), total_incl_tax=total)
    db.session.add(order)
    db.session.commit()
    return order
