"""A ModelView for every entity, registered at the endpoints the contract names."""
from flask_admin import Admin

from ..extensions import db
from ..models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition, Document,
    EmailTemplate, Exchange, Invoice, InvoiceLine, Merge, Opportunity, Order, OrderLine, Payment,
    PipelineStage, Quote, QuoteLine, User,
)
from .administration import AuditLogView, MergeView, UserView
from .base import AdminOnlyModelView, SecureModelView
from .company import CompanyView
from .configuration import CommentTemplateView, CustomFieldDefinitionView, EmailTemplateView
from .crm import AddressView, ContactView, ExchangeView
from .document_list import DocumentView


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
