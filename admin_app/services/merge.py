"""Merging a duplicate company into the one kept, and undoing it; set-based and lock-ordered."""
import json
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy import (
    Column, Index, Integer, Table, UniqueConstraint, and_, any_, bindparam, exists, func, select,
    true, update,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import undefer

from ..collector import gc_paused
from ..extensions import db
from ..models import Company, Merge, User
from ..models.base import utcnow
from ..errors import Refusal
from . import audit, figures
from .addresses import ADDRESS_FLAGS as FLAG_MEANINGS

# Scalar fields offered field by field in the preview; the kept value wins unless chosen.
MERGE_FIELDS: dict[str, str] = {
    "name": _l("Name"), "email": _l("Email"), "phone": _l("Phone"), "website": _l("Website"),
    "legal_id": _l("Legal ID"), "vat_number": _l("VAT number"),
    "account_manager_id": _l("Account manager"),
}
# Names of the linked tables in the preview; a table added later shows its own name.
TABLE_LABELS = {
    "addresses": _l("Addresses"), "contacts": _l("Contacts"), "exchanges": _l("Exchanges"),
    "opportunities": _l("Opportunities"), "quotes": _l("Quotes"), "orders": _l("Orders"),
    "invoices": _l("Invoices"), "documents": _l("Documents"),
    "custom_field_values": _l("Custom fields"), "credit_notes": _l("Credit notes"),
    "outbox_messages": _l("Emails"), "payments": _l("Payments"),
}
# Fields the merge may change on the kept company (fields above plus the derived ones).
TRACKED_FIELDS = (*MERGE_FIELDS, "status", "converted_at", "comments")
ADDRESS_FLAGS = tuple(FLAG_MEANINGS)
# Foreign keys to companies that are bookkeeping about companies, not data a company owns.
NOT_MOVED: dict[str, str] = {
    "companies.merged_into_id": "a tombstone keeps pointing at its own kept company; undo "
                                "relies on the chain staying as it was",
    "merges.kept_id": "merge history names the companies it merged and never moves",
    "merges.absorbed_id": "merge history names the companies it merged and never moves",
    "duplicate_ignores.company_low_id": "an ignored pair is about these two companies",
    "duplicate_ignores.company_high_id": "an ignored pair is about these two companies",
    "company_figures.company_id": "each company's figures are recomputed from its rows after "
                                  "the move (services/figures.py)",
    "company_month_figures.company_id": "recomputed from the rows, as company_figures",
    "company_exchange_counts.company_id": "recomputed from the rows, as company_figures",
}
# Flags a company has at most once (address defaults: partial unique indexes; the billing
# contact: services/contacts.py): moved rows lose those the kept company already has.
FLAG_HANDLED_TABLES = {"addresses": ADDRESS_FLAGS, "contacts": ("is_billing_contact",)}
CUSTOM_VALUES = "custom_field_values.company_id"


class MergeError(Refusal):
    """A merge or undo refused, with a message meant for the user."""


def company_foreign_keys() -> list[tuple[Table, Column]]:
    """Every column referencing companies.id in the mapped metadata, bookkeeping excluded."""
    companies = db.metadata.tables["companies"]
    found = []
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column.table is companies and f"{table.name}.{fk.parent.name}" not in NOT_MOVED:
                found.append((table, fk.parent))
    return sorted(found, key=lambda tc: (tc[0].name, tc[1].name))


def unique_partners(table: Table, column: Column) -> list[list[Column]]:
    """The other columns of each full unique constraint or index that includes `column`."""
    groups = [list(c.columns) for c in table.constraints if isinstance(c, UniqueConstraint)]
    groups += [list(i.columns) for i in table.indexes if i.unique and not _is_partial(i)]
    return [[c for c in cols if c is not column] for cols in groups if column in cols]


def _is_partial(index: Index) -> bool:
    return any(index.dialect_options[d].get("where") is not None for d in ("postgresql", "sqlite"))


def check_pair(kept: Company | None, absorbed: Company | None) -> None:
    """Refuse a pair that cannot be merged, with a message for the user."""
    if kept is None or absorbed is None:
        raise MergeError(_("Choose two existing companies to merge."))
    if kept.id == absorbed.id:
        raise MergeError(_("A company cannot be merged into itself."))
    if kept.merged_into_id is not None:
        raise MergeError(_("“%(name)s” was merged into another company: it cannot absorb "
                           "anything. Open the company it was merged into instead.",
                           name=kept.name))
    if absorbed.merged_into_id is not None:
        raise MergeError(_("“%(name)s” was already merged into company #%(id)s.",
                           name=absorbed.name, id=absorbed.merged_into_id))


def lock_pair(kept_id: int, absorbed_id: int) -> tuple[Company | None, Company | None]:
    """Load both companies fresh, locking their rows in id order (FOR UPDATE on PostgreSQL)."""
    rows = db.session.scalars(
        select(Company).where(Company.id.in_((kept_id, absorbed_id))).order_by(Company.id)
        .with_for_update(of=Company).execution_options(populate_existing=True)
    ).all()
    by_id = {c.id: c for c in rows}
    return by_id.get(kept_id), by_id.get(absorbed_id)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def _from_json(field: str, value: Any) -> Any:
    return datetime.fromisoformat(value) if field == "converted_at" and value else value


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def merged_comments(kept: Company, absorbed: Company) -> str | None:
    """Both comments, the absorbed one under a heading naming where it came from."""
    if _empty(absorbed.comments):
        return kept.comments
    heading = f"<p><em>Merged from {escape(absorbed.name)} (#{absorbed.id}):</em></p>"
    if _empty(kept.comments):
        return heading + absorbed.comments
    return f"{kept.comments}{heading}{absorbed.comments}"


def _apply_fields(kept: Company, absorbed: Company, choices: dict[str, str]) -> None:
    for field in MERGE_FIELDS:
        theirs = getattr(absorbed, field)
        if choices.get(field) == "absorbed" or (_empty(getattr(kept, field)) and not _empty(theirs)):
            setattr(kept, field, theirs)
    if absorbed.status == "client" and kept.status != "client":
        kept.status, kept.converted_at = "client", absorbed.converted_at or utcnow()
    kept.comments = merged_comments(kept, absorbed)


def _resolve_custom_values(kept_id: int, absorbed_id: int, choices: dict[str, str]) -> dict:
    """Give the kept row the absorbed value where chosen or empty; returns {def_id: [old, new]}."""
    values = db.metadata.tables["custom_field_values"]
    rows = db.session.execute(
        select(values.c.id, values.c.company_id, values.c.definition_id, values.c.value)
        .where(values.c.company_id.in_((kept_id, absorbed_id)))
    ).all()
    mine = {r.definition_id: r for r in rows if r.company_id == kept_id}
    changed = {}
    for theirs in (r for r in rows if r.company_id == absorbed_id and r.definition_id in mine):
        ours = mine[theirs.definition_id]
        wanted = choices.get(f"cf:{theirs.definition_id}") == "absorbed"
        if (wanted or _empty(ours.value)) and not _empty(theirs.value) and ours.value != theirs.value:
            db.session.execute(update(values).where(values.c.id == ours.id).values(value=theirs.value))
            changed[str(theirs.definition_id)] = [ours.value, theirs.value]
    return changed


def _clear_conflicting_flags(table: Table, kept_id: int, absorbed_id: int) -> dict[str, list[int]]:
    """Clear on the absorbed rows the default flags the kept company already has; the ids
    cleared, per flag. One UPDATE per flag, not a read of both companies' rows: a client with
    6,000 contacts sent them all to Python to find the one billing contact."""
    cleared = {}
    for flag in FLAG_HANDLED_TABLES[table.name]:
        twin = table.alias()
        ids = db.session.scalars(update(table).where(
            table.c.company_id == absorbed_id, table.c[flag] == true(),
            exists().where(twin.c.company_id == kept_id, twin.c[flag] == true()),
        ).values({flag: False}).returning(table.c.id)).all()
        if ids:
            cleared[flag] = sorted(ids)
    return cleared


def _movable(table: Table, column: Column, kept_id: int, absorbed_id: int):
    """Rows of the absorbed company that can move: those clashing with a kept row stay behind."""
    condition = column == absorbed_id
    for partners in unique_partners(table, column):
        twin = table.alias()
        condition = and_(condition, ~exists().where(
            twin.c[column.name] == kept_id, *(twin.c[p.name] == table.c[p.name] for p in partners)))
    return condition


def _move(table: Table, column: Column, kept_id: int, absorbed_id: int) -> list[int]:
    """Move the movable rows in one UPDATE … RETURNING (no id SELECT before); their ids, sorted.

    A big client's 60,000 rows, one tuple each, made Python's cyclic collector run a full
    collection in every other merge (120-190 ms), for no cycle at all: PostgreSQL hands the ids
    back as one sorted array; SQLite's RETURNING gives rows alone, fetched with the collector
    paused."""
    moved = (update(table).where(_movable(table, column, kept_id, absorbed_id))
             .values({column.name: kept_id}).returning(table.c.id))
    if db.session.get_bind().dialect.name == "postgresql":
        rows = moved.cte(f"moved_{table.name}")
        # No row moved: array_agg gives NULL.
        return db.session.scalar(select(
            func.array_agg(postgresql.aggregate_order_by(rows.c.id, rows.c.id)))) or []
    with gc_paused():
        return sorted(db.session.scalars(moved).all())


def merge_companies(kept: Company, absorbed: Company, user: User | None,
                    choices: dict[str, str] | None = None, note: str | None = None) -> Merge:
    """Move everything of `absorbed` to `kept`, tombstone `absorbed`, record it; flushes only."""
    check_pair(kept, absorbed)
    choices = {k: v for k, v in (choices or {}).items() if v in ("kept", "absorbed")}
    kept, absorbed = lock_pair(kept.id, absorbed.id)
    check_pair(kept, absorbed)  # again: a concurrent merge may have committed while we waited
    before = {f: _jsonable(getattr(kept, f)) for f in TRACKED_FIELDS}
    absorbed_values = {f: _jsonable(getattr(absorbed, f)) for f in TRACKED_FIELDS}
    custom = _resolve_custom_values(kept.id, absorbed.id, choices)
    moved: dict[str, list[int]] = {}
    left: dict[str, list[int]] = {}
    cleared: dict[str, dict[str, list[int]]] = {}
    for table, column in company_foreign_keys():
        key = f"{table.name}.{column.name}"
        if table.name in FLAG_HANDLED_TABLES:
            cleared[table.name] = _clear_conflicting_flags(table, kept.id, absorbed.id)
        ids = _move(table, column, kept.id, absorbed.id)
        if unique_partners(table, column):
            # What the UPDATE left behind is exactly what clashed with a kept row.
            left[key] = list(db.session.scalars(
                select(table.c.id).where(column == absorbed.id).order_by(table.c.id)))
        if ids:
            moved[key] = ids
    _apply_fields(kept, absorbed, choices)
    absorbed.merged_into_id = kept.id
    after = {f: _jsonable(getattr(kept, f)) for f in TRACKED_FIELDS}
    merge = Merge(
        kept_id=kept.id, absorbed_id=absorbed.id, user_id=user.id if user else None,
        field_choices=choices, moved=moved, note=note,
        previous_values={"kept": before, "absorbed": absorbed_values, "kept_after": after,
                         "custom": custom, "cleared_flags": cleared,
                         "left": {k: v for k, v in left.items() if v}},
    )
    db.session.add(merge)
    audit.record("merge", kept, summary=f"Merged {absorbed.name} (#{absorbed.id}) into "
                 f"{kept.name} (#{kept.id})", user=user,
                 changes={"absorbed_id": absorbed.id,
                          "moved": {k: len(v) for k, v in moved.items()},
                          "fields": {f: [before[f], after[f]] for f in before if before[f] != after[f]}})
    db.session.flush()
    _expire_children(kept, absorbed)
    figures.refresh(company_ids=(kept.id, absorbed.id))
    return merge


def _expire_children(*companies: Company) -> None:
    # The bulk UPDATEs bypass the identity map; loaded collections must be reloaded.
    for company in companies:
        db.session.expire(company, ["addresses", "contacts", "custom_values"])


def _among(column: Column, ids: list[int]):
    """`column` IN the ids, sent as one parameter (a PostgreSQL array, a JSON array on SQLite):
    one statement per table whatever the rows, instead of 5,000-placeholder lists parsed and
    planned one by one."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("moved_ids", ids, type_=postgresql.ARRAY(Integer)))
    values = func.json_each(bindparam("moved_ids", json.dumps(ids))).table_valued("value")
    return column.in_(select(values.c.value))


def undo_merge(merge: Merge, user: User | None) -> list[str]:
    """Move back exactly the rows that moved and restore both companies; returns warnings."""
    merge = db.session.scalars(select(Merge).where(Merge.id == merge.id).with_for_update(of=Merge)
                               .options(undefer(Merge.moved))
                               .execution_options(populate_existing=True)).one()
    if merge.undone_at is not None:
        raise MergeError(_("This merge was already undone on %(when)s.",
                           when=f"{merge.undone_at:%Y-%m-%d %H:%M}"))
    kept, absorbed = lock_pair(merge.kept_id, merge.absorbed_id)
    if kept.merged_into_id is not None:
        raise MergeError(_("“%(name)s” has since been merged into company #%(id)s: undo that "
                           "merge first.", name=kept.name, id=kept.merged_into_id))
    if absorbed.merged_into_id != kept.id:
        raise MergeError(_("“%(absorbed)s” is no longer merged into “%(kept)s”.",
                           absorbed=absorbed.name, kept=kept.name))
    previous = merge.previous_values or {}
    warnings = []
    for key, ids in (merge.moved or {}).items():
        table_name, column_name = key.split(".")
        table = db.metadata.tables.get(table_name)
        if table is None:
            warnings.append(f"Rows of {table_name} could not move back: the table is gone.")
            continue
        db.session.execute(update(table).where(
            _among(table.c.id, ids), table.c[column_name] == kept.id,
        ).values({column_name: absorbed.id}))
    for table_name, flags in previous.get("cleared_flags", {}).items():
        table = db.metadata.tables[table_name]
        for flag, ids in flags.items():
            twin = table.alias()
            db.session.execute(update(table).where(
                table.c.id.in_(ids), table.c.company_id == absorbed.id,
                ~exists().where(twin.c.company_id == absorbed.id, twin.c[flag] == true()),
            ).values({flag: True}))
    warnings += _restore_custom_values(kept.id, previous.get("custom", {}))
    warnings += _restore_fields(kept, previous)
    absorbed.merged_into_id = None
    merge.undone_at, merge.undone_by_id = utcnow(), user.id if user else None
    audit.record("unmerge", kept, summary=f"Undid the merge of {absorbed.name} (#{absorbed.id}) "
                 f"into {kept.name} (#{kept.id})", user=user,
                 changes={"merge_id": merge.id, "warnings": warnings})
    db.session.flush()
    _expire_children(kept, absorbed)
    figures.refresh(company_ids=(kept.id, absorbed.id))
    return warnings


def _restore_custom_values(kept_id: int, custom: dict[str, list]) -> list[str]:
    values = db.metadata.tables["custom_field_values"]
    warnings = []
    for definition_id, (old, new) in custom.items():
        result = db.session.execute(update(values).where(
            values.c.company_id == kept_id, values.c.definition_id == int(definition_id),
            values.c.value == new).values(value=old))
        if result.rowcount == 0:
            warnings.append(f"Custom field #{definition_id} was edited after the merge: kept as is.")
    return warnings


def _restore_fields(kept: Company, previous: dict) -> list[str]:
    """Put back the kept company's fields the merge changed, unless edited since."""
    before, after = previous.get("kept", {}), previous.get("kept_after", {})
    edited = []
    for field, old in before.items():
        if after.get(field) == old:
            continue
        if _jsonable(getattr(kept, field)) == after.get(field):
            setattr(kept, field, _from_json(field, old))
        else:
            edited.append(field)
    return [f"{', '.join(edited)} changed after the merge: the current value was kept."] if edited else []


def merge_counts(company_ids: list[int]) -> dict[str, dict[int, int]]:
    """{"table.column": {company_id: linked row count}} for the preview."""
    counts = {}
    for table, column in company_foreign_keys():
        rows = db.session.execute(select(column, func.count()).where(column.in_(company_ids))
                                  .group_by(column)).all()
        counts[f"{table.name}.{column.name}"] = {cid: n for cid, n in rows}
    return counts


def _label(key: str) -> str:
    table = key.split(".")[0]
    return str(TABLE_LABELS.get(table) or table.replace("_", " ").capitalize())


def preview(kept: Company, absorbed: Company) -> dict:
    """What the merge would do: fields side by side with the default choice, and rows to move."""
    check_pair(kept, absorbed)
    users = {u.id: str(u) for u in db.session.scalars(select(User).where(
        User.id.in_([i for i in (kept.account_manager_id, absorbed.account_manager_id) if i])))}

    def shown(field, value):
        return users.get(value, "") if field == "account_manager_id" else (value or "")

    fields = []
    for field, label in MERGE_FIELDS.items():
        ours, theirs = getattr(kept, field), getattr(absorbed, field)
        fields.append({"key": field, "label": label, "kept": shown(field, ours),
                       "absorbed": shown(field, theirs), "same": ours == theirs or _empty(theirs),
                       "default": "absorbed" if _empty(ours) and not _empty(theirs) else "kept"})
    values = db.metadata.tables["custom_field_values"]
    definitions = db.metadata.tables["custom_field_definitions"]
    rows = db.session.execute(
        select(values.c.company_id, definitions.c.id, definitions.c.label, values.c.value)
        .join(definitions, definitions.c.id == values.c.definition_id)
        .where(values.c.company_id.in_((kept.id, absorbed.id)))
        .order_by(definitions.c.position, definitions.c.id)).all()
    custom: dict[int, dict] = {}
    for company_id, def_id, label, value in rows:
        entry = custom.setdefault(def_id, {"key": f"cf:{def_id}", "label": label, "kept": "",
                                           "absorbed": "", "conflict": False})
        entry["kept" if company_id == kept.id else "absorbed"] = value or ""
    for entry in custom.values():
        both = entry["kept"] and entry["absorbed"]
        entry["same"] = not entry["absorbed"] or entry["kept"] == entry["absorbed"]
        entry["default"] = "absorbed" if not entry["kept"] and entry["absorbed"] else "kept"
        entry["conflict"] = bool(both) and not entry["same"]
    counts = merge_counts([kept.id, absorbed.id])
    linked = [{"key": key, "label": _label(key), "kept": per.get(kept.id, 0),
               "absorbed": per.get(absorbed.id, 0)} for key, per in counts.items()]
    addresses = db.metadata.tables["addresses"]
    flag_rows = db.session.execute(select(addresses.c.company_id, *(addresses.c[f] for f in ADDRESS_FLAGS))
                                   .where(addresses.c.company_id.in_((kept.id, absorbed.id)))).all()
    cleared = [str(FLAG_MEANINGS[f]) for f in ADDRESS_FLAGS
               if any(r.company_id == kept.id and getattr(r, f) for r in flag_rows)
               and any(r.company_id == absorbed.id and getattr(r, f) for r in flag_rows)]
    contacts = db.metadata.tables["contacts"]
    billing = set(db.session.scalars(select(contacts.c.company_id).where(
        contacts.c.company_id.in_((kept.id, absorbed.id)), contacts.c.is_billing_contact == true())))
    status = "client" if "client" in (kept.status, absorbed.status) else "lead"
    return {"fields": fields, "custom": list(custom.values()), "linked": linked,
            "moving": sum(row["absorbed"] for row in linked), "cleared_flags": cleared,
            "billing_contact_cleared": billing == {kept.id, absorbed.id},
            "status": status, "comments": merged_comments(kept, absorbed)}
