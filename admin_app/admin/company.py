"""The company list and form; the card and the merge are views of their own."""
from contextvars import ContextVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask import request
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import load_only, undefer

from ..extensions import db
from ..models import Address, Company, Contact, User
from ..models.companies import COMPANY_STATUSES, live_condition
from ..services.addresses import save_company_addresses
from ..services.companies import default_comments
from ..services.search import count_clause, count_rows, first_matches_clause, search_clause
from . import validators as v
from .labels import STATUS_LABELS, labels_for
from .base import SecureModelView
from .counting import CappedCountQuery
from ..services.card import comment_templates
from .company_bulk import CompanyBulkEditMixin
from .company_delete import CompanyDeleteMixin
from .company_pages import company_or_none, follow_merge_message, live_company_or_redirect
from .custom_fields import CustomFieldsMixin
from .duplicates import DuplicateWarningMixin
from .formatting import LazyOptions
from .links import company_url
from .quality_filters import CompanyQualityFilter

STATUS_CHOICES = [(s, STATUS_LABELS[s]) for s in COMPANY_STATUSES]
# The last row the list page being built shows, when it is a search in the default order
# (CompanyView.get_list); None for any other list (another sort, filters, an export).
_SEARCH_PAGE_END: ContextVar[int | None] = ContextVar("search_page_end", default=None)
# Whether the page being built may read its ids first (CompanyView._apply_pagination): not for a
# search, whose clause would then run twice (once for the ids, once for the rows).
_IDS_FIRST: ContextVar[bool] = ContextVar("ids_first", default=False)


def _with_scheme(value):
    """'www.acme.com' is what people type; store a link that works."""
    if value and value.strip() and "://" not in value:
        return "https://" + value.strip()
    return value.strip() if isinstance(value, str) else value


def _live_companies():
    """Companies that are not merge tombstones."""
    return live_condition(Company.merged_into_id, db.engine.dialect.name)


def _active_users():
    return db.session.scalars(select(User).where(User.is_active).order_by(User.full_name)).all()


USER_OPTIONS = LazyOptions(lambda: [(u.id, str(u)) for u in _active_users()])


def _name_formatter(_view, _context, model, _name):
    return Markup('<a href="{}">{}</a>').format(company_url(model.id), model.name)


def _city_formatter(_view, _context, model, _name):
    return model.main_city or ""


def _website_formatter(_view, _context, model, _name):
    if not model.website:
        return ""
    if not model.website.startswith(("http://", "https://")):
        return model.website
    return Markup('<a href="{0}" rel="noopener noreferrer" target="_blank">{0}</a>').format(
        model.website)


def _email_formatter(_view, _context, model, name):
    value = getattr(model, name)
    return Markup('<a href="mailto:{0}">{0}</a>').format(value) if value else ""


