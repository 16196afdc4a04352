"""Writing a batch of planned import rows: companies created with their main address, contact
and custom fields, or updated with the values they had kept for undo; one audit entry each."""
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import insert, select
from sqlalchemy.orm import selectinload

from ...extensions import db
from ...models import (
    Address, AuditLog, Company, Contact, CustomFieldDefinition, CustomFieldValue, ImportBatch,
    ImportChange,
)
from ...models.companies import derived_keys

# What a row may set on a company (imports.rows); every bulk row names all of them.
COMPANY_COLUMNS = ("name", "status", "email", "phone", "website", "legal_id",
                   "vat_number", "account_manager_id", "comments")

RESULT_WORDS = {"create": "created", "update": "updated", "skip": "skipped", "error": "error"}


@dataclass
class Outcome:
    """What became of one row, as the report lists it."""
    line: dict
    fate: str
    company_id: int | None = None
    company_name: str = ""
    details: str = ""

    @classmethod
    def failed(cls, line: dict, message: str) -> "Outcome":
        return cls(line, "error", line.get("m"), line.get("mn", ""),
                   _("Not imported: %(reason)s", reason=message))

    def report_row(self) -> list:
        return [self.line["r"], RESULT_WORDS[self.fate], self.company_id or "",
                self.company_name, self.details] + list(self.line.get("c") or [])


def _details(line: dict) -> str:
    if line.get("err"):
        return "; ".join(f"{column}: {message}" for column, message in line["err"].items())
    parts = [line.get("why") or ""]
    if line.get("chg"):
        parts.append(_("changed: %(fields)s", fields=", ".join(line["chg"])))
    return " — ".join(p for p in parts if p)


