"""A ModelView for every entity, registered at the endpoints the contract names."""
from flask_admin import Admin

from ..extensions import db
from ..models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition, Document,
    EmailTemplate, Exchange, Invoice, InvoiceLine, Merge, Opportunity, Order, OrderLine, Payment,
    PipelineStage, Quote, QuoteLine, User,
)
from .base import AdminOnlyModelView, ReadOnlyModelView, SecureModelView
from .company import CompanyView
from .merge import DuplicatesView, undo_formatter


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


class PipelineStageView(AdminOnlyModelView):
    column_list = ["position", "name", "probability"]
    column_default_sort = "position"


class OpportunityView(SecureModelView):
    column_list = ["title", "company", "stage", "amount", "status", "expected_close_on", "owner"]
    column_searchable_list = ["title"]
    column_filters = ["status", "amount", "expected_close_on"]
    form_excluded_columns = ["created_at"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}


class SalesDocumentView(SecureModelView):
    column_searchable_list = ["number"]
    column_default_sort = ("id", True)
    form_excluded_columns = ["created_at", "number", "total_excl_tax", "total_tax",
                             "total_incl_tax", "created_by"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}


class QuoteView(SalesDocumentView):
    column_list = ["number", "company", "issue_date", "status", "total_excl_tax", "total_incl_tax"]
    column_filters = ["status", "issue_date", "total_incl_tax"]


class OrderView(SalesDocumentView):
    column_list = ["number", "company", "order_date", "status", "total_excl_tax", "total_incl_tax"]
    column_filters = ["status", "order_date", "total_incl_tax"]


class InvoiceView(SalesDocumentView):
    column_list = ["number", "company", "issue_date", "due_date", "status", "total_excl_tax",
                   "total_incl_tax", "paid_on"]
    column_filters = ["status", "issue_date", "due_date", "total_incl_tax"]
    form_excluded_columns = SalesDocumentView.form_excluded_columns + [
        "payments", "issued_at", "cancelled_at", "paid_on"]


class LineView(SecureModelView):
    column_list = ["description", "quantity", "unit_price", "tax_rate", "total_excl_tax"]


class PaymentView(SecureModelView):
    column_list = ["invoice", "amount", "paid_on", "method", "reference"]
    column_filters = ["paid_on", "method", "amount"]
    column_default_sort = ("paid_on", True)
    form_excluded_columns = ["created_at", "created_by_id"]
    form_ajax_refs = {"invoice": {"fields": ["number"], "page_size": 10}}


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
    admin.add_view(OpportunityView(Opportunity, db, name="Opportunities", category=sales))
    admin.add_view(QuoteView(Quote, db, name="Quotes", category=sales))
    admin.add_view(OrderView(Order, db, name="Orders", category=sales))
    admin.add_view(InvoiceView(Invoice, db, name="Invoices", category=sales))
    admin.add_view(PaymentView(Payment, db, name="Payments", category=sales))
    admin.add_view(LineView(QuoteLine, db, name="Quote lines", category=sales))
    admin.add_view(LineView(OrderLine, db, name="Order lines", category=sales))
    admin.add_view(LineView(InvoiceLine, db, name="Invoice lines", category=sales))
    admin.add_view(DocumentView(Document, db, name="Documents", category=docs))
    admin.add_view(PipelineStageView(PipelineStage, db, name="Pipeline stages", category=conf))
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
