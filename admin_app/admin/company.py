"""The company list and form; the client card and the merge attach here (issues 4 and 6)."""
from .base import SecureModelView
from .card import CardViewMixin


class CompanyView(CardViewMixin, SecureModelView):
    column_list = ["name", "status", "email", "phone", "account_manager", "created_at"]
    column_searchable_list = ["name", "email", "phone", "legal_id"]
    column_filters = ["status", "created_at"]
    column_default_sort = "name"
    form_columns = ["name", "status", "email", "phone", "website", "legal_id",
                    "account_manager", "comments"]

    def get_query(self):
        return super().get_query().filter(self.model.merged_into_id.is_(None))

    def get_count_query(self):
        return super().get_count_query().filter(self.model.merged_into_id.is_(None))