class CompanyView(DuplicateWarningMixin, CompanyBulkEditMixin, CompanyDeleteMixin, CustomFieldsMixin,
                  SecureModelView):
    """Leads and clients: a fast list, an ajax-friendly form with addresses and contacts inline."""

    html_fields = ("comments",)
    edit_template = "admin/company/edit.html"

    column_list = ["name", "status", "city", "email", "phone", "account_manager", "created_at"]
    column_labels = {"city": _l("City"), "account_manager": _l("Account manager"), "legal_id": _l("Legal ID"),
                     "vat_number": _l("VAT number"), "created_at": _l("Created"), "updated_at": _l("Updated"),
                     "converted_at": _l("Became a client")}
    column_sortable_list = ["name", "status", "email", "created_at",
                            ("account_manager", "account_manager.full_name")]
    # The id breaks ties, so a page of a search (services/search.first_matches_clause) and the
    # next one never share or skip a company of the same name.
    column_default_sort = [("name", False), ("id", False)]
    column_searchable_list = ["name", "email", "phone", "legal_id", "website"]
    column_choices = {"status": STATUS_CHOICES}
    # Counting a search stops here ("1,000+"): beyond, the matches are read only to be counted.
    search_count_cap = 1_000
    column_filters = [
        FilterEqual(Company.status, _l("Status"), options=STATUS_CHOICES),
        IntEqualFilter(Company.account_manager_id, _l("Account manager"), options=USER_OPTIONS),
        "created_at", "updated_at", "converted_at", CompanyQualityFilter(),
    ]
    column_details_list = ["name", "status", "email", "phone", "website", "legal_id",
                           "vat_number", "account_manager", "comments", "converted_at", "created_at",
                           "updated_at"]
    column_export_list = ["id", "name", "status", "email", "phone", "website", "legal_id",
                          "vat_number", "city", "account_manager", "created_at", "updated_at"]
    column_formatters = {"name": _name_formatter, "city": _city_formatter,
                         "website": _website_formatter, "email": _email_formatter}
    column_formatters_export = {"name": lambda v, c, m, n: m.name,
                                "city": _city_formatter,
                                "website": lambda v, c, m, n: m.website or "",
                                "email": lambda v, c, m, n: m.email or ""}

    form_columns = ["name", "status", "email", "phone", "website", "legal_id", "vat_number",
                    "account_manager", "comments"]
    form_choices = {"status": STATUS_CHOICES}
    form_args = {
        "name": {"validators": [v.required(_l("company name"))]},
        "email": {"validators": v.email()},
        "phone": {"validators": v.phone()},
        "website": {"validators": v.website(), "filters": [_with_scheme]},
        "vat_number": {"validators": v.vat_number(), "filters": [v.vat_number_filter],
                       "description": _l("Intra-community VAT number, printed on invoices "
                                         "issued to this company.")},
        "account_manager": {"query_factory": _active_users, "blank_text": "— nobody —",
                            "description": _l("The user in charge; the company shows in their "
                                           "dashboard under “My clients”.")},
        "comments": {"description": _l("Shared with every user. Basic formatting (bold, lists, "
                                    "links) is kept; scripts and styles are removed.")},
    }
    form_widget_args = {"comments": {"rows": 6, "data-rich-text": "1"}}
    create_template = "admin/company/create.html"
    inline_models = [
        (Address, {
            "form_columns": ["id", "label", "contact_name", "line1", "line2", "postal_code",
                             "city", "country", "is_main", "is_billing_default",
                             "is_delivery_default", "is_quote_default"],
            "form_label": _l("Address"),
            "column_labels": labels_for({"line1": _l("Address line 1"), "line2": _l("Address line 2"),
                              "is_main": _l("Main address"), "is_billing_default": _l("Default for invoices"),
                              "is_delivery_default": _l("Default for deliveries"),
                              "is_quote_default": _l("Default for quotes")}),
            "form_args": {"line1": {"validators": [v.required(_l("street address"))]}},
        }),
        (Contact, {
            "form_columns": ["id", "first_name", "last_name", "email", "job_title", "phone",
                             "is_billing_contact"],
            "form_label": _l("Contact"),
            "column_labels": labels_for(
                {"is_billing_contact": _l("Billing contact (receives invoices first)")}),
            "form_args": {"last_name": {"validators": [v.required(_l("contact's last name"))]},
                          "email": {"validators": v.email()},
                          "phone": {"validators": v.phone()}},
        }),
    ]

    def _handle_view(self, name, **kwargs):
        """Old links to a merged-away company's pages lead to the company that absorbed it."""
        refused = super()._handle_view(name, **kwargs)
        if refused is not None or name not in ("edit_view", "details_view"):
            return refused
        company = company_or_none()
        if company is None or not company.is_tombstone:
            return None  # the list says "does not exist" for an unknown id
        page = "edit" if name == "edit_view" else "details"
        return live_company_or_redirect(f"company.{name}", follow_merge_message(page))[1]

    def get_query(self):
        # The list and the export show the main address's city only (Company.main_city).
        return super().get_query().filter(_live_companies()).options(undefer(Company.main_city))

    def _export_query(self):
        # Only the columns the export writes: the rest (the comments above all) would be read
        # and turned into Python values for every row for nothing.
        written = [getattr(Company, name) for name in self.column_export_list
                   if name in Company.__table__.c]
        return super()._export_query().options(
            load_only(*written, Company.account_manager_id, Company.main_city))

    def get_count_query(self):
        return super().get_count_query().filter(_live_companies())

    def get_list(self, page, sort_column, sort_desc, search, filters, execute=True,
                 page_size=None):
        """A search in the default order asks for its first rows by name only, so a common word
        is answered from the top of the name index instead of from all its matches."""
        size = self.page_size if page_size is None else page_size
        default_order = sort_column is None and not filters
        end = ((page or 0) + 1) * size if search and default_order and size else None
        token, ids_first = _SEARCH_PAGE_END.set(end), _IDS_FIRST.set(not search)
        try:
            return super().get_list(page, sort_column, sort_desc, search, filters,
                                    execute=execute, page_size=page_size)
        finally:
            _SEARCH_PAGE_END.reset(token)
            _IDS_FIRST.reset(ids_first)

    def _apply_pagination(self, query, page, page_size):
        """Past the first page, the page's ids first, then its rows. With OFFSET on the full
        query, the database builds every skipped row only to drop it (PostgreSQL even computes
        its main city); the ids alone come from an index (ix_companies_live_name in the default
        order), so page 200 costs about what page 1 does."""
        size = self.page_size if page_size is None else page_size
        if not (page and size and _IDS_FIRST.get()):
            return super()._apply_pagination(query, page, page_size)
        # with_entities keeps the filters, joins and order, and leaves out the loader options.
        ids = query.with_entities(Company.id).limit(size).offset(page * size).subquery("page_ids")
        return query.filter(Company.id.in_(select(ids.c.id))).limit(size)

    def _apply_search(self, query, count_query, joins, count_joins, search):
        """The one company search (services/search.py), served by an index on both databases."""
        end = _SEARCH_PAGE_END.get()
        query = query.filter(search_clause(search) if end is None
                             else first_matches_clause(search, end))
        if count_query is not None:
            count_query = count_query.filter(count_clause(search))
            if self.search_count_cap and isinstance(count_query, CappedCountQuery):
                count_query = count_query.with_cap(min(count_query.cap, self.search_count_cap))
            rows = count_rows(search)
            if rows is not None and isinstance(count_query, CappedCountQuery):
                count_query = count_query.counting(rows)
        return query, count_query, joins, count_joins

    def create_form(self, obj=None):
        form = super().create_form(obj)
        if request.method == "GET" and not form.comments.data:
            form.comments.data = default_comments()
        return form

    def on_model_change(self, form, model, is_created):
        save_company_addresses(list(model.addresses))
        super().on_model_change(form, model, is_created)

    def comment_templates(self):
        """The templates the comments editor offers to insert."""
        return comment_templates()

    def search_placeholder(self):
        return _("Name, email, phone, legal ID or website")

