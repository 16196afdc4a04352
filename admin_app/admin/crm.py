"""CRM lists besides companies: contacts, addresses and exchanges."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask import url_for
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_admin.model.template import LinkRowAction
from flask_login import current_user
from markupsafe import Markup

from ..models import Exchange
from ..models.base import utcnow
from ..services.addresses import take_address_flags
from ..services.contacts import keep_single_billing_contact
from ..services.exchanges import save_exchange
from . import validators as v
from .base import SecureModelView
from .company import USER_OPTIONS
from .quality_filters import ContactQualityFilter

COMPANY_REF = {"fields": ["name"], "page_size": 10, "placeholder": _l("Type a company name")}
KIND_CHOICES = [("call", _l("Phone call")), ("meeting", _l("Meeting")), ("email", _l("Email")),
                ("note", _l("Note"))]


def _mailto(_view, _context, model, name):
    value = getattr(model, name)
    return Markup('<a href="mailto:{0}">{0}</a>').format(value) if value else ""


class ContactView(SecureModelView):
    column_list = ["last_name", "first_name", "company", "job_title", "email", "phone",
                   "is_billing_contact"]
    column_labels = {"is_billing_contact": _l("Billing contact"), "company.name": _l("Company")}
    column_sortable_list = ["last_name", "first_name", "job_title", "email",
                            ("company", "company.name")]
    column_default_sort = [("last_name", False), ("first_name", False)]
    column_searchable_list = ["first_name", "last_name", "email", "phone", "job_title"]
    column_filters = ["is_billing_contact", "job_title", "created_at", ContactQualityFilter()]
    column_formatters = {"email": _mailto}
    column_export_list = ["id", "first_name", "last_name", "company", "job_title", "email",
                          "phone", "is_billing_contact"]
    form_columns = ["company", "first_name", "last_name", "job_title", "email", "phone",
                    "is_billing_contact"]
    form_ajax_refs = {"company": COMPANY_REF}
    form_args = {"company": {"validators": [v.required(_l("company"))]},
                 "last_name": {"validators": [v.required(_l("last name"))]},
                 "email": {"validators": v.email()},
                 "phone": {"validators": v.phone()},
                 "is_billing_contact": {"label": _l("Billing contact"),
                                        "description": _l("Receives the invoices first.")}}

    def search_placeholder(self):
        return _("Name, email, phone or job title")

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        keep_single_billing_contact(model)


class AddressView(SecureModelView):
    column_list = ["company", "label", "line1", "postal_code", "city", "country", "is_main",
                   "is_billing_default", "is_delivery_default", "is_quote_default"]
    column_labels = {"line1": _l("Address"), "is_main": _l("Main"), "is_billing_default": _l("Invoices"),
                     "is_delivery_default": _l("Deliveries"), "is_quote_default": _l("Quotes")}
    column_sortable_list = ["label", "city", "postal_code", "country", ("company", "company.name")]
    column_default_sort = ("id", True)
    column_searchable_list = ["label", "contact_name", "line1", "city", "postal_code", "country"]
    column_filters = ["city", "country", "is_main", "is_billing_default"]
    form_columns = ["company", "label", "contact_name", "line1", "line2", "postal_code", "city",
                    "country", "is_main", "is_billing_default", "is_delivery_default",
                    "is_quote_default"]
    form_ajax_refs = {"company": COMPANY_REF}
    form_args = {
        "company": {"validators": [v.required(_l("company"))]},
        "line1": {"label": _l("Address line 1"), "validators": [v.required(_l("street address"))]},
        "line2": {"label": _l("Address line 2")},
        "is_main": {"label": _l("Main address"), "description": _l("Shown under the company name.")},
        "is_billing_default": {"label": _l("Default for invoices")},
        "is_delivery_default": {"label": _l("Default for deliveries")},
        "is_quote_default": {"label": _l("Default for quotes")},
    }

    def on_model_change(self, form, model, is_created):
        super().on_model_change(form, model, is_created)
        # Ticking "default" here moves the flag from the company's other address.
        take_address_flags([model])


class ExchangeView(SecureModelView):
    html_fields = ("body",)
    column_list = ["occurred_at", "company", "kind", "title", "contact", "author", "callback_at"]
    column_labels = {"occurred_at": _l("When"), "callback_at": _l("Call back on"), "kind": _l("Type")}
    column_sortable_list = ["occurred_at", "kind", "title", "callback_at",
                            ("company", "company.name"), ("author", "author.full_name")]
    column_default_sort = ("occurred_at", True)
    column_searchable_list = ["title", "body", "email_to"]
    column_choices = {"kind": KIND_CHOICES}
    column_filters = [
        FilterEqual(Exchange.kind, _l("Type"), options=KIND_CHOICES),
        IntEqualFilter(Exchange.author_id, _l("Author"), options=USER_OPTIONS),
        "occurred_at", "callback_at", "callback_done_at", "starts_at",
    ]
    column_details_list = ["company", "kind", "title", "body", "contact", "author",
                           "occurred_at", "callback_at", "callback_done_at", "starts_at",
                           "ends_at", "location", "send_invitation", "email_status", "email_to",
                           "sent_at", "created_at"]
    column_export_list = ["id", "occurred_at", "company", "kind", "title", "body", "contact",
                          "author", "callback_at", "callback_done_at", "starts_at", "ends_at"]
    form_columns = ["company", "kind", "title", "body", "contact", "occurred_at", "callback_at",
                    "callback_done_at", "starts_at", "ends_at", "location"]
    form_choices = {"kind": KIND_CHOICES}
    form_ajax_refs = {"company": COMPANY_REF,
                      "contact": {"fields": ["first_name", "last_name", "email"],
                                  "page_size": 10, "placeholder": _l("Type a contact name")}}
    form_args = {
        "company": {"validators": [v.required(_l("company"))]},
        "kind": {"label": _l("Type")},
        "title": {"validators": [v.required(_l("title"))]},
        "body": {"label": _l("Report"), "description": _l("Basic formatting is kept; scripts are removed.")},
        "occurred_at": {"label": _l("When"), "default": utcnow},
        "callback_at": {"label": _l("Call back on"),
                        "description": _l("Puts a reminder in the author's dashboard.")},
        "callback_done_at": {"label": _l("Call-back done on")},
        "starts_at": {"label": _l("Meeting starts")},
        "ends_at": {"label": _l("Meeting ends")},
    }
    form_widget_args = {"body": {"rows": 5}}
    # Emails are sent from the company's card, where the recipients and documents are: each row
    # leads to that form for its company.
    column_extra_row_actions = [LinkRowAction(
        "fa fa-envelope glyphicon glyphicon-envelope",
        lambda _action, _row_id, row: url_for("card.email", id=row.company_id),
        title=_l("Send an email to this company"))]

    def on_model_change(self, form, model, is_created):
        save_exchange(model, current_user.id if is_created else None)
        super().on_model_change(form, model, is_created)
