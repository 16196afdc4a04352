"""What every page about one company shares: the company named by `?id=`, following merges to
the company that absorbed it, a row of that company, and links back to its card."""
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ..extensions import db
from ..ids import parse_id
from ..models import Company
from ..services.companies import live_company


def company_or_none(arg: str = "id") -> Company | None:
    """The company named by `?<arg>=`, merged away or not; None for no usable id."""
    company_id = parse_id(request.values.get(arg))
    return db.session.get(Company, company_id) if company_id else None


def company_or_404(arg: str = "id") -> tuple[Company, Company | None]:
    """(company, absorber) named by `?<arg>=`; 404 for no such company or no usable id."""
    company_id = parse_id(request.values.get(arg))
    company, absorber = live_company(company_id) if company_id else (None, None)
    if company is None:
        abort(404)
    return company, absorber


def live_company_or_redirect(endpoint: str, message: str,
                             keep_args: bool = True) -> tuple[Company, Response | None]:
    """The live company named by `?id=`, or a redirect to `endpoint` of the company that
    absorbed it (a merged-away card's old links and forms lead there), with `message` flashed;
    `message` may use %(name)s and %(absorber)s."""
    company, absorber = company_or_404()
    if absorber is None:
        return company, None
    flash(message % {"name": company.name, "absorber": absorber.name}, "info")
    args = {**request.args.to_dict(), "id": absorber.id} if keep_args else {"id": absorber.id}
    return company, redirect(url_for(endpoint, **args))


def follow_merge_message(page: str) -> str:
    """The notice shown when a merged-away company's `page` leads to the absorbing one."""
    texts = {"card": _("“%(name)s” was merged into “%(absorber)s”: here is its card."),
             "edit": _("“%(name)s” was merged into “%(absorber)s”: edit it here."),
             "details": _("“%(name)s” was merged into “%(absorber)s”: here are its details."),
             "merge": _("“%(name)s” was merged into “%(absorber)s”: merge into it instead."),
             "change": _("“%(name)s” was merged into “%(absorber)s”: make changes here.")}
    return texts[page]


def own_row(model, arg: str, company: Company):
    """The row named by `?<arg>=ID` when it belongs to the company (404 otherwise); None when
    the argument is absent, for a new row."""
    if not request.args.get(arg):
        return None
    row = db.session.get(model, parse_id(request.args.get(arg)) or 0)
    if row is None or row.company_id != company.id:
        abort(404)
    return row


def card_url(company: Company, anchor: str | None = None) -> str:
    url = url_for("card.index", id=company.id)
    return f"{url}#{anchor}" if anchor else url
