"""Bulk edits of companies from their list: set the account manager, the status or a custom
field, or add a comment line. All of the companies change or none does; one audit entry for each
company that changes."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..errors import Refusal
from ..extensions import db
from ..formats import number
from ..ids import parse_id
from ..models import Company, CustomFieldDefinition, CustomFieldValue, Invoice, User
from ..models.companies import COMPANY_STATUSES
from . import audit
from .conversion import invoice_converts_leads
from .custom_fields import CustomFieldError, parse_value

KINDS = ("account_manager", "status", "custom_field", "comment")
MAX_COMPANIES = 10_000
COMMENT_MAX = 500
CHUNK = 500


@dataclass
class BulkEdit:
    """One change to make on every chosen company."""
    kind: str
    value: str | int | None
    definition: CustomFieldDefinition | None = None
    shown: str = ""  # the value as a user reads it

    def describe(self) -> str:
        if self.kind == "account_manager":
            return _("set the account manager to %(value)s", value=self.shown)
        if self.kind == "status":
            return _("set the status to %(value)s", value=self.shown)
        if self.kind == "custom_field":
            return _("set %(field)s to %(value)s", field=self.definition.label, value=self.shown)
        return _("add the comment line “%(value)s”", value=self.shown)


@dataclass
class BulkPlan:
    changing: list[Company] = field(default_factory=list)
    unchanged: int = 0
    refused: list[tuple[Company, str]] = field(default_factory=list)


def read_edit(kind: str, raw: str | None, definition_id=None) -> BulkEdit:
    """The change a user asked for, checked; Refusal when it cannot be made on any company."""
    raw = (raw or "").strip()
    if kind == "account_manager":
        if raw in ("", "none"):
            return BulkEdit(kind, None, shown=_("nobody"))
        user = db.session.get(User, parse_id(raw) or 0)
        if user is None or not user.is_active:
            raise Refusal(_("Choose an active user as the account manager."))
        return BulkEdit(kind, user.id, shown=user.full_name or user.email)
    if kind == "status":
        if raw not in COMPANY_STATUSES:
            raise Refusal(_("Choose lead or client."))
        return BulkEdit(kind, raw, shown=raw)
    if kind == "custom_field":
        definition = db.session.get(CustomFieldDefinition, parse_id(definition_id) or 0)
        if definition is None or not definition.is_active:
            raise Refusal(_("Choose the custom field to set."))
        try:
            value = parse_value(definition, raw)
        except CustomFieldError as exc:
            raise Refusal(" ".join(exc.messages)) from None
        return BulkEdit(kind, value, definition, shown=value if value is not None else _("empty"))
    if kind == "comment":
        if not raw:
            raise Refusal(_("Write the comment line to add."))
        if len(raw) > COMMENT_MAX:
            raise Refusal(_("A comment line has at most %(max)d characters.", max=COMMENT_MAX))
        return BulkEdit(kind, raw, shown=raw)
    raise Refusal(_("Choose what to change."))


def load_companies(ids: list[int]) -> list[Company]:
    """The companies of these ids, with what the edits read, in a few queries."""
    if len(ids) > MAX_COMPANIES:
        raise Refusal(_("A bulk edit changes at most %(max)s companies at once; narrow the list "
                        "with a filter or a search.", max=number(MAX_COMPANIES)))
    companies = []
    for start in range(0, len(ids), CHUNK):
        companies.extend(db.session.scalars(
            select(Company).where(Company.id.in_(ids[start:start + CHUNK]))
            .options(selectinload(Company.custom_values)).order_by(Company.name, Company.id)))
    return companies


def plan(companies: list[Company], edit: BulkEdit) -> BulkPlan:
    """Which companies would change, which already have the value, which refuse and why."""
    result = BulkPlan()
    invoiced = _issued_invoice_counts([c.id for c in companies]) if (
        edit.kind == "status" and edit.value == "lead" and invoice_converts_leads()) else {}
    for company in companies:
        if company.is_tombstone:
            result.refused.append((company, _("it was merged into another company")))
        elif invoiced.get(company.id):
            result.refused.append((company, ngettext(
                "its %(num)d issued invoice makes it a client",
                "its %(num)d issued invoices make it a client", invoiced[company.id])))
        elif _current(company, edit) == _new(company, edit):
            result.unchanged += 1
        else:
            result.changing.append(company)
    return result


def apply(companies: list[Company], edit: BulkEdit) -> int:
    """Make the change on every company, or raise a Refusal listing the refused ones and change
    none; flushes only. Returns how many companies changed."""
    result = plan(companies, edit)
    if result.refused:
        items = Markup("").join(Markup("<li>{}: {}</li>").format(c.name, why)
                                for c, why in result.refused[:20])
        more = len(result.refused) - 20
        if more > 0:
            items += Markup("<li>{}</li>").format(_("and %(num)d more", num=more))
        raise Refusal(Markup("{}<ul class='mb-0'>{}</ul>").format(
            _("Nothing was changed: %(num)d of the chosen companies cannot take this change.",
              num=len(result.refused)), items))
    for company in result.changing:
        old, new = _current(company, edit), _new(company, edit)
        name = _field_name(edit)
        _set(company, edit, new)
        audit.record("update", company, changes={name: [old, new]},
                     summary=f"Updated Company {company}: {name} (bulk edit)")
    db.session.flush()
    return len(result.changing)


def _issued_invoice_counts(ids: list[int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for start in range(0, len(ids), CHUNK):
        counts.update(db.session.execute(
            select(Invoice.company_id, func.count()).where(
                Invoice.company_id.in_(ids[start:start + CHUNK]), Invoice.status == "issued")
            .group_by(Invoice.company_id)).tuples().all())
    return counts


def _field_name(edit: BulkEdit) -> str:
    if edit.kind == "custom_field":
        return f"custom.{edit.definition.key}"
    return {"account_manager": "account_manager_id", "status": "status",
            "comment": "comments"}[edit.kind]


def _current(company: Company, edit: BulkEdit):
    if edit.kind == "custom_field":
        return next((v.value for v in company.custom_values
                     if v.definition_id == edit.definition.id), None)
    return getattr(company, _field_name(edit))


def _new(company: Company, edit: BulkEdit):
    if edit.kind == "comment":
        return (company.comments or "") + f"<p>{escape(edit.value)}</p>"
    return edit.value


def _set(company: Company, edit: BulkEdit, value) -> None:
    if edit.kind != "custom_field":
        setattr(company, _field_name(edit), value)
        return
    row = next((v for v in company.custom_values if v.definition_id == edit.definition.id), None)
    if value is None and row is not None:
        company.custom_values.remove(row)
    elif row is None:
        company.custom_values.append(CustomFieldValue(definition_id=edit.definition.id,
                                                      value=value))
    else:
        row.value = value
