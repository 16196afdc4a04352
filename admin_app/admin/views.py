"""A ModelView for every entity, registered at the endpoints the contract names."""
from flask_admin import Admin
from flask_babel import lazy_gettext as _l

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
from .preferences import PreferencesView
from .sales import add_sales_configuration_views, add_sales_views
from .settings import SettingsView
from .signatures import SignatureView, VerifyView
from .templates import TemplatesView


def add_model_views(admin: Admin) -> None:
    """Register one view per entity, grouped in menu categories."""
    crm, sales, docs, conf, adm = (_l("CRM"), _l("Sales"), _l("Documents"), _l("Configuration"),
                                   _l("Administration"))
    admin.add_view(CompanyView(Company, db, name=_l("Companies"), category=crm))
    # The card and the merge keep the URLs of the contract, under the company list's.
    admin.add_view(CardView(name=_l("Client card"), endpoint="card", url="/admin/company/card"))
    admin.add_view(CompanyMergeView(name=_l("Merge companies"), endpoint="company_merge",
                                    url="/admin/company/merge"))
    admin.add_view(ContactView(Contact, db, name=_l("Contacts"), category=crm))
    admin.add_view(AddressView(Address, db, name=_l("Addresses"), category=crm))
    admin.add_view(ExchangeView(Exchange, db, name=_l("Exchanges"), category=crm))
    admin.add_view(AgendaView(name=_l("Agenda"), endpoint="agenda", url="/admin/agenda",
                              category=crm))
    add_sales_views(admin, category=sales)
    admin.add_view(DocumentView(Document, db, name=_l("Documents"), category=docs))
    admin.add_view(SignatureView(name=_l("Signatures"), endpoint="signatures",
                                 url="/admin/signatures"))
    admin.add_view(VerifyView(name=_l("Verify a signed file"), endpoint="verify",
                              url="/admin/signatures/verify", category=docs))
    add_sales_configuration_views(admin, category=conf)
    admin.add_view(SettingsView(name=_l("Settings"), endpoint="settings", url="/admin/settings",
                                category=conf))
    admin.add_view(TemplatesView(name=_l("Templates"), endpoint="templates", url="/admin/templates",
                                 category=conf))
    admin.add_view(MyDocumentsView(name=_l("My documents"), endpoint="my_documents",
                                   url="/admin/my-documents", category=conf))
    admin.add_view(CommentTemplateView(CommentTemplate, db, name=_l("Comment templates"),
                                       category=conf))
    admin.add_view(EmailTemplateView(EmailTemplate, db, name=_l("Email templates"), category=conf))
    admin.add_view(CustomFieldDefinitionView(CustomFieldDefinition, db, name=_l("Custom fields"),
                                             category=conf))
    admin.add_view(UserView(User, db, name=_l("Users"), category=adm))
    admin.add_view(AuditLogView(AuditLog, db, name=_l("Audit log"), category=adm))
    admin.add_view(MergeView(Merge, db, name=_l("Merges"), category=adm))
    admin.add_view(OutboxView(name=_l("Outbox"), endpoint="outbox", url="/admin/outbox",
                              category=adm))
    admin.add_view(DuplicatesView(name=_l("Possible duplicates"), endpoint="duplicates",
                                  url="/admin/duplicates", category=crm))
    admin.add_view(ImportView(name=_l("Import companies"), endpoint="import", url="/admin/import",
                              category=crm))
    admin.add_view(DataQualityView(name=_l("Data quality"), endpoint="data_quality",
                                   url="/admin/data-quality", category=crm))
    admin.add_view(PreferencesView(name=_l("My preferences"), endpoint="preferences",
                                   url="/admin/preferences"))
    # Every logged-in user's own pages, linked from the user's area of the navigation bar.
    admin.add_view(AccountView(name=_l("My account"), endpoint="account", url="/admin/account"))
