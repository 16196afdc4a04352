"""A ModelView for every entity, registered at the endpoints the contract names."""
from flask_admin import Admin

from ..extensions import db
from ..models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition, Document,
    EmailTemplate, Exchange, Merge, User,
)
from .base import AdminOnlyModelView, ReadOnlyModelView, SecureModelView
from .company import CompanyView
from .merge import DuplicatesView, undo_formatter
from .sales import add_sales_configuration_views, add_sales_views


class UserView(AdminOnlyModelView):
    column_list = ["email", "full_name", "role", "is_active", "last_login_at"]
    column_searchable_list = ["email", "full_name"]
    column_filters = ["role", "is_active"]
    form_columns = ["email", "full_name", "role", "is_active"]
    column_exclude_list = ["password_hash"]
    column_details_exclude_list = ["password_hash"]
    column_export_exclude_list = ["password_hash"]


class AddressView(SecureModelView):
    column_list = ["company", "label", "contact_name", "line1", "postal_code", "city", "country",
                   "is_main", "is_billing_default", "is_delivery_default", "is_quote_default"]
    column_searchable_list = ["label", "line1", "city", "postal_code"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}


class ContactView(SecureModelView):
    column_list = ["company", "first_name", "last_name", "email", "job_title", "phone",
                   "is_billing_contact"]
    column_searchable_list = ["first_name", "last_name", "email", "phone"]
    form_excluded_columns = ["photo", "created_at"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}


class ExchangeView(SecureModelView):
    column_list = ["occurred_at", "company", "kind", "title", "contact", "author", "callback_at"]
    column_default_sort = ("occurred_at", True)
    column_searchable_list = ["title"]
    column_filters = ["kind", "occurred_at", "callback_at"]
    form_excluded_columns = ["created_at", "sent_at", "send_error", "email_status"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10},
                      "contact": {"fields": ["first_name", "last_name", "email"], "page_size": 10}}


class DocumentView(SecureModelView):
    column_list = ["title", "original_name", "company", "size_bytes", "signature_status",
                   "created_at"]
    column_searchable_list = ["title", "original_name"]
    column_filters = ["signature_status", "created_at"]
    can_create = False
    form_columns = ["title", "company"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}


class CommentTemplateView(AdminOnlyModelView):
    column_list = ["name", "is_default"]


class EmailTemplateView(AdminOnlyModelView):
    column_list = ["name", "subject"]


class CustomFieldDefinitionView(AdminOnlyModelView):
    column_list = ["position", "key", "label", "field_type", "is_active"]


class AuditLogView(ReadOnlyModelView):
    admin_only = True
    column_list = ["at", "user", "action", "entity_type", "entity_id", "summary"]
    column_default_sort = ("at", True)
    column_filters = ["action", "entity_type", "at"]


class MergeView(ReadOnlyModelView):
    admin_only = True
    column_list = ["created_at", "kept", "absorbed", "user", "undone_at"]
    column_default_sort = ("created_at", True)
    column_formatters = {"undone_at": undo_formatter}


def add_model_views(admin: Admin) -> None:
    """Register one view per entity, grouped in menu categories."""
    crm, sales, docs, conf, adm = "CRM", "Sales", "Documents", "Configuration", "Administration"
    admin.add_view(CompanyView(Company, db, name="Companies", category=crm))
    admin.add_view(ContactView(Contact, db, name="Contacts", category=crm))
    admin.add_view(AddressView(Address, db, name="Addresses", category=crm))
    admin.add_view(ExchangeView(Exchange, db, name="Exchanges", category=crm))
    add_sales_views(admin, category=sales)
    admin.add_view(DocumentView(Document, db, name="Documents", category=docs))
    add_sales_configuration_views(admin, category=conf)
    admin.add_view(CommentTemplateView(CommentTemplate, db, name="Comment templates",
                                       category=conf))
    admin.add_view(EmailTemplateView(EmailTemplate, db, name="Email templates", category=conf))
    admin.add_view(CustomFieldDefinitionView(CustomFieldDefinition, db, name="Custom fields",
                                             category=conf))
    admin.add_view(UserView(User, db, name="Users", category=adm))
    admin.add_view(AuditLogView(AuditLog, db, name="Audit log", category=adm))
    admin.add_view(MergeView(Merge, db, name="Merges", category=adm))
    admin.add_view(DuplicatesView(name="Possible duplicates", endpoint="duplicates",
                                  url="/admin/duplicates", category=crm))
