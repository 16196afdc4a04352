"""Admin views of quotes, orders and invoices: inline lines, server totals, transitions, PDFs."""
from datetime import date, timedelta

from flask import Response, flash, redirect, request, url_for
from flask_admin import Admin, expose
from flask_admin.actions import action
from flask_admin.model.template import EndpointLinkRowAction
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.orm import selectinload
from wtforms.validators import InputRequired, NumberRange

from .. import clock
from ..extensions import db
from ..formats import money, parse_number
from ..ids import parse_id
from ..unit_of_work import unit_of_work
from ..models import Invoice, InvoiceLine, Order, OrderLine, Payment, Quote, QuoteLine
from ..models.sales import PAYMENT_METHODS
from ..services import pdf as pdf_service
from ..services import register
from ..services import sales as lifecycle
from ..services.payments import record_payment
from ..services.sales import SalesError
from ..services.settings import get_setting
from .validators import InUserLanguage
from .args import int_arg
from .base import SecureModelView, company_from_args
from .labels import STATUS_LABELS
from .row_actions import document_row_actions
from .invoice_extras import InvoiceMailAndRegisterMixin
from .sales_format import (
    EXPORT_FORMATTERS, FORMATTERS, balance_export_formatter, balance_formatter, document_link,
    related_formatter,
)

LINE_FORM = {
    "form_columns": ["id", "description", "quantity", "unit_price", "tax_rate"],
    "form_args": {
        "description": {"validators": [InputRequired()]},
        "quantity": {"validators": [InputRequired(), InUserLanguage(NumberRange(min=0, message=_l("Must be 0 or more.")))]},
        "unit_price": {"validators": [InputRequired(), InUserLanguage(NumberRange(min=0, message=_l("Must be 0 or more.")))]},
        "tax_rate": {"validators": [InputRequired(), InUserLanguage(NumberRange(min=0, max=100,
                                                                 message=_l("Between 0 and 100.")))]},
    },
    "form_widget_args": {"description": {"placeholder": _l("What is sold")}},
    "postprocess_form": lambda form_class: _prefill_tax_rate(form_class),
}


def _prefill_tax_rate(form_class):
    """New lines start at Settings' default tax rate (the column's own default is 0)."""
    field = form_class.tax_rate
    form_class.tax_rate = field.field_class(
        *field.args, **{**field.kwargs, "default": lambda: get_setting("default_tax_rate")})
    return form_class
COMPANY_AJAX = {"fields": ["name"], "page_size": 10, "placeholder": _l("Search a company by name")}


