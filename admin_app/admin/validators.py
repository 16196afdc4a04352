"""Form validators with messages a back-office user understands."""
from flask_babel import lazy_gettext as _l
from wtforms.validators import (
    URL, DataRequired, Email, Length, Optional, Regexp, StopValidation, ValidationError,
)

from ..legal_ids import is_vat_number, vat_number_key

PHONE_MESSAGE = _l("Enter a phone number with digits, spaces and + ( ) - . / only, e.g. "
                   "+34 912 345 678.")


class InUserLanguage:
    """A validator whose message is translated when the form is checked, not when the view
    class is built, and reaches the form as text (Flask-Admin joins messages as str)."""

    def __init__(self, validator):
        self.validator = validator
        self.field_flags = getattr(validator, "field_flags", {})

    def __call__(self, form, field):
        try:
            self.validator(form, field)
        except StopValidation as stop:
            raise StopValidation(str(stop.args[0]) if stop.args and stop.args[0] else "") \
                from None
        except ValidationError as error:
            raise ValidationError(str(error.args[0])) from None


def required(what) -> "InUserLanguage":
    # `what` is a field name from the code; the sentence around it is translated.
    return InUserLanguage(DataRequired(message=_l("Enter the %(what)s.", what=what)))


def email(required_: bool = False) -> list:
    first = InUserLanguage(DataRequired(message=_l("Enter an email address."))) if required_ \
        else Optional()
    return [first, InUserLanguage(Email(message=_l(
        "Enter a valid email address, like name@example.com."))), Length(max=254)]


def phone() -> list:
    return [Optional(), InUserLanguage(Regexp(r"^[0-9+().\-\s/]{4,40}$", message=PHONE_MESSAGE))]


def website() -> list:
    return [Optional(), InUserLanguage(URL(require_tld=False, message=_l(
        "Enter a full web address, starting with https://"))), Length(max=255)]


VAT_MESSAGE = _l("Enter a VAT number as a two-letter country code followed by 2 to 13 letters "
                 "or digits, e.g. ESB12345674 or FR40303265045.")


def vat_number() -> list:
    """Normalised by the field's filter (legal_ids.vat_number_key) before this runs."""
    def check(_form, field):
        if field.data and not is_vat_number(field.data):
            raise ValidationError(str(VAT_MESSAGE))
    return [Optional(), check]


def vat_number_filter(value):
    """'es b-12.345.674' → 'ESB12345674'; empty stays empty (None)."""
    return (vat_number_key(value) or None) if isinstance(value, str) else value


def not_negative(message=_l("Enter an amount of 0 or more.")):
    def check(_form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(str(message))
    return check
