"""Column formatters shared by the sales views: money, status badges, links to documents."""
from flask import url_for
from markupsafe import Markup, escape

from ..formats import money
from .labels import status_label
from .links import company_link

STATUS_BADGES = {"draft": "secondary", "sent": "info", "accepted": "success", "refused": "dark",
                 "expired": "warning", "open": "primary", "invoiced": "success",
                 "closed": "dark", "issued": "success", "cancelled": "danger", "won": "success",
                 "lost": "dark"}
MONEY_COLUMNS = ("amount", "total_excl_tax", "total_tax", "total_incl_tax", "unit_price")


def badge(status: str | None) -> Markup:
    if not status:
        return Markup("")
    return Markup('<span class="badge badge-{}" data-status="{}">{}</span>').format(
        STATUS_BADGES.get(status, "light"), status, status_label(status).capitalize())


def document_url(document) -> str:
    return url_for(f"{type(document).__name__.lower()}.details_view", id=document.id)


def document_link(document) -> Markup:
    if document is None:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(document_url(document), escape(str(document)))


def _money(_view, _context, model, name):
    # An issued document in the currency it was issued in; drafts, lines and the rest follow
    # the currency setting (money's default).
    return money(getattr(model, name), getattr(model, "currency", None))


def _plain(_view, _context, model, name):
    # A spreadsheet reads `1234.50`; a currency sign or a locale's separators would make it text.
    value = getattr(model, name)
    return "" if value is None else str(value)


def _badge(_view, _context, model, name):
    return badge(getattr(model, name))


def _company(_view, _context, model, _name):
    return company_link(model.company)


def _self_link(_view, _context, model, _name):
    return document_link(model)


def _related(attr):
    return lambda _v, _c, model, _n: document_link(getattr(model, attr))


MONEY_FORMATTERS = {name: _money for name in MONEY_COLUMNS}
FORMATTERS = {**MONEY_FORMATTERS, "status": _badge, "company": _company, "number": _self_link}
# For CSV exports: amounts as plain numbers.
EXPORT_FORMATTERS = {name: _plain for name in MONEY_COLUMNS}


def balance_formatter(_view, _context, model, _name):
    """What is left to pay on an issued invoice, in red once it is overdue."""
    if model.status != "issued":
        return Markup('<span class="text-muted">—</span>')
    overdue = model.is_overdue
    return Markup('<span class="{}" data-balance="{}" data-overdue="{}">{}</span>').format(
        "text-danger font-weight-bold" if overdue else "", model.balance, int(overdue),
        money(model.balance, model.currency))


def balance_export_formatter(_view, _context, model, _name):
    return str(model.balance) if model.status == "issued" else ""


def related_formatter(attr):
    return _related(attr)
