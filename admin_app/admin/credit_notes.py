"""Credit notes: the list, the form that credits an invoice (all or part of it), their PDFs, and
what the client's credit becomes (refunded, or applied to another invoice)."""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..extensions import db
from ..formats import money
from ..models import CreditNote, Invoice
from ..models.sales import PAYMENT_METHODS
from ..services import credit_notes as credits
from ..services import pdf as pdf_service
from ..services.sales import SalesError
from ..unit_of_work import unit_of_work
from .args import int_arg
from .base import SecureModelView
from .links import company_url
from .sales import PDF_ROW_ACTION, PdfMixin
from .sales_format import EXPORT_FORMATTERS, FORMATTERS, related_formatter

MAX_AMOUNT = Decimal("9999999999.99")  # what Numeric(12, 2) holds


def _decimal(raw: str | None, field: str) -> Decimal:
    """A typed amount or quantity (comma or point); Refusal naming the field otherwise."""
    text = (raw or "").strip().replace(",", ".")
    if not text:
        return Decimal("0")
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) > MAX_AMOUNT:
        raise SalesError(_("%(field)s: enter a number, e.g. 12.50.", field=field))
    return value


class CreditNoteView(PdfMixin, SecureModelView):
    """`/admin/creditnote/`: issued credit notes, read only; created from an invoice's page."""

    pdf_builder = staticmethod(pdf_service.document_pdf)
    can_create = can_edit = can_delete = False
    column_list = ["number", "company", "invoice", "issue_date", "status", "total_excl_tax",
                   "total_incl_tax", "reason"]
    column_filters = ["issue_date", "total_incl_tax", "company.name", "invoice.number"]

    def get_empty_list_message(self) -> str:
        return _("No credit note yet. To credit an invoice, open it and choose “Credit”.")
    column_searchable_list = ["number", "invoice.number", "company.name"]
    column_default_sort = ("id", True)
    column_formatters = {**FORMATTERS, "invoice": related_formatter("invoice")}
    column_formatters_export = EXPORT_FORMATTERS
    column_labels = {"total_excl_tax": _l("Excl. tax"), "total_incl_tax": _l("Incl. tax")}
    column_extra_row_actions = PDF_ROW_ACTION

    def get_query(self):
        return super().get_query().options(db.joinedload(CreditNote.company),
                                           db.joinedload(CreditNote.invoice))

    def _invoice(self, values) -> Invoice | None:
        invoice = db.session.get(Invoice, int_arg("invoice_id", values, default=0))
        if invoice is None:
            flash(_("That invoice does not exist."), "error")
        return invoice

    @expose("/credit/", methods=("GET", "POST"))
    def credit_view(self):
        """The credit form of an issued invoice: all of it, chosen lines, or an amount."""
        invoice = self._invoice(request.values)
        if invoice is None:
            return redirect(url_for("invoice.index_view"))
        back = url_for("invoice.details_view", id=invoice.id)
        if invoice.status != "issued":
            flash(_("Only an issued invoice can be credited."), "error")
            return redirect(back)
        if request.method == "POST":
            with unit_of_work() as work:
                note = credits.issue_credit_note(invoice, self._parts(invoice),
                                                 request.form.get("reason", ""),
                                                 user=current_user)
            if work.committed:
                flash(_("Credit note %(number)s issued for %(amount)s against invoice "
                        "%(invoice)s.", number=note.number, amount=money(note.total_incl_tax, note.currency),
                        invoice=invoice.number), "success")
                return redirect(back)
        return self.render("admin/sales/credit_form.html", invoice=invoice,
                           left=credits.credit_left(invoice), form=request.form, back=back)

    @staticmethod
    def _parts(invoice: Invoice) -> list:
        form = request.form
        if form.get("mode") == "full":
            return credits.full_parts(invoice)
        quantities = {line.id: _decimal(form.get(f"qty-{line.id}"), line.description[:40])
                      for line in invoice.lines}
        parts = credits.line_parts(invoice, quantities)
        amount = _decimal(form.get("amount"), _("Amount"))
        if amount:
            rate = _decimal(form.get("amount_tax_rate"), _("Tax rate"))
            parts.append(credits.CreditPart(
                (form.get("amount_description") or "").strip()[:500] or _("Credited amount"),
                Decimal("1"), amount, rate))
        return parts

    @expose("/refund/", methods=("POST",))
    def refund_view(self):
        """Pay back (part of) the credit an invoice holds; back to the client's card."""
        source = self._invoice(request.form)
        if source is None:
            return redirect(url_for("invoice.index_view"))
        with unit_of_work() as work:
            try:
                used_on = date.fromisoformat(request.form.get("used_on") or "")
            except ValueError:
                raise SalesError(_("Enter the date of the refund.")) from None
            method = request.form.get("method") or "transfer"
            credits.refund_credit(source, _decimal(request.form.get("amount"), _("Amount")),
                                  used_on, method if method in PAYMENT_METHODS else "other",
                                  request.form.get("reference", ""), user=current_user)
        if work.committed:
            flash(_("Refund recorded."), "success")
        return redirect(company_url(source.company_id) + "#kpis")

    @expose("/apply/", methods=("POST",))
    def apply_view(self):
        """Settle another invoice of the same client with the credit an invoice holds."""
        source = self._invoice(request.form)
        if source is None:
            return redirect(url_for("invoice.index_view"))
        target = db.session.get(Invoice, int_arg("target_id", request.form, default=0))
        with unit_of_work() as work:
            if target is None:
                raise SalesError(_("Choose the invoice to apply the credit to."))
            credits.apply_credit(source, target, _decimal(request.form.get("amount"),
                                                          _("Amount")), user=current_user)
        if work.committed:
            flash(_("Credit applied to invoice %(number)s.", number=target.number), "success")
        return redirect(company_url(source.company_id) + "#kpis")
