"""The dry run of an import: every row of the file with its fate (create, update with the match's
reason, skip, or error per cell), written to the workspace's plan. Nothing reaches the database;
the confirmed import applies exactly this plan."""
import hashlib
import json
import logging
from itertools import islice

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ...errors import Refusal
from ...extensions import db
from ...models import Company, User
from ...normalize import normalize_legal_id, normalize_phone
from ..settings import get_setting
from .files import SheetInfo, iter_rows
from .matching import Match, Matcher, name_key
from .rows import ParsedRow, RowReader
from .workspace import open_workspace

log = logging.getLogger(__name__)

BATCH = 500
FATES = ("create", "update", "skip", "error")
DEFAULT_THRESHOLD = 90


def max_rows() -> int:
    """Settings' row limit for one file (import_max_rows)."""
    try:
        return max(1, int(get_setting("import_max_rows")))
    except (TypeError, ValueError):
        return 50000


def analyse(token: str) -> None:
    """Preview the file of a workspace with its state's mapping and options; the outcome
    (ready with counts, or failed with the reason) is written to the state."""
    workspace = open_workspace(token)
    if workspace is None:
        return
    state = workspace.write_state(status="analysing", progress=0, message=None)
    try:
        counts, total = _write_plan(workspace, state)
    except Refusal as exc:
        workspace.write_state(status="failed", message=str(exc))
        return
    except Exception:  # a bug: logged with its traceback, the page says the preview failed
        log.exception("import preview failed (%s)", token)
        workspace.write_state(status="failed",
                              message=_("The preview failed unexpectedly; the technical log "
                                        "has the details."))
        return
    digest = hashlib.sha256(workspace.plan_path.read_bytes()).hexdigest()
    workspace.write_state(status="ready", counts=counts, total=total, progress=total,
                          digest=digest)


def _write_plan(workspace, state: dict) -> tuple[dict[str, int], int]:
    info = SheetInfo(state["kind"], state.get("encoding"), state.get("delimiter"),
                     state["headers"])
    reader = RowReader(info.headers, state["mapping"])
    planner = _Planner(Matcher(state.get("threshold", DEFAULT_THRESHOLD)),
                       state.get("on_match", "fill"), reader.column_of.get("name"))
    limit, total = max_rows(), 0
    counts = dict.fromkeys(FATES, 0)
    rows = iter_rows(workspace.upload_path, info)
    with open(workspace.plan_path, "w", encoding="utf-8") as plan:
        while batch := list(islice(rows, BATCH)):
            total += len(batch)
            if total > limit:
                raise Refusal(_("This file has more than %(limit)s rows, the most one import "
                                "takes (Settings: import_max_rows). Split it into smaller files.",
                                limit=f"{limit:,}"))
            for line in planner.plan([reader.read(number, cells) for number, cells in batch]):
                counts[line["f"]] += 1
                plan.write(json.dumps(line, ensure_ascii=False) + "\n")
            workspace.write_state(progress=total)
    if total == 0:
        raise Refusal(_("The file has a header row but no data rows."))
    return counts, total


