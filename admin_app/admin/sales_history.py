"""All quotes, orders and invoices of one company, with a "Pending only" switch."""
from flask import abort, request
from flask_admin import expose

from ..extensions import db
from ..models import Company
from ..services.sales_history import KINDS, history_page
from .base import SecureBaseView

PER_PAGE = 20


class SalesHistoryView(SecureBaseView):
    """/admin/sales-history/?company_id=N[&pending=1][&quote_page=..&order_page=..&invoice_page=..]"""

    def is_visible(self) -> bool:
        return False  # reached from the client card and the documents, not from the menu

    @expose("/")
    def index(self):
        company = db.session.get(Company, request.args.get("company_id", type=int) or 0)
        if company is None:
            abort(404)
        pending_only = request.args.get("pending") == "1"
        sections = []
        for kind in KINDS:
            page = max(0, request.args.get(f"{kind}_page", type=int) or 0)
            rows, total = history_page(company.id, kind, pending_only, page, PER_PAGE)
            sections.append({"kind": kind, "rows": rows, "total": total, "page": page,
                             "pages": max(1, -(-total // PER_PAGE))})
        return self.render("admin/sales/history.html", company=company, sections=sections,
                           pending_only=pending_only)
