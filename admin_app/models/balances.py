"""What an invoice's balance and "overdue" mean, each written once for Python and SQL alike.

The rules take their parts as arguments, so one rule builds a Decimal from loaded objects, a SQL
expression for lists and counts, and the integer-cents expression that aggregates sum: SQLite
stores NUMERIC as floating point, so SQL sums and comparisons with zero are made on exact cents
(on PostgreSQL too, so that both databases give the same figures).
"""
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, and_, cast, func

from .base import MONEY

CENT = Decimal("0.01")


def cents(amount):
    """A SQL money column or expression as exact integer cents."""
    return cast(func.round(amount * 100), BigInteger)


def from_cents(value) -> Decimal | None:
    """Integer cents read from SQL back to a Decimal amount (None stays None)."""
    if value is None:
        return None
    return (Decimal(int(value)) / 100).quantize(CENT)


def money_from_cents(cents_expression):
    """A SQL cents expression as a money value (two decimals) in the query's result."""
    return cast(cents_expression / 100.0, MONEY)


def balance_of(total_incl_tax, paid, credited=0, used_credit=0):
    """What is left to pay on an invoice, from Decimals, SQL money or SQL cents alike.

    DESIGN.md: total − payments − issued credit notes + credit refunded or applied elsewhere out
    of it. Negative: a credit in the client's favour. Every balance the application shows or
    compares is built by this function.
    """
    return total_incl_tax - paid - credited + used_credit


def opening_balance_cents(context) -> int:
    """An invoice's balance in cents when its row is inserted: no payment, credit note or
    credit use can point at it yet, so its total. The column's default, so that bulk inserts
    (demo data, tests) start with the right balance too; services/figures.py keeps it after."""
    total = Decimal(str(context.get_current_parameters().get("total_incl_tax") or 0))
    return int(balance_of(total * 100, 0).to_integral_value(ROUND_HALF_UP))


def overdue_conditions(status, balance, due_date, today) -> tuple:
    """Issued, due before today (an invoice due today is not late), something left to pay."""
    # The balance last: SQL then sums payments only for the invoices already past due.
    return status == "issued", due_date < today, balance > 0


def overdue_clause(status, balance, due_date, today):
    """`overdue_conditions` as one SQL condition."""
    return and_(*overdue_conditions(status, balance, due_date, today))
