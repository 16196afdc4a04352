"""The audit log: who created, changed or deleted what, and when."""
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from flask_login import current_user
from sqlalchemy import inspect

from ..extensions import db
from ..models import AuditLog, User

IGNORED_FIELDS = {"password_hash", "totp_secret", "updated_at", "name_key", "phone_key",
                  "email_domain",
                  "legal_id_key", "legal_id_check", "search_text", "has_main_address",
                  "last_exchange_at", "domain_mismatch"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def acting_user_id(user: User | None) -> int | None:
    """The id of `user`, else of the logged-in user, else None (a command or a job)."""
    if user is not None:
        return user.id
    try:
        return current_user.id if current_user and current_user.is_authenticated else None
    except (AttributeError, RuntimeError):
        return None


def record(action: str, entity: Any = None, *, entity_type: str | None = None,
           entity_id: int | None = None, summary: str = "", changes: dict | None = None,
           user: User | None = None) -> AuditLog:
    """Add one audit entry to the session (the caller's transaction commits it)."""
    entry = AuditLog(
        action=action,
        entity_type=entity_type or type(entity).__name__,
        entity_id=entity_id if entity_id is not None else getattr(entity, "id", None),
        summary=summary[:300] or (str(entity)[:300] if entity is not None else ""),
        changes=changes,
        user_id=acting_user_id(user),
    )
    db.session.add(entry)
    return entry


def column_changes(obj: Any) -> dict[str, list]:
    """{field: [old, new]} for the columns changed on a persistent object, before flush."""
    state = inspect(obj)
    changes: dict[str, list] = {}
    for attr in state.mapper.column_attrs:
        if attr.key in IGNORED_FIELDS:
            continue
        history = state.attrs[attr.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if old != new:
                changes[attr.key] = [_jsonable(old), _jsonable(new)]
    return changes


def snapshot(obj: Any) -> dict[str, Any]:
    """Every column value of a row, for create and delete entries."""
    mapper = inspect(obj).mapper
    return {a.key: _jsonable(getattr(obj, a.key)) for a in mapper.column_attrs
            if a.key not in IGNORED_FIELDS}