class SalesDocumentView(SecureModelView):
    """Common behaviour of quotes, orders and invoices."""

    details_template = "admin/sales/document_details.html"
    column_searchable_list = ["number", "company.name"]
    column_default_sort = ("id", True)
    column_formatters = FORMATTERS
    column_formatters_export = EXPORT_FORMATTERS
    column_labels = {"total_excl_tax": _l("Excl. tax"), "total_tax": _l("Tax"), "total_incl_tax": _l("Incl. tax")}
    form_ajax_refs = {"company": COMPANY_AJAX}
    line_model = None
    actions_map: dict = {}
    column_extra_row_actions = None

    def get_query(self):
        return super().get_query().options(db.joinedload(self.model.company))

    def get_list_row_actions(self):
        return document_row_actions(super().get_list_row_actions())

    def on_model_change(self, form, model, is_created):
        lifecycle.save_document(model, is_created)
        super().on_model_change(form, model, is_created)

    def remove_model(self, model, work):
        lifecycle.delete_document(model)

    @action("delete", _l("Delete"),
            _l("Delete the selected drafts? Numbered documents are never deleted."))
    def action_delete(self, ids):
        return super().action_delete(ids)

    @expose("/edit/", methods=("GET", "POST"))
    def edit_view(self):
        document_id = parse_id(request.args.get("id"))
        model = self.get_one(str(document_id)) if document_id is not None else None
        if model is not None:
            try:
                lifecycle.ensure_editable(model)
            except SalesError as exc:
                flash(str(exc), "error")
                return redirect(self.get_url(".details_view", id=model.id))
        return super().edit_view()

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET":
            form.company.data = company_from_args() or form.company.data
            self.prefill_dates(form, clock.today())
        return form

    def prefill_dates(self, form, today) -> None:
        if hasattr(form, "issue_date") and form.issue_date.data is None:
            form.issue_date.data = today

    def get_save_return_url(self, model, is_created=False):
        # After saving, show the document with its totals and next steps.
        return self.get_url(".details_view", id=model.id)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            kwargs.update(available_actions=self.available_actions(model), doc_link=document_link,
                          pdf_url=self.pdf_url(model), plain=pdf_service.qty,
                          editable=lifecycle.is_editable(model))
        return super().render(template, **kwargs)

    def available_actions(self, model) -> list[str]:
        return []

    def pdf_url(self, model) -> str | None:
        return None

    @expose("/transition/", methods=("POST",))
    def transition_view(self):
        """Move a document to its next status (send, accept, issue, cancel, close...)."""
        document = lifecycle.lock(self.model, int_arg("id", request.form, default=0))
        action = request.form.get("action", "")
        if document is None:
            flash(_("That document does not exist any more."), "error")
            return redirect(self.get_url(".index_view"))
        handler = self.actions_map.get(action)
        with unit_of_work() as work:
            if handler is None:
                raise SalesError(_("Unknown action %(action)s.", action=repr(action)))
            result = (handler(document, user=current_user) if action == "accept"
                      else handler(document))
        if work.committed:
            flash(self.done_message(action, document, result), "success")
        return redirect(self.get_url(".details_view", id=document.id))

    def done_message(self, action, document, result) -> str:
        return _("%(document)s: now %(status)s.", document=document,
                 status=STATUS_LABELS.get(document.status, document.status))


