"""The forms opened from the client card; field names are the model attribute names."""
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional

from ..models.exchanges import EXCHANGE_KINDS
from ..services.card_edit import human_size
from ..services.settings import upload_limit_bytes

KIND_LABELS = {"call": "Phone call", "meeting": "Meeting", "email": "Email", "note": "Note"}
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def _strip(value):
    return value.strip() if isinstance(value, str) else value


class AddressForm(FlaskForm):
    label = StringField("Label", [Optional(), Length(max=100)], filters=[_strip],
                        description="For example Head office, Warehouse, Billing.")
    contact_name = StringField("Contact name", [Optional(), Length(max=150)], filters=[_strip])
    line1 = StringField("Address", [DataRequired("The address line is required."),
                                    Length(max=200)], filters=[_strip])
    line2 = StringField("Address (line 2)", [Optional(), Length(max=200)], filters=[_strip])
    postal_code = StringField("Postal code", [Optional(), Length(max=20)], filters=[_strip])
    city = StringField("City", [Optional(), Length(max=100)], filters=[_strip])
    country = StringField("Country", [Optional(), Length(max=100)], filters=[_strip])
    is_main = BooleanField("Main address (shown under the company name)")
    is_billing_default = BooleanField("Default for invoices")
    is_delivery_default = BooleanField("Default for deliveries")
    is_quote_default = BooleanField("Default for quotes")


class ContactForm(FlaskForm):
    first_name = StringField("First name", [Optional(), Length(max=100)], filters=[_strip])
    last_name = StringField("Last name", [DataRequired("The last name is required."),
                                          Length(max=100)], filters=[_strip])
    email = StringField("Email", [Optional(), Email("This is not a valid email address."),
                                  Length(max=254)], filters=[_strip])
    job_title = StringField("Job title", [Optional(), Length(max=120)], filters=[_strip])
    phone = StringField("Phone", [Optional(), Length(max=40)], filters=[_strip])
    photo = FileField("Photo", description="JPEG, PNG, GIF or WebP, up to 2 MB; it is resized.")
    remove_photo = BooleanField("Remove the current photo")
    is_billing_contact = BooleanField("Billing contact (priority recipient of invoices)")


class ExchangeForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(k, KIND_LABELS[k]) for k in EXCHANGE_KINDS],
                       default="call")
    # Checked by the service: the contact must belong to the company.
    contact_id = SelectField("Contact", coerce=str, validate_choice=False)
    occurred_at = DateTimeLocalField("Date", [InputRequired("The date is required.")],
                                     format=DATETIME_FORMATS)
    title = StringField("Title", [DataRequired("The title is required."), Length(max=200)],
                        filters=[_strip])
    body = TextAreaField("Description", [Optional(), Length(max=20000)], filters=[_strip],
                         render_kw={"rows": 6})
    callback_at = DateTimeLocalField("Call-back date", [Optional()], format=DATETIME_FORMATS,
                                     description="Puts a reminder in your dashboard.")
    ends_at = DateTimeLocalField("Meeting ends", [Optional()], format=DATETIME_FORMATS)
    location = StringField("Location", [Optional(), Length(max=200)], filters=[_strip])


class DocumentForm(FlaskForm):
    title = StringField("Title", [Optional(), Length(max=200)], filters=[_strip],
                        description="Leave empty to use the file name.")
    file = FileField("File")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The limit is a setting (Settings > Documents), so the text is written per request.
        self.file.description = (f"Up to {human_size(upload_limit_bytes())}. Stored privately: "
                                 "only logged-in staff can download it.")


class CommentsForm(FlaskForm):
    comments = TextAreaField("Comments", [Optional(), Length(max=100000)])


class AccountManagerForm(FlaskForm):
    account_manager_id = SelectField("Account manager", coerce=str, validate_choice=True)