class Applier:
    """Applies planned rows within the caller's transaction (flushes, never commits). New
    companies and what comes with them are inserted in a few set-based statements; updates go
    through the ORM, row by row, as they are few and need their previous values."""

    def __init__(self, batch: ImportBatch):
        self.batch = batch
        self.definitions = dict(db.session.execute(
            select(CustomFieldDefinition.key, CustomFieldDefinition.id)).tuples().all())
        self.changes: list[dict] = []
        self.audits: list[dict] = []

    def apply(self, lines: list[dict]) -> list[Outcome]:
        ids = {line["m"] for line in lines if line["f"] == "update"}
        companies = {c.id: c for c in db.session.scalars(
            select(Company).where(Company.id.in_(ids)).options(
                selectinload(Company.custom_values), selectinload(Company.addresses),
                selectinload(Company.contacts)))} if ids else {}
        outcomes, created = [], []
        for line in lines:
            if line["f"] == "create":
                outcome = Outcome(line, "create", None, line["set"]["company"].get("name", ""),
                                  _details(line))
                created.append(outcome)
            elif line["f"] == "update":
                company = companies.get(line["m"])
                if company is None or company.is_tombstone:
                    outcomes.append(Outcome.failed(line, _(
                        "the matching company was merged or deleted after the preview")))
                    continue
                self._update(line, company)
                outcome = Outcome(line, "update", company.id, company.name, _details(line))
            else:
                outcome = Outcome(line, line["f"], line.get("m"), line.get("mn", ""),
                                  _details(line))
            outcomes.append(outcome)
        db.session.flush()
        if created:
            self._insert_created(created)
        for entry in self.changes:
            created_row = entry.pop("object", None)
            if created_row is not None:
                entry["entity_id"] = created_row.id
        if self.changes:
            db.session.execute(insert(ImportChange), self.changes)
        if self.audits:
            db.session.execute(insert(AuditLog), self.audits)
        return outcomes

    def _audit(self, action: str, company_id: int, changes: dict, summary: str) -> None:
        self.audits.append({"action": action, "entity_type": "Company", "entity_id": company_id,
                            "changes": changes, "summary": summary[:300],
                            "user_id": self.batch.user_id})

    def _insert_created(self, created: list[Outcome]) -> None:
        """The new companies, then their addresses, contacts and custom values: one statement
        per table for the whole batch."""
        rows = []
        for outcome in created:
            values = {name: None for name in COMPANY_COLUMNS}
            values.update(outcome.line["set"]["company"])
            values["status"] = values["status"] or "lead"
            values.update(derived_keys(values["name"], values["phone"], values["email"],
                                       values["legal_id"]))
            rows.append(values)
        ids = list(db.session.scalars(
            insert(Company).returning(Company.id, sort_by_parameter_order=True), rows))
        addresses, contacts, custom = [], [], []
        for outcome, company_id, values in zip(created, ids, rows):
            line, outcome.company_id = outcome.line, company_id
            planned = line["set"]
            if planned["address"]:
                addresses.append({"company_id": company_id, **_address_values(planned["address"])})
            if planned["contact"]:
                contacts.append({"company_id": company_id, **_contact(planned["contact"])})
            custom.extend({"company_id": company_id, "definition_id": self.definitions[key],
                           "value": value}
                          for key, value in planned["custom"].items() if key in self.definitions)
            self.changes.append(self._change(line, "Company", company_id, "create"))
            shown = {k: v for k, v in values.items() if v not in (None, "") and k in COMPANY_COLUMNS}
            self._audit("create", company_id, shown,
                        f"Imported Company {values['name']} (import #{self.batch.id}, "
                        f"row {line['r']})")
        for model, batch_rows in ((Address, addresses), (Contact, contacts),
                                  (CustomFieldValue, custom)):
            if batch_rows:
                db.session.execute(insert(model), batch_rows)

    def _change(self, line, entity_type, entity_id, action, previous=None, applied=None,
                obj=None) -> dict:
        entry = {"import_id": self.batch.id, "row_number": line["r"], "entity_type": entity_type,
                 "entity_id": entity_id, "action": action, "previous": previous,
                 "applied": applied}
        if obj is not None:
            entry["object"] = obj
        return entry

    def _update(self, line: dict, company: Company) -> None:
        values = line["set"]
        previous, applied = {}, {}
        for name, new in values["company"].items():
            previous[name], applied[name] = getattr(company, name), new
            setattr(company, name, new)
        stored = {v.definition.key: v for v in company.custom_values}
        for key, new in values["custom"].items():
            row = stored.get(key)
            previous["custom." + key] = row.value if row is not None else None
            applied["custom." + key] = new
            if row is None and key in self.definitions:
                company.custom_values.append(CustomFieldValue(
                    definition_id=self.definitions[key], value=new))
            elif row is not None:
                row.value = new
        if previous:
            self.changes.append(self._change(line, "Company", company.id, "update",
                                             previous, applied))
        address_changes = self._update_address(line, company, dict(values["address"]))
        if values["contact"]:
            contact = Contact(**_contact(values["contact"]))
            company.contacts.append(contact)
            self.changes.append(self._change(line, "Contact", None, "create", obj=contact))
        changes = {k: [previous[k], applied[k]] for k in applied}
        changes.update(address_changes)
        if values["contact"]:
            changes["contact"] = [None, " ".join(filter(None, (
                values["contact"].get("first_name"), values["contact"].get("last_name"))))]
        self._audit("update", company.id, changes,
                    f"Imported into Company {company}: {', '.join(changes)} "
                    f"(import #{self.batch.id}, row {line['r']})")

    def _update_address(self, line: dict, company: Company, values: dict) -> dict:
        """Fill or create the main address; {"address.<field>": [old, new]} for the audit."""
        if not values:
            return {}
        main = company.main_address
        if values.pop("new", False) or main is None:
            address = _address(values)
            company.addresses.append(address)
            self.changes.append(self._change(line, "Address", None, "create", obj=address))
            return {"address." + name: [None, new] for name, new in values.items()}
        previous = {name: getattr(main, name) for name in values}
        for name, new in values.items():
            setattr(main, name, new)
        self.changes.append(self._change(line, "Address", main.id, "update", previous, values))
        return {"address." + name: [previous[name], new] for name, new in values.items()}


def _address_values(values: dict) -> dict:
    """Every column of a new main address (bulk rows must all name the same columns)."""
    return {"label": "", "contact_name": None, "line1": values.get("line1") or "",
            "line2": values.get("line2"), "postal_code": values.get("postal_code"),
            "city": values.get("city") or "", "country": values.get("country") or "",
            "is_main": True, "is_billing_default": False, "is_delivery_default": False,
            "is_quote_default": False}


def _address(values: dict) -> Address:
    return Address(**_address_values(values))


def _contact(values: dict) -> dict:
    return {"first_name": values.get("first_name") or "", "last_name": values["last_name"],
            "email": values.get("email"), "phone": values.get("phone"),
            "job_title": values.get("job_title"), "photo": None, "is_billing_contact": False}
