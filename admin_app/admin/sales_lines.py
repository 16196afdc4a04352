"""Read-only lists of quote, order and invoice lines; lines are edited inside their document."""
from .base import SecureModelView
from .sales_format import EXPORT_FORMATTERS, FORMATTERS, related_formatter


class LineView(SecureModelView):
    """Lines are read here; they are edited inside their quote, order or invoice."""

    can_create = can_edit = can_delete = False
    column_searchable_list = ["description"]
    column_filters = ["tax_rate", "unit_price", "total_excl_tax"]
    column_formatters = FORMATTERS
    column_formatters_export = EXPORT_FORMATTERS

    def __init__(self, model, session, parent: str, **kwargs):
        self.column_list = [parent, "description", "quantity", "unit_price", "tax_rate",
                            "total_excl_tax", "total_tax"]
        self.column_formatters = {**FORMATTERS, parent: related_formatter(parent)}
        super().__init__(model, session, **kwargs)
