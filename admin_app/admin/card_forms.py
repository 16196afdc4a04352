"""The forms opened from the client card; field names are the model attribute names."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..models import Address, Contact, Document, Exchange
from ..models.exchanges import EXCHANGE_KINDS
from ..services.card_edit import human_size
from ..services.settings import upload_limit_bytes
from . import validators as v
from .form_limits import bounded

KIND_LABELS = {"call": _l("Phone call"), "meeting": _l("Meeting"), "email": _l("Email"),
               "note": _l("Note")}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AddressForm(FlaskForm):
    label = StringField(_l("Label"), filters=[_strip], **bounded(
        Address.label, Optional(), description=_l("For example Head office, Warehouse, Billing.")))
    contact_name = StringField(_l("Contact name"), filters=[_strip],
                               **bounded(Address.contact_name, Optional()))
    line1 = StringField(_l("Address"), filters=[_strip], **bounded(
        Address.line1, v.required(_l("street address"))))
    line2 = StringField(_l("Address (line 2)"), filters=[_strip], **bounded(Address.line2, Optional()))
    postal_code = StringField(_l("Postal code"), filters=[_strip],
                              **bounded(Address.postal_code, Optional()))
    city = StringField(_l("City"), filters=[_strip], **bounded(Address.city, Optional()))
    country = StringField(_l("Country"), filters=[_strip], **bounded(Address.country, Optional()))
    is_main = BooleanField(_l("Main address (shown under the company name)"))
    is_billing_default = BooleanField(_l("Default for invoices"))
    is_delivery_default = BooleanField(_l("Default for deliveries"))
    is_quote_default = BooleanField(_l("Default for quotes"))


class ContactForm(FlaskForm):
    first_name = StringField(_l("First name"), filters=[_strip],
                             **bounded(Contact.first_name, Optional()))
    # The same validators as the Contacts list's form (admin/crm.py), so both say the same.
    last_name = StringField(_l("Last name"), filters=[_strip], **bounded(
        Contact.last_name, v.required(_l("last name"))))
    email = StringField(_l("Email"), filters=[_strip], **bounded(Contact.email, *v.email()))
    job_title = StringField(_l("Job title"), filters=[_strip], **bounded(Contact.job_title, Optional()))
    phone = StringField(_l("Phone"), filters=[_strip], **bounded(Contact.phone, *v.phone()))
    photo = FileField(_l("Photo"), description=_l("JPEG, PNG, GIF or WebP, up to 2 MB; it is resized."))
    remove_photo = BooleanField(_l("Remove the current photo"))
    is_billing_contact = BooleanField(_l("Billing contact (priority recipient of invoices)"))


class ExchangeForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[SelectChoice(k, KIND_LABELS[k]) for k in EXCHANGE_KINDS],
                       default="call")
    # Checked by the service: the contact must belong to the company.
    contact_id = SelectField(_l("Contact"), coerce=str, validate_choice=False)
    occurred_at = DateTimeLocalField(_l("Date"), [InputRequired(_l("The date is required."))],
                                     format=DATETIME_FORMATS)
    title = StringField(_l("Title"), filters=[_strip],
                        **bounded(Exchange.title, v.required(_l("title"))))
    body = TextAreaField(_l("Description"), [Optional(), Length(max=20000)], filters=[_strip],
                         render_kw={"rows": 6})
    callback_at = DateTimeLocalField(_l("Call-back date"), [Optional()], format=DATETIME_FORMATS,
                                     description=_l("Puts a reminder in your dashboard and agenda."))
    ends_at = DateTimeLocalField(_l("Meeting ends"), [Optional()], format=DATETIME_FORMATS)
    location = StringField(_l("Location"), filters=[_strip], **bounded(Exchange.location, Optional()))


class DocumentForm(FlaskForm):
    title = StringField(_l("Title"), filters=[_strip], **bounded(
        Document.title, Optional(), description=_l("Leave empty to use the file name.")))
    file = FileField(_l("File"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting (Settings > Documents), so the text is written per request.
        self.file.description = _("Up to %(size)s. Stored privately: only logged-in staff can "
                                  "download it.", size=human_size(upload_limit_bytes()))


class CommentsForm(FlaskForm):
    comments = TextAreaField(_l("Comments"), [Optional(), Length(max=100000)])


class AccountManagerForm(FlaskForm):
    account_manager_id = SelectField(_l("Account manager"), coerce=str, validate_choice=True)
