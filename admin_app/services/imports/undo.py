"""Undoing an import as a whole: the companies it created are deleted (refused while any of them
has sales documents or merge records), the rows it added to existing companies removed, and the
fields it updated return to their previous values. One transaction."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from sqlalchemy import delete, func, insert, select

from ...errors import Refusal
from ...extensions import db
from ...models import Address, AuditLog, Company, Contact, ImportBatch, ImportChange, User
from ...models.base import utcnow
from .. import audit
from ..companies import deletion_blockers, deletion_consequences, describe_counts

CHUNK = 500
SHOWN_BLOCKERS = 10
UNDOABLE = ("done", "failed")


@dataclass
class UndoSummary:
    """What an undo would do, for the confirmation page."""
    created: int = 0
    updated: int = 0
    added_rows: int = 0
    blocked: list[tuple[int, str, str]] = field(default_factory=list)  # id, name, why
    blocked_count: int = 0
    goes_with: dict[str, int] = field(default_factory=dict)


def _ids(batch_id: int, entity_type: str, action: str) -> list[int]:
    return list(db.session.scalars(select(ImportChange.entity_id).where(
        ImportChange.import_id == batch_id, ImportChange.entity_type == entity_type,
        ImportChange.action == action).order_by(ImportChange.entity_id)))


def _chunks(values: list):
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def summarise(batch: ImportBatch) -> UndoSummary:
    """Counts of what undo changes, what blocks it, and what goes with the created companies."""
    created = _ids(batch.id, "Company", "create")
    summary = UndoSummary(created=len(created))
    summary.updated = db.session.scalar(
        select(func.count(func.distinct(ImportChange.row_number))).where(
            ImportChange.import_id == batch.id, ImportChange.entity_type == "Company",
            ImportChange.action == "update")) or 0
    summary.added_rows = db.session.scalar(select(func.count()).select_from(ImportChange).where(
        ImportChange.import_id == batch.id, ImportChange.action == "create",
        ImportChange.entity_type != "Company")) or 0
    names = {}
    for chunk in _chunks(created):
        names.update(db.session.execute(select(Company.id, Company.name)
                                        .where(Company.id.in_(chunk))).tuples().all())
        for company_id, blockers in deletion_blockers(chunk).items():
            if blockers:
                summary.blocked_count += 1
                if len(summary.blocked) < SHOWN_BLOCKERS:
                    summary.blocked.append((company_id, names.get(company_id, ""),
                                            describe_counts(blockers)))
        for counts in deletion_consequences(chunk).values():
            for label, count in counts.items():
                summary.goes_with[label] = summary.goes_with.get(label, 0) + count
    return summary


def undo_import(batch: ImportBatch, user: User | None) -> dict[str, int]:
    """Undo the whole import or refuse with the reason; flushes only, the caller commits."""
    if batch.status not in UNDOABLE or batch.undone_at is not None:
        raise Refusal(_("This import cannot be undone (it is %(status)s).", status=batch.status))
    summary = summarise(batch)
    if summary.blocked_count:
        items = Markup("").join(Markup("<li>{} — {}</li>").format(name, why)
                                for _id, name, why in summary.blocked)
        raise Refusal(Markup("{}<ul class='mb-0'>{}</ul>").format(
            ngettext("Nothing was undone: %(num)d company this import created now has sales "
                     "documents or merge records, which must stay in the books.",
                     "Nothing was undone: %(num)d companies this import created now have sales "
                     "documents or merge records, which must stay in the books.",
                     summary.blocked_count), items))
    restored, kept = _restore_updates(batch, user)
    _delete_added_rows(batch, user)
    deleted = _delete_created_companies(batch, user)
    batch.status, batch.undone_at = "undone", utcnow()
    batch.undone_by_id = user.id if user is not None else None
    db.session.flush()
    return {"deleted": deleted, "restored": restored, "kept": kept}


def _restore_updates(batch: ImportBatch, user: User | None) -> tuple[int, int]:
    """Put back the values an import replaced, unless someone changed them since (kept)."""
    restored = kept = 0
    changes = db.session.scalars(select(ImportChange).where(
        ImportChange.import_id == batch.id, ImportChange.action == "update")
        .order_by(ImportChange.id.desc())).all()
    for change in changes:
        model = Company if change.entity_type == "Company" else Address
        row = db.session.get(model, change.entity_id)
        if row is None:
            continue
        undone = {}
        for name, old in (change.previous or {}).items():
            new = (change.applied or {}).get(name)
            if name.startswith("custom."):
                current = _custom_value(row, name[len("custom."):])
            else:
                current = getattr(row, name)
            if current != new:
                kept += 1  # edited after the import: the later edit wins
                continue
            if name.startswith("custom."):
                _set_custom(row, name[len("custom."):], old)
            else:
                setattr(row, name, old)
            undone[name] = [new, old]
        if undone:
            restored += 1
            company = row if model is Company else row.company
            audit.record("update", company, changes=undone, user=user,
                         summary=f"Undid import #{batch.id} on {change.entity_type} {row}: "
                                 f"{', '.join(undone)}")
    return restored, kept


def _custom_value(company: Company, key: str) -> str | None:
    return next((v.value for v in company.custom_values if v.definition.key == key), None)


def _set_custom(company: Company, key: str, value: str | None) -> None:
    row = next((v for v in company.custom_values if v.definition.key == key), None)
    if row is None:
        return
    if value is None:
        company.custom_values.remove(row)
        db.session.delete(row)
    else:
        row.value = value


def _delete_added_rows(batch: ImportBatch, user: User | None) -> None:
    """Set-based, a chunk per statement: each DELETE of addresses runs the companies'
    main-address trigger once, not once per row (an undo of 10,000 rows sent 10,000)."""
    user_id = audit.acting_user_id(user)
    db.session.flush()
    for entity_type, model in (("Contact", Contact), ("Address", Address)):
        for chunk in _chunks(_ids(batch.id, entity_type, "create")):
            rows = list(db.session.scalars(select(model).where(model.id.in_(chunk))))
            if not rows:
                continue
            db.session.execute(insert(AuditLog), [
                {"action": "delete", "entity_type": entity_type, "entity_id": row.id,
                 "user_id": user_id, "changes": audit.snapshot(row),
                 "summary": f"Deleted {entity_type} {row} (undo of import #{batch.id})"[:300]}
                for row in rows])
            db.session.execute(delete(model).where(model.id.in_([row.id for row in rows])),
                               execution_options={"synchronize_session": False})
            for row in rows:
                db.session.expunge(row)


def _delete_created_companies(batch: ImportBatch, user: User | None) -> int:
    """Set-based: the database cascades addresses, contacts and custom values."""
    deleted = 0
    user_id = audit.acting_user_id(user)
    for chunk in _chunks(_ids(batch.id, "Company", "create")):
        rows = db.session.execute(select(Company.id, Company.name)
                                  .where(Company.id.in_(chunk))).all()
        if not rows:
            continue
        db.session.execute(insert(AuditLog), [
            {"action": "delete", "entity_type": "Company", "entity_id": company_id,
             "user_id": user_id, "changes": None,
             "summary": f"Deleted Company {name} (undo of import #{batch.id})"[:300]}
            for company_id, name in rows])
        db.session.execute(delete(Company).where(Company.id.in_(chunk)),
                           execution_options={"synchronize_session": False})
        deleted += len(rows)
    db.session.expire_all()
    return deleted
