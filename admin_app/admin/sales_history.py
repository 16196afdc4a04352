"""All quotes, orders and invoices of one company, with a "Pending only" switch and tabs."""
from flask_babel import lazy_gettext as _l
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _

from ..services.companies import live_company
from ..services.sales_history import KINDS, history_page
from .args import int_arg, page_arg
from .base import SecureBaseView
from .links import company_url
from .sales_format import badge

PER_PAGE = 20
TITLES = {"quote": _l("Quotes"), "order": _l("Orders"), "invoice": _l("Invoices")}


class SalesHistoryView(SecureBaseView):
    """/admin/sales-history/?company_id=N[&kind=quote|order|invoice][&pending=1][&<kind>_page=P]"""

    def is_visible(self) -> bool:
        return False  # reached from the client card and the documents, not from the menu

    @expose("/")
    def index(self):
        company, absorber = live_company(int_arg("company_id", default=0))
        if company is None:
            abort(404)
        if absorber is not None:
            flash(_("“%(name)s” was merged into “%(absorber)s”: here are its documents.",
                    name=company.name, absorber=absorber.name),
                  "info")
            return redirect(self.get_url(".index", **{**request.args.to_dict(),
                                                      "company_id": absorber.id}))
        pending_only = request.args.get("pending") == "1"
        shown = request.args.get("kind") if request.args.get("kind") in KINDS else None
        sections = [history_page(company.id, kind, pending_only,
                                 page_arg(f"{kind}_page"), PER_PAGE)
                    for kind in KINDS]
        return self.render("admin/sales/history.html", company=company, sections=sections,
                           shown=shown, pending_only=pending_only, titles=TITLES,
                           badge=badge, card_url=company_url(company.id))
