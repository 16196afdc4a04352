"""The budget of one template render (services.templating): time, loop iterations, calls, and
the size of every value built and of the output; and the filters a template may use, each
checked against it. A template that goes over stops with `BudgetExceeded`."""
import contextvars
import time
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import wraps

from flask import has_request_context
from flask_babel import format_decimal
from flask_babel import gettext as _
from jinja2 import pass_context
from jinja2.filters import FILTERS as JINJA_FILTERS
from jinja2.runtime import markup_join, str_join
from jinja2.sandbox import SecurityError
from jinja2.utils import _PassArg

MAX_OUTPUT_CHARS = 200_000  # what one render may return
MAX_PRODUCED_CHARS = 1_000_000  # everything written on the way, macros and {% set %} blocks too
MAX_ITEMS = 20_000  # items one value may hold (a list, a range), nested ones counted
MAX_ITERATIONS = 20_000  # loop iterations in one render, all loops together
MAX_CALLS = 20_000  # calls (macros, methods, range) in one render
TIME_BUDGET_SECONDS = 1.0
SAFE_FILTERS = (
    "abs", "capitalize", "count", "d", "default", "e", "escape", "filesizeformat", "first",
    "float", "forceescape", "int", "last", "length", "list", "lower", "map", "max", "min",
    "reject", "rejectattr", "reverse", "round", "select", "selectattr", "sort", "striptags",
    "sum", "title", "trim", "truncate", "unique", "upper", "wordcount")


def limit_text(value: int) -> str:
    """A limit as the user's language writes it (`20,000`, `20.000`, `20 000`)."""
    return format_decimal(value) if has_request_context() else f"{value:,}"


class BudgetExceeded(SecurityError):
    """The render went over one of its budgets; it is stopped."""


class _Budget:
    def __init__(self) -> None:
        self.deadline = time.monotonic() + TIME_BUDGET_SECONDS
        self.iterations = self.calls = self.produced = 0

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(_("the template took longer than %(seconds)s s to render: "
                                   "simplify its loops", seconds=format(TIME_BUDGET_SECONDS, "g")))


_current: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget",
                                                                          default=None)


@contextmanager
def render_budget():
    """A fresh budget for the render inside the block."""
    token = _current.set(_Budget())
    try:
        yield
    finally:
        _current.reset(token)


def current_budget() -> _Budget:
    """The budget of the render under way."""
    budget = _current.get()
    if budget is None:  # outside render(), e.g. a filter folded at compile time
        budget = _Budget()
        _current.set(budget)
    return budget


def tick_call() -> None:
    """One more call (macro, method, filter, operator); also checks the time."""
    budget = current_budget()
    budget.calls += 1
    if budget.calls > MAX_CALLS:
        raise BudgetExceeded(_("the template makes more than %(count)s calls",
                               count=limit_text(MAX_CALLS)))
    budget.check_time()


def measure(value) -> int:
    """The characters `value` prints as; refuses one too big to print or even to walk."""
    total, seen, stack = 0, 0, [value]
    while stack:
        item = stack.pop()
        seen += len(item) if isinstance(item, range) else 1
        if seen > MAX_ITEMS:
            raise BudgetExceeded(_("a value holds more than %(count)s items",
                                   count=limit_text(MAX_ITEMS)))
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
            total += 2 + 2 * len(item)
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
            total += 2 + 4 * len(item)
        else:
            total += 24 if not isinstance(item, range) else 8 * len(item)
        if total > MAX_OUTPUT_CHARS:
            raise BudgetExceeded(_("a value is longer than %(count)s characters",
                                   count=limit_text(MAX_OUTPUT_CHARS)))
    return total


def count_iterations(iterable):
    """`iterable`, each item counted against the render's iterations and time."""
    budget = current_budget()
    for item in iterable:
        budget.iterations += 1
        if budget.iterations > MAX_ITERATIONS:
            raise BudgetExceeded(_("the loops run more than %(count)s times in all",
                                   count=limit_text(MAX_ITERATIONS)))
        budget.check_time()
        yield item


# --- filters and range() --------------------------------------------------------------------

def _guarded(func):
    """A filter that counts as a call and refuses inputs or results too big."""
    pass_arg = _PassArg.from_obj(func)

    @wraps(func)
    def guarded(context, value, *args, **kwargs):
        tick_call()
        measure(value)
        first = {_PassArg.context: (context,), _PassArg.eval_context: (context.eval_ctx,),
                 _PassArg.environment: (context.environment,)}.get(pass_arg, ())
        result = func(*first, value, *args, **kwargs)
        if hasattr(result, "__next__"):  # map, select…: lazy, counted as they are consumed
            return count_iterations(result)
        measure(result)
        return result
    guarded.jinja_pass_arg = _PassArg.context  # never folded at compile time, outside a budget
    return guarded


@pass_context
def _replace(context, value, old, new, count=None):
    """`replace`, refused before it builds a string over the budget."""
    tick_call()
    text, old, new = str(value), str(old), str(new)
    grows = max(len(new) - len(old), 0) * (text.count(old) if old else len(text) + 1)
    if len(text) + grows > MAX_OUTPUT_CHARS:
        raise BudgetExceeded(_("replace would build more than %(count)s characters",
                               count=limit_text(MAX_OUTPUT_CHARS)))
    return JINJA_FILTERS["replace"](context.eval_ctx, value, old, new, count)


@pass_context
def _join(context, value, separator="", attribute=None):
    """`join`, refused before it builds a string over the budget."""
    tick_call()
    items = list(value)
    if measure(items) + len(str(separator)) * len(items) > MAX_OUTPUT_CHARS:
        raise BudgetExceeded(_("join would build more than %(count)s characters",
                               count=limit_text(MAX_OUTPUT_CHARS)))
    return JINJA_FILTERS["join"](context.eval_ctx, items, separator, attribute)


@pass_context
def _date(context, value, format="%d/%m/%Y"):
    """`{{ document.due_date|date('%d %B %Y') }}`; empty for no date."""
    tick_call()
    if not isinstance(value, date):
        return ""
    if len(str(format)) > 100:
        raise BudgetExceeded(_("a date format is limited to %(count)s characters", count=100))
    return value.strftime(str(format))


@pass_context
def _money(context, value, currency=""):
    """`{{ document.total_incl_tax|money(document.currency) }}`: 1,234.50 EUR."""
    tick_call()
    if value in ("", None):
        return ""
    amount = Decimal(str(value))
    return f"{amount:,.2f} {currency}".strip()


@pass_context
def _loop_budget(context, iterable):
    """Put in front of every {% for %} by _Guard: counts each iteration of each loop."""
    measure(iterable)
    return count_iterations(iterable)


@pass_context
def _concat(context, parts):
    """What `a ~ b` compiles to (see _Guard): measured before the string is built."""
    tick_call()
    measure(parts)
    return markup_join(parts) if context.eval_ctx.autoescape else str_join(parts)


def budget_range(*args) -> range:
    """`range()` in templates, refused past MAX_ITEMS numbers."""
    numbers = range(*args)
    if len(numbers) > MAX_ITEMS:
        raise BudgetExceeded(_("range() is limited to %(count)s numbers", count=limit_text(MAX_ITEMS)))
    return numbers


FILTERS = {name: _guarded(JINJA_FILTERS[name]) for name in SAFE_FILTERS}
FILTERS.update(replace=_replace, join=_join, date=_date, money=_money,
               _loop_budget=_loop_budget, _concat=_concat)
