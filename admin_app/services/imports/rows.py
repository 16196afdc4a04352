"""One row of an import file read through the column mapping: typed values for the company, its
main address, a contact and custom fields, and an error per cell that cannot be stored."""
import re
from dataclasses import dataclass, field
from datetime import date, datetime

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from markupsafe import escape
from sqlalchemy import select

from ...extensions import db
from ...legal_ids import is_vat_number, vat_number_key
from ...models import CustomFieldDefinition, User
from ..custom_fields import CustomFieldError, parse_value
from .mapping import CUSTOM_PREFIX

STATUS_WORDS = {
    "lead": "lead", "prospect": "lead", "prospecto": "lead", "potencial": "lead",
    "potential": "lead", "prospection": "lead", "piste": "lead",
    "client": "client", "customer": "client", "cliente": "client", "clienta": "client",
    "cliente activo": "client",
}
# Column sizes of the models: a longer value is an error of its cell, not a database failure.
LIMITS = {"name": 200, "email": 254, "phone": 40, "website": 255, "legal_id": 40,
          "vat_number": 40,
          "line1": 200, "line2": 200, "postal_code": 20, "city": 100, "country": 100,
          "contact_first_name": 100, "contact_last_name": 100, "contact_email": 254,
          "contact_phone": 40, "contact_job_title": 120, "comments": 5000}
PHONE = re.compile(r"^[0-9+().\-\s/]{4,40}$")
# The everyday shape of an address, accepted without the full check (ten times slower); anything
# else is judged by email_validator, like the forms.
PLAIN_EMAIL = re.compile(r"^[A-Za-z0-9_%+\-]+(\.[A-Za-z0-9_%+\-]+)*@"
                         r"([A-Za-z0-9]([A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$")
DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y/%m/%d")
ADDRESS_KEYS = ("line1", "line2", "postal_code", "city", "country")
CONTACT_KEYS = {"contact_first_name": "first_name", "contact_last_name": "last_name",
                "contact_email": "email", "contact_phone": "phone",
                "contact_job_title": "job_title"}


@dataclass
class ParsedRow:
    number: int
    cells: list[str]
    company: dict = field(default_factory=dict)
    address: dict = field(default_factory=dict)
    contact: dict = field(default_factory=dict)
    custom: dict = field(default_factory=dict)  # definition key → stored text
    errors: dict = field(default_factory=dict)  # header → message

    @property
    def empty(self) -> bool:
        return not (self.company or self.address or self.contact or self.custom or self.errors)


class RowReader:
    """Reads rows through one mapping; users and custom-field definitions are loaded once."""

    def __init__(self, headers: list[str], mapping: list[str | None]):
        self.headers = headers
        self.columns = [(i, f) for i, f in enumerate(mapping) if f]
        self.definitions = {d.key: d for d in db.session.scalars(
            select(CustomFieldDefinition).where(CustomFieldDefinition.is_active))}
        users = db.session.execute(select(User.id, User.email, User.full_name)
                                   .where(User.is_active)).all()
        self.users = {email.lower(): uid for uid, email, _name in users}
        self.users.update({name.lower(): uid for uid, _email, name in users if name})
        self.column_of = {f: headers[i] for i, f in self.columns}

    def read(self, number: int, cells: list[str]) -> ParsedRow:
        """The row's typed values and its errors, per cell."""
        row = ParsedRow(number, cells)
        for index, name in self.columns:
            raw = cells[index] if index < len(cells) else ""
            if raw == "":
                continue
            try:
                self._store(row, name, raw)
            except ValueError as exc:
                row.errors[self.headers[index]] = str(exc)
        contact = row.contact
        if contact and not contact.get("last_name"):
            if contact.get("first_name"):
                contact["last_name"], contact["first_name"] = contact["first_name"], ""
            else:
                column = self.column_of.get("contact_last_name") or _("Contact last name")
                row.errors[column] = _("The contact's name is missing (a required value).")
        return row

    def _store(self, row: ParsedRow, name: str, raw: str) -> None:
        limit = LIMITS.get(name)
        if limit and len(raw) > limit:
            raise ValueError(_("At most %(max)d characters (this one has %(count)d).",
                               max=limit, count=len(raw)))
        if name.startswith(CUSTOM_PREFIX):
            row.custom[name[len(CUSTOM_PREFIX):]] = self._custom(name[len(CUSTOM_PREFIX):], raw)
        elif name in ADDRESS_KEYS:
            row.address[name] = raw
        elif name in CONTACT_KEYS:
            if name == "contact_email":
                raw = _email(raw)
            elif name == "contact_phone":
                raw = _phone(raw)
            row.contact[CONTACT_KEYS[name]] = raw
        elif name == "status":
            row.company["status"] = _status(raw)
        elif name == "email":
            row.company["email"] = _email(raw)
        elif name == "phone":
            row.company["phone"] = _phone(raw)
        elif name == "website":
            row.company["website"] = _website(raw)
        elif name == "vat_number":
            row.company["vat_number"] = _vat_number(raw)
        elif name == "account_manager":
            user_id = self.users.get(raw.lower())
            if user_id is None:
                raise ValueError(_("No active user has the email or name “%(value)s”.",
                                   value=raw))
            row.company["account_manager_id"] = user_id
        elif name == "comments":
            row.company["comments"] = _paragraphs(raw)
        else:  # name, legal_id: text as given (a formula stays text, neutralised on export)
            row.company[name] = raw

    def _custom(self, key: str, raw: str) -> str | None:
        definition = self.definitions.get(key)
        if definition is None:
            raise ValueError(_("This custom field no longer exists."))
        if definition.field_type == "date":
            raw = _iso_date(raw)
        try:
            return parse_value(definition, raw)
        except CustomFieldError as exc:
            raise ValueError(" ".join(exc.messages)) from None


def _status(raw: str) -> str:
    status = STATUS_WORDS.get(raw.strip().lower())
    if status is None:
        raise ValueError(_("Unknown status “%(value)s”: use lead or client.", value=raw))
    return status


def _email(raw: str) -> str:
    if len(raw) <= 254 and PLAIN_EMAIL.match(raw):
        return raw
    try:
        validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        raise ValueError(_("“%(value)s” is not a valid email address.", value=raw)) from None
    return raw


def _phone(raw: str) -> str:
    if not PHONE.match(raw):
        raise ValueError(_("“%(value)s” is not a phone number (digits, spaces and + ( ) - . / "
                           "only).", value=raw))
    return raw


def _vat_number(raw: str) -> str:
    key = vat_number_key(raw)
    if not is_vat_number(key):
        raise ValueError(_("“%(value)s” is not a VAT number (a two-letter country code, then 2 "
                           "to 13 letters or digits).", value=raw))
    return key


def _website(raw: str) -> str:
    value = raw if "://" in raw else "https://" + raw
    host = value.split("://", 1)[1].split("/", 1)[0]
    if (not value.lower().startswith(("http://", "https://")) or " " in value
            or "." not in host or len(value) > LIMITS["website"]):
        raise ValueError(_("“%(value)s” is not a web address.", value=raw))
    return value


def _iso_date(raw: str) -> str:
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(raw, pattern).date().isoformat()
        except ValueError:
            continue
    try:
        return date.fromisoformat(raw[:10]).isoformat() if len(raw) > 10 else raw
    except ValueError:
        return raw  # parse_value says what is wrong with it


def _paragraphs(raw: str) -> str:
    """Plain text as the HTML the comments field holds: escaped, one paragraph per line."""
    return "".join(f"<p>{escape(line)}</p>" for line in raw.splitlines() if line.strip())
