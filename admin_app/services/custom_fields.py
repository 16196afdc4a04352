"""Custom fields defined by admins at run time: typed parsing and checks, display, and saving
with one audit format. The client card and the company form both go through here."""
from datetime import date
from decimal import Decimal, InvalidOperation

from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy import and_, select

from .. import formats
from ..errors import Refusal
from ..extensions import db
from ..models import Company, CustomFieldDefinition, CustomFieldValue
from ..models.companies import CUSTOM_FIELD_TYPES
from . import audit

TRUE_VALUES = {"true", "1", "yes", "on", "y"}
FALSE_VALUES = {"false", "0", "no", "off", "n"}
TEXT_MAX = 500
URL_MAX = 2000
NUMBER_LIMIT = Decimal(10) ** 12


class CustomFieldError(Refusal):
    """Custom values that do not fit their type; `messages` says what is wrong with each."""

    def __init__(self, *messages: str):
        super().__init__(" ".join(messages))
        self.messages = list(messages)


def active_definitions() -> list[CustomFieldDefinition]:
    return list(db.session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.is_active)
        .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)))


def values_of(company_id: int) -> list[tuple[CustomFieldDefinition, str | None]]:
    """Every active custom field with this company's stored text (None when unset), one query."""
    rows = db.session.execute(
        select(CustomFieldDefinition, CustomFieldValue.value)
        .outerjoin(CustomFieldValue, and_(CustomFieldValue.definition_id == CustomFieldDefinition.id,
                                          CustomFieldValue.company_id == company_id))
        .where(CustomFieldDefinition.is_active)
        .order_by(CustomFieldDefinition.position, CustomFieldDefinition.id)).all()
    return [(definition, value) for definition, value in rows]


def choices_of(definition: CustomFieldDefinition) -> list[str]:
    return [c.strip() for c in (definition.choices or "").splitlines() if c.strip()]


def parse_value(definition: CustomFieldDefinition, raw: str | None) -> str | None:
    """The stored text of a typed value; None for an empty value; CustomFieldError if invalid."""
    raw = (raw or "").strip()
    kind, label = definition.field_type, definition.label
    if kind == "boolean":
        if raw.lower() in TRUE_VALUES:
            return "true"
        if raw.lower() in FALSE_VALUES or raw == "":
            return "false" if raw else None
        raise CustomFieldError(f"{label}: choose yes or no.")
    if raw == "":
        return None
    if kind == "number":
        try:
            number = Decimal(raw.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise CustomFieldError(f"{label}: {raw!r} is not a number.") from None
        if not number.is_finite():
            raise CustomFieldError(f"{label}: {raw!r} is not a number.")
        if abs(number) > NUMBER_LIMIT:
            raise CustomFieldError(f"{label}: the number is too large.")
        return format(number.normalize(), "f")
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise CustomFieldError(f"{label}: {raw!r} is not a date (YYYY-MM-DD).") from None
    if kind == "choice":
        if raw not in choices_of(definition):
            raise CustomFieldError(f"{label}: choose one of {', '.join(choices_of(definition))}.")
        return raw
    if kind == "url":
        if not raw.lower().startswith(("http://", "https://")) or " " in raw:
            raise CustomFieldError(f"{label}: a web address starts with http:// or https://.")
        if len(raw) > URL_MAX:
            raise CustomFieldError(f"{label}: at most {URL_MAX} characters.")
        return raw
    if len(raw) > TEXT_MAX:
        raise CustomFieldError(f"{label}: at most {TEXT_MAX} characters.")
    return raw


def form_value(definition: CustomFieldDefinition, stored: str | None):
    """Stored text as the Python value a typed form input expects (Decimal, date, bool, str)."""
    kind = definition.field_type
    if kind == "boolean":
        return (stored or "").lower() in TRUE_VALUES
    if stored in (None, ""):
        return None
    try:
        if kind == "number":
            return Decimal(stored)
        if kind == "date":
            return date.fromisoformat(stored)
    except (InvalidOperation, ValueError):
        return None
    return stored


def raw_text(value) -> str:
    """A form input's Python value back to the text `parse_value` reads."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def display_value(definition: CustomFieldDefinition, value: str | None) -> Markup:
    """The value as a user reads it: dates and numbers formatted, yes/no, links clickable."""
    if value is None or value == "":
        return Markup('<span class="text-muted">—</span>')
    kind = definition.field_type
    if kind == "boolean":
        yes = value.lower() in TRUE_VALUES
        return Markup('<span class="badge badge-{}">{}</span>').format(
            "success" if yes else "secondary", _("Yes") if yes else _("No"))
    if kind == "date":
        try:
            return escape(formats.date(date.fromisoformat(value)))
        except ValueError:
            return escape(value)
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            return escape(value)
        text = formats.number(number)
        return Markup('<span class="text-monospace">{}</span>').format(text)
    if kind == "url" and value.lower().startswith(("http://", "https://")):
        return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(
            value, value)
    return escape(value)


def save_values(company: Company, raw_values: dict[int, str | None],
                record: bool = True) -> dict[str, list]:
    """Check and store {definition_id: raw text} for the active fields given.

    Nothing is stored when any value is invalid (CustomFieldError lists them all). Returns the
    changes as {"custom.<key>": [old, new]}; with `record` they get an audit entry of their own,
    otherwise the caller puts them in the entry of the save they belong to.
    """
    definitions = [d for d in active_definitions() if d.id in raw_values]
    parsed, errors = {}, []
    for definition in definitions:
        try:
            parsed[definition.id] = parse_value(definition, raw_values[definition.id])
        except CustomFieldError as exc:
            errors.extend(exc.messages)
    if errors:
        raise CustomFieldError(*errors)
    existing = {v.definition_id: v for v in company.custom_values}
    changes: dict[str, list] = {}
    for definition in definitions:
        value, row = parsed[definition.id], existing.get(definition.id)
        old = row.value if row is not None else None
        if value == old:
            continue
        changes[f"custom.{definition.key}"] = [old, value]
        if value is None:
            company.custom_values.remove(row)
        elif row is None:
            company.custom_values.append(CustomFieldValue(definition_id=definition.id,
                                                          value=value))
        else:
            row.value = value
    if changes and record:
        audit.record("update", company, changes=changes,
                     summary=f"Updated Company {company}: {', '.join(changes)}")
    return changes


def save_definition(definition: CustomFieldDefinition) -> None:
    """A definition of a known type, with its choices listed once, under a key no other uses."""
    if definition.field_type not in CUSTOM_FIELD_TYPES:
        raise CustomFieldError(_("Choose the type of the field."))
    if definition.field_type == "choice":
        options = [c.strip() for c in (definition.choices or "").splitlines() if c.strip()]
        if not options:
            raise CustomFieldError(_("List the choices, one per line."))
        definition.choices = "\n".join(dict.fromkeys(options))
    duplicate = db.session.scalar(select(CustomFieldDefinition.id).where(
        CustomFieldDefinition.key == definition.key,
        CustomFieldDefinition.id != (definition.id or 0)))
    if duplicate:
        raise CustomFieldError(_("Another custom field already uses the key “%(key)s”.",
                                 key=definition.key))
