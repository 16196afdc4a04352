"""A ModelView for every entity, registered at the endpoints the contract names."""
from flask_admin import Admin

from ..extensions import db
from ..models import (
    Address, AuditLog, CommentTemplate, Company, Contact, CustomFieldDefinition, Document,
    EmailTemplate, Exchange, Merge, User,
)
from flask_babel import lazy_gettext as _l

from .account import AccountView
from .administration import AuditLogView, MergeView, UserView
from .agenda import AgendaView
from .card import CardView
from .company import CompanyView
from .configuration import CommentTemplateView, CustomFieldDefinitionView, EmailTemplateView
from .crm import AddressView, ContactView, ExchangeView
from .data_quality import DataQualityView
from .document_list import DocumentView
from .duplicates import DuplicatesView
from .imports import ImportView
from .merge import CompanyMergeView
from .my_documents import MyDocumentsView
from .outbox import OutboxView
from .sales import add_sales_configuration_views, add_sales_views
from .settings import SettingsView
from .signatures import SignatureView, VerifyView
from .templates import TemplatesView


def add_model_views(admin: Admin) -> None:
    """Register one view per entity, grouped in menu categories."""
    crm, sales, docs, conf, adm = "CRM", "Sales", "Documents", "Configuration", "Administration"
    admin.add_view(CompanyView(Company, db, name="Companies", category=crm))
    # The card and the merge keep the URLs of the contract, under the company list's.
    admin.add_view(CardView(name="Client card", endpoint="card", url="/admin/company/card"))
    admin.add_view(CompanyMergeView(name="Merge companies", endpoint="company_merge",
                                    url="/admin/company/merge"))
    admin.add_view(ContactView(Contact, db, name="Contacts", category=crm))
    admin.add_view(AddressView(Address, db, name="Addresses", category=crm))
    admin.add_view(ExchangeView(Exchange, db, name="Exchanges", category=crm))
    admin.add_view(AgendaView(name="Agenda", endpoint="agenda", url="/admin/agenda",
                              category=crm))
    add_sales_views(admin, category=sales)
    admin.add_view(DocumentView(Document, db, name="Documents", category=docs))
    admin.add_view(SignatureView(name="Signatures", endpoint="signatures",
                                 url="/admin/signatures"))
    admin.add_view(VerifyView(name="Verify a signed file", endpoint="verify",
                              url="/admin/signatures/verify", category=docs))
    add_sales_configuration_views(admin, category=conf)
    admin.add_view(SettingsView(name="Settings", endpoint="settings", url="/admin/settings",
                                category=conf))
    admin.add_view(TemplatesView(name="Templates", endpoint="templates", url="/admin/templates",
                                 category=conf))
    admin.add_view(MyDocumentsView(name="My documents", endpoint="my_documents",
                                   url="/admin/my-documents", category=conf))
    admin.add_view(CommentTemplateView(CommentTemplate, db, name="Comment templates",
                                       category=conf))
    admin.add_view(EmailTemplateView(EmailTemplate, db, name="Email templates", category=conf))
    admin.add_view(CustomFieldDefinitionView(CustomFieldDefinition, db, name="Custom fields",
                                             category=conf))
    admin.add_view(UserView(User, db, name="Users", category=adm))
    admin.add_view(AuditLogView(AuditLog, db, name="Audit log", category=adm))
    admin.add_view(MergeView(Merge, db, name="Merges", category=adm))
    admin.add_view(OutboxView(name="Outbox", endpoint="outbox", url="/admin/outbox",
                              category=adm))
    admin.add_view(DuplicatesView(name="Possible duplicates", endpoint="duplicates",
                                  url="/admin/duplicates", category=crm))
    admin.add_view(ImportView(name="Import companies", endpoint="import", url="/admin/import",
                              category=crm))
    admin.add_view(DataQualityView(name="Data quality", endpoint="data_quality",
                                   url="/admin/data-quality", category=crm))
    # Every logged-in user's own page; the name in the navigation bar links to it too.
    admin.add_view(AccountView(name=_l("My account"), endpoint="account", url="/admin/account"))