def _pdf_response(document, data: bytes) -> Response:
    name = pdf_service.pdf_filename(document)
    return Response(data, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"'})


PDF_ROW_ACTION = [EndpointLinkRowAction("fa fa-file-pdf-o", ".pdf_view", title=_l("PDF"))]


class PdfMixin:
    """`/pdf/?id=N`: the document as a PDF, built by `pdf_builder`."""

    pdf_builder = None

    def pdf_url(self, model):
        return self.get_url(".pdf_view", id=model.id)

    @expose("/pdf/")
    def pdf_view(self):
        document_id = parse_id(request.args.get("id"))
        document = self.get_one(str(document_id)) if document_id is not None else None
        if document is None:
            flash(_("That %(kind)s does not exist.", kind=self.model.__name__.lower()), "error")
            return redirect(self.get_url(".index_view"))
        return _pdf_response(document, type(self).pdf_builder(document))


class QuoteView(PdfMixin, SalesDocumentView):
    pdf_builder = staticmethod(pdf_service.quote_pdf)
    column_list = ["number", "company", "issue_date", "valid_until", "status", "total_excl_tax",
                   "total_incl_tax"]
    column_filters = ["status", "issue_date", "valid_until", "total_incl_tax", "company.name"]
    form_columns = ["company", "issue_date", "valid_until", "opportunity", "notes", "lines"]
    form_ajax_refs = {"company": COMPANY_AJAX,
                      "opportunity": {"fields": ["title"], "page_size": 10,
                                      "filters": ["status = 'open'"],
                                      "placeholder": _l("Search an open opportunity (optional)")}}
    inline_models = [(QuoteLine, LINE_FORM)]
    column_extra_row_actions = PDF_ROW_ACTION
    actions_map = lifecycle.QUOTE_ACTIONS

    def prefill_dates(self, form, today):
        super().prefill_dates(form, today)
        if form.valid_until.data is None:
            form.valid_until.data = form.issue_date.data + timedelta(days=30)

    def available_actions(self, model):
        return lifecycle.quote_actions(model)

    def done_message(self, action, document, result):
        if action == "accept":
            return _("Quote %(quote)s accepted: order %(order)s was created.",
                     quote=document.number, order=result.number)
        if action == "send":
            return _("Quote %(number)s is numbered and marked sent.", number=document.number)
        return super().done_message(action, document, result)


class OrderView(SalesDocumentView):
    column_list = ["number", "company", "order_date", "status", "quote", "total_excl_tax",
                   "total_incl_tax"]
    column_filters = ["status", "order_date", "total_incl_tax", "company.name"]
    column_formatters = {**FORMATTERS, "quote": related_formatter("quote")}
    form_columns = ["company", "order_date", "notes", "lines"]

    def prefill_dates(self, form, today):
        if form.order_date.data is None:
            form.order_date.data = today
    inline_models = [(OrderLine, LINE_FORM)]
    actions_map = lifecycle.ORDER_ACTIONS

    def available_actions(self, model):
        return lifecycle.order_actions(model)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.details_template and model is not None:
            invoiced = lifecycle.invoiced_amount(model)
            kwargs.update(invoiced=invoiced, left_to_invoice=model.total_excl_tax - invoiced,
                          order_invoices=db.session.scalars(
                              db.select(Invoice).where(Invoice.order_id == model.id)
                              .order_by(Invoice.id)).all())
        return super().render(template, **kwargs)

    @expose("/invoice/", methods=("POST",))
    def invoice_view(self):
        """Invoice an order: the whole rest, or a percentage of its total."""
        order = lifecycle.lock(Order, int_arg("id", request.form, default=0))
        if order is None:
            flash(_("That order does not exist any more."), "error")
            return redirect(self.get_url(".index_view"))
        raw = (request.form.get("percent") or "").strip()
        try:
            percent = parse_number(raw) if raw else None
        except ValueError:
            percent = None
        if raw and percent is None:
            flash(_("The part to invoice must be a number, e.g. 30 for 30 %."), "error")
            return redirect(self.get_url(".details_view", id=order.id))
        with unit_of_work() as work:
            invoice = lifecycle.invoice_order(order, percent, user=current_user)
        if not work.committed:
            return redirect(self.get_url(".details_view", id=order.id))
        flash(_("Draft invoice created for order %(number)s: check it, then issue it.",
                number=order.number),
              "success")
        return redirect(url_for("invoice.details_view", id=invoice.id))


class InvoiceView(InvoiceMailAndRegisterMixin, PdfMixin, SalesDocumentView):
    pdf_builder = staticmethod(pdf_service.invoice_pdf)
    list_template = "admin/sales/invoice_list.html"
    column_list = ["number", "company", "issue_date", "due_date", "status", "total_excl_tax",
                   "total_incl_tax", "balance", "paid_on"]
    column_filters = ["status", "issue_date", "due_date", "paid_on", "total_incl_tax",
                      "company.name"]
    column_formatters = {**FORMATTERS, "order": related_formatter("order"), "balance": balance_formatter}
    column_formatters_export = {**EXPORT_FORMATTERS, "balance": balance_export_formatter}
    column_labels = {**SalesDocumentView.column_labels, "paid_on": _l("Fully paid on")}
    # Bookkeeping of services/figures.py in cents: the balance column shows it as money.
    column_details_exclude_list = ["balance_cents"]
    form_columns = ["company", "issue_date", "due_date", "order", "notes", "lines"]

    def get_query(self):
        return super().get_query().options(selectinload(Invoice.payments),
                                           selectinload(Invoice.credit_notes),
                                           selectinload(Invoice.credit_uses))
    form_ajax_refs = {"company": COMPANY_AJAX,
                      "order": {"fields": ["number"], "page_size": 10, "filters": ["status = 'open'"],
                                "placeholder": _l("Search an open order by number (optional)")}}
    inline_models = [(InvoiceLine, LINE_FORM)]
    column_extra_row_actions = PDF_ROW_ACTION
    actions_map = lifecycle.INVOICE_ACTIONS

    def prefill_dates(self, form, today):
        super().prefill_dates(form, today)
        if form.due_date.data is None:
            terms = int(get_setting("payment_terms_days") or 0)
            form.due_date.data = form.issue_date.data + timedelta(days=terms)

    def available_actions(self, model):
        return lifecycle.invoice_actions(model)

    def done_message(self, action, document, result):
        if action == "issue":
            return _("Invoice issued with number %(number)s. Its lines are now frozen.",
                     number=document.number)
        return super().done_message(action, document, result)

    def render(self, template, **kwargs):
        model = kwargs.get("model")
        if template == self.list_template and current_user.is_admin:
            kwargs.update(register_badge=register.badge())  # at most two queries, whatever the size
        if template == self.details_template and model is not None:
            kwargs.update(payment_methods=PAYMENT_METHODS, today=clock.today(),
                          credit_url=(url_for("creditnote.credit_view", invoice_id=model.id)
                                      if model.status == "issued" else None))
        return super().render(template, **kwargs)


    @expose("/pay/", methods=("POST",))
    def pay_view(self):
        """Record a payment from the invoice page."""
        invoice = lifecycle.lock(Invoice, int_arg("id", request.form, default=0))
        if invoice is None:
            flash(_("That invoice does not exist any more."), "error")
            return redirect(self.get_url(".index_view"))
        try:
            amount = parse_number(request.form.get("amount"))
            paid_on = date.fromisoformat(request.form.get("paid_on") or "")
        except ValueError:
            flash(_("Enter the amount (e.g. 120.50) and the date of the payment."), "error")
            return redirect(self.get_url(".details_view", id=invoice.id))
        with unit_of_work() as work:
            record_payment(invoice, amount, paid_on, request.form.get("method") or "transfer",
                           (request.form.get("reference") or "").strip()[:100], user=current_user)
        if not work.committed:
            return redirect(self.get_url(".details_view", id=invoice.id))
        state = (_("fully paid") if invoice.paid_on
                 else _("balance %(amount)s", amount=money(invoice.balance, invoice.currency)))
        flash(_("Payment of %(amount)s recorded on invoice %(number)s (%(state)s).",
                amount=money(amount, invoice.currency), number=invoice.number, state=state), "success")
        return redirect(self.get_url(".details_view", id=invoice.id))


def add_sales_views(admin: Admin, category: str = "Sales") -> None:
    """Register quotes, orders, invoices, payments, their lines, the board and the history."""
    from .opportunities import OpportunityView, PipelineBoardView
    from .credit_notes import CreditNoteView
    from .payments import PaymentView
    from ..models import CreditNote
    from .sales_lines import LineView
    from .sales_history import SalesHistoryView
    from ..models import Opportunity

    admin.add_view(OpportunityView(Opportunity, db, name=_l("Opportunities"), category=category))
    admin.add_view(PipelineBoardView(name=_l("Pipeline board"), endpoint="pipeline",
                                     url="/admin/pipeline", category=category))
    admin.add_view(QuoteView(Quote, db, name=_l("Quotes"), category=category))
    admin.add_view(OrderView(Order, db, name=_l("Orders"), category=category))
    admin.add_view(InvoiceView(Invoice, db, name=_l("Invoices"), category=category))
    admin.add_view(CreditNoteView(CreditNote, db, name=_l("Credit notes"), category=category))
    admin.add_view(PaymentView(Payment, db, name=_l("Payments"), category=category))
    admin.add_view(LineView(QuoteLine, db, "quote", name=_l("Quote lines"), category=category))
    admin.add_view(LineView(OrderLine, db, "order", name=_l("Order lines"), category=category))
    admin.add_view(LineView(InvoiceLine, db, "invoice", name=_l("Invoice lines"), category=category))
    admin.add_view(SalesHistoryView(name=_l("Sales history"), endpoint="sales_history",
                                    url="/admin/sales-history"))


def add_sales_configuration_views(admin: Admin, category: str = "Configuration") -> None:
    from ..models import PipelineStage
    from .opportunities import PipelineStageView
    admin.add_view(PipelineStageView(PipelineStage, db, name=_l("Pipeline stages"), category=category))
