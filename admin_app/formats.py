"""Money, numbers and dates as the reader expects them: in the user's language, through Babel.

The one place that turns an amount or a date into text for people (pages, list columns, PDFs).
Machine-readable copies (`data-value`, CSV exports) keep the plain value: `1234.50`, ISO dates.
"""
from datetime import date as Date
from datetime import datetime as DateTime
from decimal import Decimal
from functools import lru_cache

from babel import dates as babel_dates
from babel.numbers import NumberFormatError, get_group_symbol, parse_decimal
from flask import Flask, g, has_app_context
from flask_babel import format_currency, format_decimal, get_locale, get_timezone, refresh
from flask_babel import format_date as babel_date
from flask_babel import format_time as babel_time

from .services.settings import get_setting

EMPTY = "—"
DEFAULT_CURRENCY = "EUR"
# Formatted texts kept per process: Babel takes 15–25 µs an amount (it looks up the currency's
# plural name on every call, used or not) and a page of documents shows dozens, many alike.
# The text depends only on the value, the currency, the language and, for date-times, the zone.
REMEMBERED = 4096


def default_currency() -> str:
    """The currency of the settings, read once per request (list cells ask for it per row)."""
    if not has_app_context():
        return DEFAULT_CURRENCY
    if "money_currency" not in g:
        g.money_currency = get_setting("currency") or DEFAULT_CURRENCY
    return g.money_currency


def money(amount: Decimal | int | None, currency: str | None = None) -> str:
    """`€1,234.50` (en), `1.234,50 €` (es), `1 234,50 €` (fr); an em dash for no amount."""
    if amount is None:
        return EMPTY
    currency = currency or default_currency()
    if isinstance(amount, Decimal) and not amount.is_finite():
        return format_currency(amount, currency)
    # The sign apart: -0.00 equals 0.00, yet Babel writes it with its minus sign.
    signed = amount.is_signed() if isinstance(amount, Decimal) else amount < 0
    return _money(amount, signed, currency, str(get_locale()))


@lru_cache(maxsize=REMEMBERED)
def _money(amount: Decimal | int, _signed: bool, currency: str, _locale: str) -> str:
    return format_currency(amount, currency)


def number(value: Decimal | int | float | None) -> str:
    """A plain number in the user's locale: `12.5` (en), `12,5` (es, fr)."""
    return EMPTY if value is None else format_decimal(value)


def date(value: Date | None) -> str:
    """`May 1, 2026` (en), `1 may 2026` (es), `1 mai 2026` (fr)."""
    if value is None:
        return EMPTY
    # A date-time's day is the one in the reader's zone.
    zone = str(get_timezone()) if isinstance(value, DateTime) else ""
    return _date(value, _offset(value), str(get_locale()), zone)


def _offset(value: Date):
    # Two date-times at one instant are equal in any zone; written as they are, they differ.
    return value.utcoffset() if isinstance(value, DateTime) else None


@lru_cache(maxsize=REMEMBERED)
def _date(value: Date, _offset, _locale: str, _zone: str) -> str:
    return babel_date(value, "medium")


def datetime(value: DateTime | None, rebase: bool = True) -> str:
    """A stored (UTC) date-time to the minute, in the user's zone: `May 1, 2026, 9:05 AM`.

    `rebase=False` for times already kept as the organisation's wall clock (exchanges,
    meetings, call-backs): they are shown as entered."""
    if value is None:
        return EMPTY
    return _datetime(value, _offset(value), rebase, str(get_locale()),
                     str(get_timezone()) if rebase else "")


@lru_cache(maxsize=REMEMBERED)
def _datetime(value: DateTime, _offset, rebase: bool, _locale: str, _zone: str) -> str:
    # Babel's own "medium" date-time has seconds; a reader needs the minute, in the locale's
    # order of date and time.
    pattern = babel_dates.get_datetime_format("medium", locale=get_locale())
    return (pattern.replace("'", "").replace("{1}", babel_date(value, "medium", rebase=rebase))
            .replace("{0}", babel_time(value, "short", rebase=rebase)))


def wall_datetime(value: DateTime | None) -> str:
    """A date-time kept as the organisation's wall clock, shown as it is (no zone change)."""
    return datetime(value, rebase=False)


def parse_number(text: str | None) -> Decimal:
    """A number as the reader types it: `1.234,50` (es), `1 234,50` (fr), `1,234.50` (en).

    A plain `1234.50` is accepted in every language too (a pasted figure, a habit). Raises
    ValueError when the text is not a number.
    """
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 40:
        raise ValueError(text)
    locale = get_locale() or "en"
    # People type an ordinary space where the locale groups with a (narrow) no-break one.
    group = get_group_symbol(locale=locale)
    if group.isspace():
        cleaned = cleaned.replace(" ", group).replace("\u00a0", group).replace("\u202f", group)
    try:
        value = parse_decimal(cleaned, locale=locale, strict=True)
    except NumberFormatError:
        # A plain figure ("120.50"), or a lone decimal comma where the locale uses a point.
        plain = cleaned.replace(group, "") if group.isspace() else cleaned
        if "." not in plain and plain.count(",") == 1:
            plain = plain.replace(",", ".")
        try:
            value = Decimal(plain)
        except ArithmeticError:
            raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value


def input_number(value: Decimal | int | None) -> str:
    """A number as an input shows it for editing: the locale's decimal mark, no grouping."""
    if value is None:
        return ""
    places = max(0, -Decimal(value).as_tuple().exponent) if isinstance(value, Decimal) else 0
    return format_decimal(value, format="0." + "0" * places if places else "0")


def init_app(app: Flask) -> None:
    """Offer the formatters to every template: `money(x)`, `x|money`, `d|date`, `dt|datetime`."""
    app.jinja_env.globals.update(money=money)
    app.jinja_env.filters.update(money=money, number=number, date=date, datetime=datetime,
                               wall_datetime=wall_datetime, input_number=input_number)

    @app.before_request
    def read_the_currency_again() -> None:
        # An app context can outlive a request (tests, shells): each request reads the setting,
        # and chooses its language and time zone again (Flask-Babel keeps them on `g`).
        g.pop("money_currency", None)
        refresh()
