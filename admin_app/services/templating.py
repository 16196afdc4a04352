"""The one renderer every user-written template goes through (email subjects and bodies, their
previews, the texts printed on PDFs): a sandboxed Jinja environment with a budget.

Admins write these templates, and the data they print is typed by any user, so:
- `ImmutableSandboxedEnvironment`: no private or dunder attributes (`''.__class__.__mro__`), no
  method that changes data; only the variables of `template_vars` are defined (`config`,
  `request`, `cycler` are unknown), and `self`, includes and imports are refused;
- HTML is autoescaped and `{% autoescape false %}` is refused; text renders without escaping;
- `StrictUndefined`: an unknown variable or field is an error, never an empty string;
- a budget per render: time, loop iterations, calls, the size of every value built and of the
  output, so `range(10**9)`, nested loops, `'x' * 10**9` or doubling a string forty times stop
  with an error instead of holding a worker. Every loop, call, filter, operator that can grow
  a value, and every piece of output (buffered ones included) is checked.
The budget itself lives in services.template_budget. Errors are `TemplateProblem`s: a `Refusal`
whose message names the line.
"""
import traceback
from datetime import date
from decimal import Decimal
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, meta, nodes, pass_context
from jinja2.runtime import LoopContext
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from jinja2.utils import missing
from jinja2.visitor import NodeTransformer
from markupsafe import Markup

from ..errors import Refusal
from .template_budget import (
    FILTERS, MAX_OUTPUT_CHARS, MAX_PRODUCED_CHARS, BudgetExceeded, budget_range, current_budget,
    limit_text, measure, render_budget, tick_call,
)

MAX_SOURCE_CHARS = 50_000
TEMPLATE_NAME = "<template>"

# Methods a template may call on a string: none of them grows it (no center, zfill, format…).
STRING_METHODS = frozenset({
    "lower", "upper", "title", "capitalize", "casefold", "swapcase", "strip", "lstrip",
    "rstrip", "startswith", "endswith", "split", "rsplit", "splitlines", "count", "find",
    "rfind", "isdigit", "isalpha", "isalnum", "isspace", "islower", "isupper", "removeprefix",
    "removesuffix", "partition", "rpartition", "striptags", "unescape"})
PRINTABLE = (str, int, float, Decimal, date)
# The parts of a template named in its errors (services.templates passes the English name).
PARTS = {"Subject": _l("Subject"), "Body": _l("Body"), "Text": _l("Text")}


class TemplateProblem(Refusal):
    """A template that cannot be saved or rendered; `line` says where, when it is known."""

    def __init__(self, detail: str, line: int | None = None, part: str = ""):
        self.detail, self.line, self.part = detail, line, part
        part = str(PARTS.get(part, part))
        if part and line:
            message = _("%(part)s, line %(line)s: %(problem)s", part=part, line=line, problem=detail)
        elif line:
            message = _("Line %(line)s: %(problem)s", line=line, problem=detail)
        elif part:
            message = _("%(part)s: %(problem)s", part=part, problem=detail)
        else:
            message = detail
        super().__init__(message)


class Vars(dict):
    """A group of template variables (`company`, `contact`…): `{{ company.name }}` reads a key,
    and a key that is not there is an error naming the group."""

    def __init__(self, label: str, values: dict):
        super().__init__(values)
        self._label = label


class _Undefined(StrictUndefined):
    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        owner, name = self._undefined_obj, self._undefined_name
        if self._undefined_hint:
            return self._undefined_hint
        if isinstance(owner, Vars):
            return _("%(group)s has no variable %(name)s", group=owner._label, name=repr(name))
        if owner is missing:
            return _("unknown variable %(name)s", name=repr(name))
        return super()._undefined_message


# --- the environment ------------------------------------------------------------------------

