"""Payments recorded on issued invoices; paid_on of the invoice follows them."""
from flask import flash
from sqlalchemy.orm import joinedload
from wtforms.validators import NumberRange

from ..extensions import db
from ..models import Invoice, Payment
from ..services import payments as payment_service
from .base import SecureModelView
from .sales import SalesErrorMixin
from .sales_format import FORMATTERS, related_formatter


class PaymentView(SalesErrorMixin, SecureModelView):
    column_list = ["invoice", "company", "amount", "paid_on", "method", "reference"]
    column_filters = ["paid_on", "method", "amount", "invoice.number"]
    column_searchable_list = ["reference", "invoice.number"]
    column_default_sort = ("paid_on", True)
    column_formatters = {**FORMATTERS, "invoice": related_formatter("invoice"),
                         "company": lambda v, c, m, n: FORMATTERS["company"](v, c, m.invoice, n)}
    column_formatters_export = {}
    form_columns = ["invoice", "amount", "paid_on", "method", "reference"]
    form_args = {"amount": {"validators": [NumberRange(min=0.01, message="Must be above 0.")]}}
    form_choices = {"method": [("transfer", "Bank transfer"), ("card", "Card"),
                               ("cheque", "Cheque"), ("cash", "Cash"),
                               ("direct_debit", "Direct debit"), ("other", "Other")]}
    form_ajax_refs = {"invoice": {"fields": ["number"], "page_size": 10,
                                  "filters": ["status = 'issued'"],
                                  "placeholder": "Search an issued invoice by number"}}

    def get_query(self):
        # The company column reads payment.invoice.company: load both with the page, not per row.
        return super().get_query().options(
            joinedload(Payment.invoice).joinedload(Invoice.company))

    def on_model_change(self, form, model, is_created):
        payment_service.check_payment(model)
        super().on_model_change(form, model, is_created)
        payment_service.after_payment_saved(model)

    def delete_model(self, model) -> bool:
        # The invoice's paid_on must be refreshed after the row is gone, in the same transaction.
        try:
            self.on_model_delete(model)
            payment_service.remove_payment(model)
            db.session.commit()
        except Exception as exc:  # noqa: BLE001 - shown to the user, then rolled back
            db.session.rollback()
            if not self.handle_view_exception(exc):
                flash(f"Failed to delete the payment: {exc}", "error")
            return False
        self.after_model_delete(model)
        return True
