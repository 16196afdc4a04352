"""Form validators with messages a back-office user understands."""
from wtforms.validators import URL, DataRequired, Email, Length, Optional, Regexp, ValidationError

PHONE_MESSAGE = "Enter a phone number with digits, spaces and + ( ) - . / only, e.g. +34 912 345 678."


def required(what: str):
    return DataRequired(message=f"Enter the {what}.")


def email(required_: bool = False) -> list:
    first = DataRequired(message="Enter an email address.") if required_ else Optional()
    return [first, Email(message="Enter a valid email address, like name@example.com."),
            Length(max=254)]


def phone() -> list:
    return [Optional(), Regexp(r"^[0-9+().\-\s/]{4,40}$", message=PHONE_MESSAGE)]


def website() -> list:
    return [Optional(), URL(require_tld=False,
                            message="Enter a full web address, starting with https://"),
            Length(max=255)]


def not_negative(message: str = "Enter an amount of 0 or more."):
    def check(_form, field):
        if field.data is not None and field.data < 0:
            raise ValidationError(message)
    return check