class _Guard(NodeTransformer):
    """Rewrites a parsed template so that the budget sees every loop, every `~` and every piece
    of output, and refuses what a user template has no business doing."""

    def visit_For(self, node: nodes.For):
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "_loop_budget", [], [], None, None,
                                 lineno=node.iter.lineno)
        return node

    def visit_Concat(self, node: nodes.Concat):
        node = self.generic_visit(node)
        return nodes.Filter(nodes.List(node.nodes, lineno=node.lineno), "_concat", [], [],
                            None, None, lineno=node.lineno)

    def visit_Output(self, node: nodes.Output):
        node = self.generic_visit(node)
        # Template text goes through finalize too (it would not as TemplateData), so text that
        # a loop repeats into a macro or a {% set %} block is counted as it is produced.
        node.nodes = [nodes.MarkSafeIfAutoescape(nodes.Const(child.data), lineno=child.lineno)
                      if isinstance(child, nodes.TemplateData) else child
                      for child in node.nodes]
        return node

    def visit_Name(self, node: nodes.Name):
        if node.name == "self":
            raise TemplateProblem(_("unknown variable %(name)s", name="'self'"), node.lineno)
        return node

    def generic_visit(self, node, *args, **kwargs):
        if isinstance(node, (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)):
            raise TemplateProblem(_("a template cannot include, import or extend another"),
                                  node.lineno)
        if isinstance(node, (nodes.EvalContextModifier, nodes.ScopedEvalContextModifier)):
            raise TemplateProblem(_("escaping cannot be turned off"), node.lineno)
        return super().generic_visit(node, *args, **kwargs)


@pass_context
def _finalize(context, value):
    """Every printed value and piece of text: only plain values, within the budget."""
    budget = current_budget()
    budget.check_time()
    if value is None:
        return ""
    if isinstance(value, Undefined):
        return value  # printing it raises the error that names the variable
    if isinstance(value, Vars):
        example = f"{{{{ {value._label}.{next(iter(value), 'name')} }}}}"
        raise SecurityError(_("%(group)s is a group of variables: print one of them, e.g. "
                              "%(example)s", group=value._label, example=example))
    if not isinstance(value, PRINTABLE):
        raise SecurityError(_("only text, numbers and dates can be printed"))
    size = len(value) if isinstance(value, str) else measure(value)
    budget.produced += size
    if budget.produced > MAX_PRODUCED_CHARS:
        raise BudgetExceeded(_("the template writes more than %(count)s characters",
                                count=limit_text(MAX_PRODUCED_CHARS)))
    return value


class _Sandbox(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def __init__(self, autoescape: bool) -> None:
        super().__init__(autoescape=autoescape, undefined=_Undefined, finalize=_finalize,
                         auto_reload=False, cache_size=0)
        self.globals.clear()
        self.globals["range"] = budget_range
        self.filters = dict(FILTERS)

    def _parse(self, source, name, filename):
        tree = _Guard().visit(super()._parse(source, name, filename))
        tree.set_environment(self)
        return tree

    def is_safe_attribute(self, obj, attr, value) -> bool:
        if isinstance(obj, dict):
            return False  # a group's keys are read by name; its methods are not for templates
        if isinstance(obj, str):
            return attr in STRING_METHODS
        if callable(value) and not isinstance(obj, (LoopContext, date)):
            return False
        return super().is_safe_attribute(obj, attr, value)

    def getattr(self, obj, attribute):
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()  # `cycler.__init__`: say that cycler is unknown
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        if isinstance(obj, Undefined):
            obj._fail_with_undefined_error()
        return super().getitem(obj, argument)

    def wrap_str_format(self, value):
        return None  # str.format is not offered (is_safe_attribute refuses it)

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        tick_call()
        measure((args, kwargs))
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context, operator, left, right):
        tick_call()
        if operator == "%" and isinstance(left, str):
            raise SecurityError(_("%% formatting of text is not available: use filters"))
        if operator == "**" and _big_power(left, right):
            raise BudgetExceeded(_("the number is too large"))
        if operator == "*":
            count, sized = (right, left) if isinstance(right, int) else (left, right)
            if isinstance(count, int) and not isinstance(sized, (int, float, Decimal)):
                if measure(sized) * max(count, 0) > MAX_OUTPUT_CHARS:
                    raise BudgetExceeded(_("a value would be longer than %(count)s characters",
                                           count=limit_text(MAX_OUTPUT_CHARS)))
            elif isinstance(left, int) and isinstance(right, int) and \
                    abs(left).bit_length() + abs(right).bit_length() > 4096:
                raise BudgetExceeded(_("the number is too large"))
        if operator == "+":
            measure((left, right))
        return super().call_binop(context, operator, left, right)


