"""Custom field values: parsed and checked by type on save, shown by type on the card."""
from datetime import date
from decimal import Decimal, InvalidOperation

from markupsafe import Markup, escape
from sqlalchemy import select

from ..extensions import db
from ..models import Company, CustomFieldDefinition, CustomFieldValue
from . import audit

TRUE_VALUES = {"true", "1", "yes", "on", "y"}
FALSE_VALUES = {"false", "0", "no", "off", "n"}


class FieldValueError(ValueError):
    """A custom field value that does not fit its type."""


def choices_of(definition: CustomFieldDefinition) -> list[str]:
    return [c.strip() for c in (definition.choices or "").splitlines() if c.strip()]


def parse_value(definition: CustomFieldDefinition, raw: str | None) -> str | None:
    """The stored text of a typed value; None for an empty value; FieldValueError when invalid."""
    raw = (raw or "").strip()
    kind, label = definition.field_type, definition.label
    if kind == "boolean":
        if raw.lower() in TRUE_VALUES:
            return "true"
        if raw.lower() in FALSE_VALUES or raw == "":
            return "false" if raw else None
        raise FieldValueError(f"{label}: choose yes or no.")
    if raw == "":
        return None
    if kind == "number":
        try:
            number = Decimal(raw.replace(",", ".").replace(" ", ""))
        except InvalidOperation:
            raise FieldValueError(f"{label}: {raw!r} is not a number.") from None
        if not number.is_finite():
            raise FieldValueError(f"{label}: {raw!r} is not a number.")
        return str(number.normalize()) if number != number.to_integral() else str(int(number))
    if kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            raise FieldValueError(f"{label}: {raw!r} is not a date (YYYY-MM-DD).") from None
    if kind == "choice":
        if raw not in choices_of(definition):
            raise FieldValueError(f"{label}: choose one of {', '.join(choices_of(definition))}.")
        return raw
    if kind == "url":
        if not raw.lower().startswith(("http://", "https://")) or " " in raw:
            raise FieldValueError(f"{label}: a web address starts with http:// or https://.")
        return raw[:2000]
    return raw[:5000]


def display_value(definition: CustomFieldDefinition, value: str | None) -> Markup:
    """The value as a user reads it: dates and numbers formatted, yes/no, links clickable."""
    if value is None or value == "":
        return Markup('<span class="text-muted">—</span>')
    kind = definition.field_type
    if kind == "boolean":
        yes = value.lower() in TRUE_VALUES
        return Markup('<span class="badge badge-{}">{}</span>').format(
            "success" if yes else "secondary", "Yes" if yes else "No")
    if kind == "date":
        try:
            return escape(date.fromisoformat(value).strftime("%d %b %Y"))
        except ValueError:
            return escape(value)
    if kind == "number":
        try:
            number = Decimal(value)
        except InvalidOperation:
            return escape(value)
        text = f"{number:,}" if number == number.to_integral() else f"{number:,f}"
        return Markup('<span class="text-monospace">{}</span>').format(text)
    if kind == "url" and value.lower().startswith(("http://", "https://")):
        return Markup('<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>').format(
            value, value)
    return escape(value)


def save_custom_fields(company: Company, raw_values: dict[int, str | None]) -> list[str]:
    """Store every active field's value for a company; returns the errors and saves nothing if any."""
    definitions = list(db.session.scalars(
        select(CustomFieldDefinition).where(CustomFieldDefinition.is_active)))
    parsed, errors = {}, []
    for definition in definitions:
        try:
            parsed[definition.id] = parse_value(definition, raw_values.get(definition.id))
        except FieldValueError as exc:
            errors.append(str(exc))
    if errors:
        return errors
    existing = {v.definition_id: v for v in db.session.scalars(
        select(CustomFieldValue).where(CustomFieldValue.company_id == company.id))}
    changes = {}
    for definition in definitions:
        value, row = parsed[definition.id], existing.get(definition.id)
        old = row.value if row else None
        if value == old:
            continue
        changes[definition.key] = [old, value]
        if value is None:
            db.session.delete(row)
        elif row is None:
            db.session.add(CustomFieldValue(company_id=company.id, definition_id=definition.id,
                                            value=value))
        else:
            row.value = value
    if changes:
        db.session.flush()
        audit.record("update", company, changes={"custom_fields": changes},
                     summary=f"Custom fields of {company.name}")
    return []
