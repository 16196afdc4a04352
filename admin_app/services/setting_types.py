"""The kinds of value a setting holds: each parser returns the typed value or raises
SettingError with a sentence for the user. They read stored JSON and form input alike."""
import re
import zoneinfo
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any, Callable

from babel.numbers import list_currencies
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

MEGABYTE = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PREFIX = re.compile(r"^[A-Z0-9]{1,10}$")
_EXTENSION = re.compile(r"^[a-z0-9]{1,10}$")
_IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")
_LOGO = re.compile(r"^settings/logo-[0-9a-f]{32}\.png$")


class SettingError(ValueError):
    """A value a setting refuses; the message is written for the user."""


def _string(value: Any) -> str:
    if not isinstance(value, str):
        raise SettingError(_("Enter text."))
    return value


def text(max_length: int, required: bool = False, multiline: bool = False) -> Callable[[Any], str]:
    """Text up to `max_length` characters, trimmed; no control characters (line breaks only
    where `multiline`)."""
    def parse(value: Any) -> str:
        value = _string(value).replace("\r\n", "\n").strip()
        if _CONTROL.search(value) or (not multiline and ("\n" in value or "\r" in value)):
            raise SettingError(_("Remove the control characters from this text."))
        if required and not value:
            raise SettingError(_("This field is required."))
        if len(value) > max_length:
            raise SettingError(_("At most %(max)d characters.", max=max_length))
        return value
    return parse


def integer(minimum: int, maximum: int | Callable[[], int]) -> Callable[[Any], int]:
    """A whole number in [minimum, maximum]; `maximum` may be computed when parsing."""
    def parse(value: Any) -> int:
        top = maximum() if callable(maximum) else maximum
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise SettingError(_("Enter a whole number."))
        try:
            number = int(str(value).strip())
        except ValueError:
            raise SettingError(_("Enter a whole number.")) from None
        if not minimum <= number <= top:
            raise SettingError(_("Enter a whole number from %(min)d to %(max)d.",
                                 min=minimum, max=top))
        return number
    return parse


def decimal(minimum: int, maximum: int) -> Callable[[Any], Decimal]:
    """A number with at most two decimals in [minimum, maximum], as a Decimal."""
    def parse(value: Any) -> Decimal:
        if isinstance(value, (bool, float)) or not isinstance(value, (int, str, Decimal)):
            raise SettingError(_("Enter a number, e.g. 21 or 5.5."))
        try:
            number = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation:
            raise SettingError(_("Enter a number, e.g. 21 or 5.5.")) from None
        if not number.is_finite() or not minimum <= number <= maximum:
            raise SettingError(_("Enter a number from %(min)d to %(max)d.",
                                 min=minimum, max=maximum))
        if number != number.quantize(Decimal("0.01")):
            raise SettingError(_("At most two decimals."))
        return number.quantize(Decimal("0.01"))
    return parse


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise SettingError(_("Choose yes or no."))
    return value


def choice(*options: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in options:
            raise SettingError(_("Choose one of: %(options)s.", options=", ".join(options)))
        return value
    return parse


def prefix(value: Any) -> str:
    """A document-number prefix: 1 to 10 capital letters or digits (typed in any case)."""
    value = _string(value).strip().upper()
    if not _PREFIX.match(value):
        raise SettingError(_("Use 1 to 10 letters (A-Z) or digits, without spaces or dashes."))
    return value


@cache
def currency_codes() -> frozenset[str]:
    return frozenset(list_currencies())


def currency(value: Any) -> str:
    """An ISO 4217 code that Babel knows."""
    value = _string(value).strip().upper()
    if value not in currency_codes():
        raise SettingError(_("Choose a currency from the list (ISO 4217 code)."))
    return value


@cache
def time_zones() -> tuple[str, ...]:
    """IANA zone names (region/city, and UTC), sorted."""
    zones = {z for z in zoneinfo.available_timezones() if "/" in z and not z.startswith("Etc/")}
    if not zones:  # no tz database on this machine: pytz (a flask-babel dependency) has one
        import pytz
        zones = {z for z in pytz.common_timezones if "/" in z}
    return tuple(sorted(zones | {"UTC"}))


def time_zone(value: Any) -> str:
    if value not in time_zones():
        raise SettingError(_("Choose a time zone from the list."))
    return value


def email(value: Any) -> str:
    """An email address, or empty."""
    value = _string(value).strip()
    if not value:
        return ""
    if len(value) > 254:
        raise SettingError(_("At most %(max)d characters.", max=254))
    try:
        return validate_email(value, check_deliverability=False).normalized
    except EmailNotValidError:
        raise SettingError(_("Enter a valid email address, e.g. billing@example.com.")) from None


def iban(value: Any) -> str:
    """An IBAN whose check digits are right (spaces allowed on input), or empty; stored
    without spaces."""
    value = re.sub(r"\s+", "", _string(value)).upper()
    if not value:
        return ""
    if not _IBAN.match(value):
        raise SettingError(_("Enter an IBAN: two letters, two digits, then 11 to 30 letters or "
                             "digits, e.g. ES91 2100 0418 4502 0005 1332."))
    rearranged = value[4:] + value[:4]
    if int("".join(str(int(c, 36)) for c in rearranged)) % 97 != 1:
        raise SettingError(_("This IBAN's check digits are wrong: check it for a typing error."))
    return value


def grouped_iban(value: str) -> str:
    """An IBAN in groups of four, as printed."""
    return " ".join(value[i:i + 4] for i in range(0, len(value), 4))


def file_types(value: Any) -> list[str]:
    """File extensions, from a list or from text separated by commas or spaces ("pdf, .docx")."""
    if isinstance(value, str):
        items = re.split(r"[\s,;]+", value)
    elif isinstance(value, list):
        items = [_string(item) for item in value]
    else:
        raise SettingError(_("Enter file extensions separated by commas, e.g. pdf, docx, png."))
    found: list[str] = []
    for item in items:
        extension = item.strip().lower().lstrip(".")
        if not extension:
            continue
        if not _EXTENSION.match(extension):
            raise SettingError(_("“%(item)s” is not a file extension: use letters and digits, "
                                 "e.g. pdf, docx, png.", item=item[:20]))
        if extension not in found:
            found.append(extension)
    if not found:
        raise SettingError(_("Allow at least one file type."))
    if len(found) > 50:
        raise SettingError(_("At most %(max)d file types.", max=50))
    return found


def logo_path(value: Any) -> str:
    """Where the seller logo is stored under the upload folder (a name we generated), or empty."""
    value = _string(value)
    if value and not _LOGO.match(value):
        raise SettingError(_("Not a stored logo."))
    return value