def _big_power(base, exponent) -> bool:
    if not isinstance(base, (int, float, Decimal)) or not isinstance(exponent, (int, float,
                                                                               Decimal)):
        return False
    return abs(exponent) > 64 and abs(base) > 1 or abs(base) > 2 ** 64 and abs(exponent) > 1


_ENVIRONMENTS = {True: _Sandbox(autoescape=True), False: _Sandbox(autoescape=False)}


# --- the public functions -------------------------------------------------------------------

@lru_cache(maxsize=256)
def _compile(source: str, html: bool):
    if len(source) > MAX_SOURCE_CHARS:
        raise TemplateProblem(_("a template is limited to %(count)s characters",
                                count=limit_text(MAX_SOURCE_CHARS)))
    try:
        return _ENVIRONMENTS[html].from_string(source)
    except TemplateSyntaxError as exc:
        raise TemplateProblem(exc.message or _("syntax error"), exc.lineno) from None
    except TemplateProblem:
        raise
    except (RecursionError, MemoryError, SyntaxError, ValueError):
        raise TemplateProblem(_("the template is too deeply nested or too large")) from None


def check(source: str, allowed: set[str] | frozenset[str], html: bool = False) -> None:
    """Refuse a template that does not compile or names a variable outside `allowed`."""
    _compile(source, html)
    tree = _ENVIRONMENTS[html].parse(source)
    unknown = sorted(meta.find_undeclared_variables(tree) - set(allowed))
    if unknown:
        line = next((n.lineno for n in tree.find_all(nodes.Name) if n.name == unknown[0]), None)
        known = ", ".join(sorted(allowed)) or _("none")
        raise TemplateProblem(_("unknown variable %(name)s (this template may use: %(known)s)",
                                name=repr(unknown[0]), known=known), line)


def render(source: str, context: dict, html: bool = False) -> str:
    """The template rendered on `context`, HTML-escaped when `html`; a TemplateProblem if it
    fails or goes over its budget."""
    template = _compile(source, html)
    chunks, size = [], 0
    try:
        with render_budget():
            stream = template.generate(context)
            try:
                for chunk in stream:
                    size += len(chunk)
                    if size > MAX_OUTPUT_CHARS:
                        raise BudgetExceeded(_("the result is longer than %(count)s characters",
                                               count=limit_text(MAX_OUTPUT_CHARS)))
                    chunks.append(chunk)
            finally:
                stream.close()
    except TemplateProblem:
        raise
    except Exception as exc:  # noqa: BLE001 - whatever a user template does wrong is its problem
        raise TemplateProblem(_describe(exc), _line_of(exc)) from None
    return Markup("").join(chunks) if html else "".join(chunks)


def _describe(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return _("the template calls itself too deeply")
    if isinstance(exc, MemoryError):
        return _("the template needs too much memory")
    if isinstance(exc, ZeroDivisionError):
        return _("division by zero")
    message = str(exc) or type(exc).__name__
    return message if isinstance(exc, SecurityError) or "undefined" in type(exc).__name__.lower() \
        else f"{message} ({type(exc).__name__})"


def _line_of(exc: Exception) -> int | None:
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if frame.filename == TEMPLATE_NAME]
    return lines[-1] if lines else getattr(exc, "lineno", None)
