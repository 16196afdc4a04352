"""Column formatters shared by the sales views: money, status badges, links to documents."""
from datetime import date
from decimal import Decimal

from flask import url_for
from markupsafe import Markup, escape

from ..services.settings import get_setting
from .links import company_link

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "CHF": "CHF"}

STATUS_BADGES = {"draft": "secondary", "sent": "info", "accepted": "success", "refused": "dark",
                 "expired": "warning", "open": "primary", "invoiced": "success",
                 "closed": "dark", "issued": "success", "cancelled": "danger", "won": "success",
                 "lost": "dark"}


def money_text(amount: Decimal | None) -> str:
    return "" if amount is None else f"{amount:,.2f}"


def money_formatter():
    """A `money(amount)` for templates: "1,234.50 €" in the currency of the settings."""
    currency = get_setting("currency") or "EUR"
    symbol = CURRENCY_SYMBOLS.get(currency, currency)

    def money(value) -> str:
        return "—" if value is None else f"{value:,.2f} {symbol}"
    return money


def badge(status: str | None) -> Markup:
    if not status:
        return Markup("")
    return Markup('<span class="badge badge-{}" data-status="{}">{}</span>').format(
        STATUS_BADGES.get(status, "light"), status, status.capitalize())


def document_url(document) -> str:
    return url_for(f"{type(document).__name__.lower()}.details_view", id=document.id)


def document_link(document) -> Markup:
    if document is None:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(document_url(document), escape(str(document)))


def _money(_view, _context, model, name):
    return money_text(getattr(model, name))


def _badge(_view, _context, model, name):
    return badge(getattr(model, name))


def _company(_view, _context, model, _name):
    return company_link(model.company)


def _self_link(_view, _context, model, _name):
    return document_link(model)


def _related(attr):
    return lambda _v, _c, model, _n: document_link(getattr(model, attr))


MONEY_FORMATTERS = {name: _money for name in ("amount", "total_excl_tax", "total_tax",
                                              "total_incl_tax", "unit_price")}
FORMATTERS = {**MONEY_FORMATTERS, "status": _badge, "company": _company, "number": _self_link}


def balance_formatter(_view, _context, model, _name):
    """What is left to pay on an issued invoice, in red once it is overdue."""
    if model.status != "issued":
        return Markup('<span class="text-muted">—</span>')
    balance = model.total_incl_tax - model.paid_total
    overdue = balance > 0 and model.due_date < date.today()
    return Markup('<span class="{}" data-balance="{}">{}</span>').format(
        "text-danger font-weight-bold" if overdue else "", balance, money_text(balance))


def balance_export_formatter(_view, _context, model, _name):
    return money_text(model.total_incl_tax - model.paid_total) if model.status == "issued" else ""


def related_formatter(attr):
    return _related(attr)
