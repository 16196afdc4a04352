"""Column formatters shared by every list: company links, user HTML, spreadsheet-safe export."""
import re
from datetime import date, time
from decimal import Decimal
from typing import Any

from markupsafe import Markup

from ..services.html import sanitize_html
from .links import company_link

# Values written as they are: numbers, dates, booleans and empty cells are never formulas.
PLAIN_VALUES = (bool, int, float, Decimal, date, time, type(None))
# A spreadsheet evaluates a cell that starts with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_CHARACTERS = frozenset(FORMULA_TRIGGERS)
_PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
EXCERPT_LENGTH = 80


def neutralise_formula(value: Any) -> Any:
    """The cell as a spreadsheet may read it: text that would run as a formula gets a quote in
    front, whatever produced it (a related row, a formatter's Markup, a plain string)."""
    if type(value) is str and value[:1] not in _TRIGGER_CHARACTERS:
        return value  # most cells: checked at once (an export asks for millions)
    if isinstance(value, Markup):
        value = value.striptags()
    if isinstance(value, PLAIN_VALUES):
        return value
    # Anything else (a related Contact, User, Company…) is written as its text: check that text.
    value = value if isinstance(value, str) else str(value)
    if not value.startswith(FORMULA_TRIGGERS):
        return value
    if _PLAIN_NUMBER.match(value):
        return value  # "-12.50" is a number, not a formula
    return "'" + value


def html_excerpt(value: str | None, length: int = EXCERPT_LENGTH) -> str:
    """The text of stored HTML without its tags, shortened; Jinja escapes it on output."""
    if not value:
        return ""
    # Reviewed (bandit B704, here and below): the HTML has just been sanitised by nh3.
    text = Markup(sanitize_html(value)).striptags()  # nosec B704
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def html_plain(value: str | None) -> str:
    return Markup(sanitize_html(value)).striptags() if value else ""  # nosec B704


def company_link_formatter(_view, _context, model, name) -> Markup:
    return company_link(getattr(model, name))


def company_plain_formatter(_view, _context, model, name) -> str:
    company = getattr(model, name)
    return company.name if company is not None else ""


def html_list_formatter(_view, _context, model, name) -> str:
    return html_excerpt(getattr(model, name))


def html_detail_formatter(_view, _context, model, name) -> Markup:
    # Sanitised again on display: rows written outside the forms (imports, SQL) are not trusted.
    return Markup(sanitize_html(getattr(model, name)))  # nosec B704


def html_export_formatter(_view, _context, model, name) -> str:
    return html_plain(getattr(model, name))


class LazyOptions:
    """Filter options read from the database at each page, not once when the app starts."""

    def __init__(self, loader):
        self.loader = loader

    def __iter__(self):
        return iter(self.loader())

    def __bool__(self) -> bool:
        return True
