"""The forms of the settings page, one per section; each field is named after its setting key.

WTForms coerces each field to its type (and says so when it cannot); the bounds and rules of each
value live in services/settings.py, which the view asks before anything is saved."""
from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DecimalField, EmailField, FileField, IntegerField, RadioField, SelectField,
    StringField, TextAreaField,
)
from wtforms.validators import InputRequired

from ..services.setting_types import currency_codes, time_zones

LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français"}


class CommaDecimalField(DecimalField):
    """A DecimalField that also accepts a decimal comma (21,5), as typed in Spain or France."""

    def process_formdata(self, valuelist):
        super().process_formdata([v.replace(",", ".") if isinstance(v, str) else v
                                  for v in valuelist])


def _required():
    return [InputRequired(message=_l("This field is required."))]


def _prefix_field(label):
    return StringField(label, _required(), render_kw={"maxlength": 10, "data-prefix": "1",
                                                      "autocomplete": "off"})


class CommercialForm(FlaskForm):
    invoice_converts_lead_to = RadioField(
        _l("An invoice automatically turns a lead into"),
        choices=[("client", _l("a client")), ("lead", _l("nothing: it stays a lead"))],
        description=_l("Applied when an invoice is created for a lead, from the invoice form "
                       "or by invoicing an order."))
    payment_terms_days = IntegerField(
        _l("Payment terms (days)"), _required(), render_kw={"min": 0, "max": 365},
        description=_l("A new invoice is due this many days after its issue date (pre-filled "
                       "in the invoice form; used when an order is invoiced)."))
    default_tax_rate = CommaDecimalField(
        _l("Default tax rate (%)"), _required(), places=2,
        description=_l("Pre-fills the tax rate of new lines on quotes, orders and invoices."))
    quote_prefix = _prefix_field(_l("Quote number prefix"))
    order_prefix = _prefix_field(_l("Order number prefix"))
    invoice_prefix = _prefix_field(_l("Invoice number prefix"))
    credit_note_prefix = _prefix_field(_l("Credit note number prefix"))
    currency = SelectField(_l("Currency"), description=_l(
        "Amounts on screen and on quote and invoice PDFs are shown in this currency."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.currency.choices = currency_choices()


class ExchangesForm(FlaskForm):
    send_exchange_internally = BooleanField(
        _l("Send the content of an exchange internally"),
        description=_l("Will let the email form offer a copy to other users. Stored now; the "
                       "email form that uses it is still to come."))
    mail_sender_name = StringField(
        _l("Sender name for outgoing mail"),
        description=_l("Stored now; no feature sends mail yet."))
    mail_sender_email = EmailField(
        _l("Sender address for outgoing mail"),
        description=_l("Stored now; no feature sends mail yet (the server's MAIL_DEFAULT_SENDER "
                       "applies until then)."))


class SellerForm(FlaskForm):
    company_name = StringField(_l("Legal name"), _required())
    company_address = TextAreaField(_l("Address"), render_kw={"rows": 3})
    company_legal_id = StringField(_l("Legal ID (e.g. CIF, SIREN)"))
    company_vat_number = StringField(_l("VAT number"))
    company_email = EmailField(_l("Email"))
    company_iban = StringField(_l("IBAN"), description=_l(
        "Printed on invoices as the account to pay into."))
    company_footer = TextAreaField(_l("Footer text"), render_kw={"rows": 2}, description=_l(
        "Printed at the bottom of every page of quotes and invoices (e.g. registration "
        "details)."))
    company_logo = FileField(_l("Logo"), render_kw={"accept": "image/png,image/jpeg,image/gif,"
                                                              "image/webp"},
                             description=_l("PNG, JPEG, GIF or WebP, up to 1 MB; printed at the "
                                            "top of quotes and invoices."))
    remove_logo = BooleanField(_l("Remove the current logo"))


class DocumentsForm(FlaskForm):
    upload_limit_mb = IntegerField(_l("Upload size limit (MB)"), _required())
    portal_link_days = IntegerField(
        _l("Client-portal link validity (days)"), _required(),
        render_kw={"min": 1, "max": 365},
        description=_l("Stored now, for the links of the client portal (still to come)."))
    allowed_file_types = StringField(
        _l("Allowed file types"), _required(),
        description=_l("Extensions separated by commas. Stored now; uploads will be checked "
                       "against this list in a later version (they are not yet)."))


class RegionalForm(FlaskForm):
    time_zone = SelectField(_l("Time zone"), description=_l(
        "“Today” and “overdue” are computed in this zone on every page."))
    default_language = SelectField(
        _l("Default language"), choices=list(LANGUAGE_NAMES.items()),
        description=_l("Stored now; the interface follows each browser's language (or ?lang=) "
                       "and does not read this yet."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.time_zone.choices = [(zone, zone.replace("_", " ")) for zone in time_zones()]


class SecurityForm(FlaskForm):
    admin_two_factor_required = BooleanField(
        _l("Administrators must use two-factor login"),
        description=_l("An administrator without it is sent to My account to set it up, and "
                       "reaches no other page until it is on."))


FORMS = {"commercial": CommercialForm, "exchanges": ExchangesForm, "seller": SellerForm,
         "documents": DocumentsForm, "regional": RegionalForm, "security": SecurityForm}
TITLES = {"commercial": _l("Commercial"), "exchanges": _l("Exchanges"),
          "seller": _l("Seller identity"), "documents": _l("Documents"),
          "regional": _l("Regional"), "security": _l("Security")}
INTROS = {"seller": _l("Printed on quotes and invoices.")}
# Form fields that are not settings of their own.
EXTRA_FIELDS = {"csrf_token", "company_logo", "remove_logo"}


def currency_choices() -> list[tuple[str, str]]:
    """Every ISO 4217 code Babel knows, named in the reader's language."""
    try:
        names = Locale.parse(str(get_locale() or "en")).currencies
    except (ValueError, TypeError):
        names = Locale("en").currencies
    return [(code, f"{code} — {names.get(code, code)}") for code in sorted(currency_codes())]
