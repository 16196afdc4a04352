"""Payments recorded on issued invoices; paid_on of the invoice follows them."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload
from wtforms.validators import NumberRange

from .validators import InUserLanguage
from ..models import Invoice, Payment
from ..services import payments as payment_service
from .base import SecureModelView
from .sales_format import EXPORT_FORMATTERS, FORMATTERS, related_formatter


class PaymentView(SecureModelView):
    column_list = ["invoice", "company", "amount", "paid_on", "method", "reference"]
    column_filters = ["paid_on", "method", "amount", "invoice.number"]
    column_searchable_list = ["reference", "invoice.number"]
    column_default_sort = ("paid_on", True)
    column_formatters = {**FORMATTERS, "invoice": related_formatter("invoice"),
                         "company": lambda v, c, m, n: FORMATTERS["company"](v, c, m.invoice, n)}
    column_formatters_export = EXPORT_FORMATTERS
    form_columns = ["invoice", "amount", "paid_on", "method", "reference"]
    form_args = {"amount": {"validators": [InUserLanguage(NumberRange(min=0.01, message=_l("Must be above 0.")))]}}
    form_choices = {"method": [("transfer", "Bank transfer"), ("card", "Card"),
                               ("cheque", "Cheque"), ("cash", "Cash"),
                               ("direct_debit", "Direct debit"), ("other", "Other")]}
    form_ajax_refs = {"invoice": {"fields": ["number"], "page_size": 10,
                                  "filters": ["status = 'issued'"],
                                  "placeholder": _l("Search an issued invoice by number")}}

    def get_query(self):
        # The company column reads payment.invoice.company: load both with the page, not per row.
        return super().get_query().options(
            joinedload(Payment.invoice).joinedload(Invoice.company))

    def on_model_change(self, form, model, is_created):
        payment_service.save_payment(model)
        super().on_model_change(form, model, is_created)

    def remove_model(self, model, work):
        payment_service.remove_payment(model)