class _Planner:
    """Decides each row's fate; remembers earlier rows so a file's own duplicates are seen."""

    def __init__(self, matcher: Matcher, on_match: str, name_column: str | None):
        self.matcher, self.on_match, self.name_column = matcher, on_match, name_column
        self.seen: dict[str, int] = {}  # legal id / email / name key → row that creates it
        self.updated: dict[int, int] = {}  # company id → row that updates it
        self.user_names = dict(db.session.execute(select(User.id, User.full_name)).tuples().all())

    def plan(self, rows: list[ParsedRow]) -> list[dict]:
        matches = self.matcher.match(rows)
        ids = {m.company_id for m in matches if m}
        companies = {c.id: c for c in db.session.scalars(
            select(Company).where(Company.id.in_(ids)).options(
                selectinload(Company.custom_values), selectinload(Company.addresses),
                selectinload(Company.contacts)))} if ids else {}
        return [self._line(row, match, companies) for row, match in zip(rows, matches)]

    def _line(self, row: ParsedRow, match: Match | None, companies: dict) -> dict:
        line = {"f": "", "r": row.number, "c": row.cells}
        if row.empty:
            return {**line, "f": "skip", "why": _("Empty row")}
        if row.errors:
            return {**line, "f": "error", "err": row.errors}
        earlier = self._earlier_row(row)
        if earlier:
            return {**line, "f": "skip",
                    "why": _("Same company as row %(row)d of this file", row=earlier)}
        if match is None:
            if not row.company.get("name"):
                column = self.name_column or _("Company name")
                return {**line, "f": "error", "err": {
                    column: _("A required value is missing: the company name.")}}
            self._remember(row)
            return {**line, "f": "create", "set": _values(row)}
        line.update(m=match.company_id, mn=match.name, why=match.reason)
        if self.on_match == "skip":
            return {**line, "f": "skip"}
        if match.company_id in self.updated:
            return {**line, "f": "skip", "why": _("Already updated by row %(row)d of this file",
                                                   row=self.updated[match.company_id])}
        changes, values = self._changes(row, companies[match.company_id])
        if not changes:
            return {**line, "f": "skip", "why": _("Nothing new: %(reason)s", reason=match.reason)}
        self.updated[match.company_id] = row.number
        self._remember(row)
        return {**line, "f": "update", "chg": changes, "set": values}

    def _keys(self, row: ParsedRow) -> list[str]:
        values = row.company
        keys = [("l:" + normalize_legal_id(values.get("legal_id"))) if values.get("legal_id") else "",
                ("e:" + values["email"].lower()) if values.get("email") else "",
                ("n:" + name_key(values.get("name"))) if values.get("name") else ""]
        return [k for k in keys if len(k) > 2]

    def _earlier_row(self, row: ParsedRow) -> int | None:
        return next((self.seen[k] for k in self._keys(row) if k in self.seen), None)

    def _remember(self, row: ParsedRow) -> None:
        for key in self._keys(row):
            self.seen.setdefault(key, row.number)

    def _changes(self, row: ParsedRow, company: Company) -> tuple[dict, dict]:
        """What the row would change on the company ({label: [old, new]}) and the values to set.

        "fill" (the default) only fills what is empty, as a merge does, and turns a lead into a
        client but never the reverse; "overwrite" writes every non-empty cell."""
        changes, values = {}, {"company": {}, "custom": {}, "address": {}, "contact": {}}
        for name, new in row.company.items():
            old = getattr(company, name)
            if name == "comments" and old:
                # Imported notes are added to the comments, never replace them.
                new = old if new in old else old + new
            elif not self._replaces(name, old, new):
                continue
            values["company"][name] = new
            changes[name] = [self._shown(name, old), self._shown(name, new)]
        stored = {v.definition.key: v.value for v in company.custom_values}
        for key, new in row.custom.items():
            if new is not None and self._replaces("custom", stored.get(key), new):
                values["custom"][key] = new
                changes["custom." + key] = [stored.get(key), new]
        main = company.main_address
        for name, new in row.address.items():
            old = getattr(main, name) if main is not None else None
            if self._replaces(name, old, new):
                values["address"][name] = new
                changes["address." + name] = [old, new]
        if values["address"] and main is None:
            values["address"]["new"] = True
        if row.contact and not _has_contact(company, row.contact):
            values["contact"] = dict(row.contact)
            changes["contact"] = [None, " ".join(filter(None, (row.contact.get("first_name"),
                                                               row.contact.get("last_name"))))]
        return changes, values

    def _replaces(self, name: str, old, new) -> bool:
        if old in (None, ""):
            return new not in (None, "")
        if _same(name, old, new):
            return False
        if name == "status":
            return self.on_match == "overwrite" or new == "client"
        return self.on_match == "overwrite"

    def _shown(self, name: str, value):
        if name == "account_manager_id" and value is not None:
            return self.user_names.get(value, value)
        return value


def _same(name: str, old, new) -> bool:
    """Equal for a reader: emails whatever their case, phones whatever their spacing."""
    if name in ("email", "contact_email"):
        return str(old).strip().lower() == str(new).strip().lower()
    if name == "phone":
        return normalize_phone(old) == normalize_phone(new)
    return old == new


def _values(row: ParsedRow) -> dict:
    return {"company": dict(row.company), "custom": {k: v for k, v in row.custom.items() if v},
            "address": dict(row.address), "contact": dict(row.contact)}


def _has_contact(company: Company, contact: dict) -> bool:
    email = (contact.get("email") or "").lower()
    name = (contact.get("first_name", "").lower(), contact.get("last_name", "").lower())
    return any((email and (c.email or "").lower() == email)
               or (c.first_name.lower(), c.last_name.lower()) == name for c in company.contacts)
