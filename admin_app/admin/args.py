"""Values from the query string or a form, checked before they reach the database.

PostgreSQL fails the whole statement on an id beyond its `integer`, a negative OFFSET or a NUL
byte in text, where SQLite quietly finds nothing: such values are treated here as absent, so
the page answers "not found" instead of a server error."""
from flask import flash, request
from sqlalchemy import BigInteger, Integer, Numeric, inspect

from ..extensions import db
from ..ids import parse_id
from ..models.base import MAX_ID

MAX_BIGINT = 2**63 - 1
# Far beyond any real list, small enough that page × page size stays a valid OFFSET.
MAX_PAGE = 1_000_000


parse_int = parse_id


def int_arg(name: str, values=None, default: int | None = None, minimum: int = 1,
            maximum: int = MAX_ID) -> int | None:
    """The request's integer argument `name` (query string unless `values` is given); `default`
    when it is absent, not a number, or out of range (an id that cannot exist)."""
    values = request.args if values is None else values
    value = parse_int(values.get(name), minimum, maximum)
    return default if value is None else value


def int_args(name: str, values=None) -> list[int]:
    """Every valid id given as `name` (repeated argument); the others are dropped."""
    values = request.args if values is None else values
    return [v for v in (parse_int(raw) for raw in values.getlist(name)) if v is not None]


def page_arg(name: str, values=None) -> int:
    """A 0-based page number; 0 when absent or unusable."""
    return int_arg(name, values, default=0, minimum=0, maximum=MAX_PAGE)


def clamp_page(page: int | None) -> int:
    return min(max(page or 0, 0), MAX_PAGE)


def without_nul(text):
    """Text without NUL bytes, which PostgreSQL refuses in any text value."""
    return text.replace("\x00", "") if isinstance(text, str) else text


def storable_filter_value(flt, value: str) -> bool:
    """Whether a list filter's value can reach the database: no NUL byte, and numbers that fit
    the filtered column (a larger one fails the query on PostgreSQL)."""
    if "\x00" in value:
        return False
    try:
        cleaned = flt.clean(value)
    except (TypeError, ValueError):
        return False
    limit = _numeric_limit(getattr(getattr(flt, "column", None), "type", None))
    numbers = [v for v in (cleaned if isinstance(cleaned, list) else [cleaned])
               if isinstance(v, (int, float)) and not isinstance(v, bool)]
    return limit is None or all(-limit <= v <= limit for v in numbers)


def _numeric_limit(column_type) -> float | None:
    if isinstance(column_type, BigInteger):
        return MAX_BIGINT
    if isinstance(column_type, Integer):
        return MAX_ID
    if isinstance(column_type, Numeric) and column_type.precision:
        return 10 ** (column_type.precision - (column_type.scale or 0)) - 1
    return None


class CheckedArgsMixin:
    """The same checks on what Flask-Admin itself reads: ids, pages, searches and filters."""

    def get_one(self, id):
        """The row with this id, or None (the page then says "not found") for an id that cannot
        exist: "abc", or a number beyond the id column, which PostgreSQL would fail on."""
        key = inspect(self.model).primary_key
        if len(key) == 1 and isinstance(key[0].type, Integer):
            number = parse_int(id)
            return None if number is None else db.session.get(self.model, number)
        return super().get_one(id)

    def _get_list_extra_args(self):
        args = super()._get_list_extra_args()
        return args.clone(page=clamp_page(args.page), search=without_nul(args.search))

    def _get_list_filter_args(self):
        filters = super()._get_list_filter_args()
        kept = []
        for idx, name, value in filters or ():
            if storable_filter_value(self._filters[idx], value):
                kept.append((idx, name, value))
            else:
                flash(self.get_invalid_value_msg(value, self._filters[idx]), "error")
        return kept if filters is not None else None

    def get_invalid_value_msg(self, value, filter):
        # The value is echoed in a flash message, which lives in the session cookie: keep it short.
        shown = without_nul(value)
        return super().get_invalid_value_msg(shown if len(shown) <= 40 else shown[:39] + "…",
                                             filter)
