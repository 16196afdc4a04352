"""Run-time settings stored in the database: one typed definition per key, read once per request.

`get_setting(key)` is the one accessor. The first read of a request loads every stored row in a
single query and parses it through its definition; the result lives in `flask.g` until a save
(or the next request) forgets it. A stored value that no longer parses (a key written by an
older version, a hand-edited row, a bound that changed) falls back to its default, with a
warning in the log: a bad row never breaks a page.
"""
import logging
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Refusal
from ..extensions import db
from ..models import Setting
from . import audit
from .setting_types import (
    MEGABYTE, SettingError, boolean, choice, currency, decimal, email, file_types, iban, integer,
    logo_path, prefix, text, time_zone,
)

log = logging.getLogger(__name__)

SECTIONS = ("commercial", "exchanges", "seller", "documents", "regional", "security")
LANGUAGES = ("en", "es", "fr")


def hard_upload_limit_mb() -> int:
    """The server's own ceiling on a request (MAX_CONTENT_LENGTH), in whole megabytes."""
    return max(1, int(current_app.config.get("MAX_CONTENT_LENGTH") or 10 * MEGABYTE) // MEGABYTE)


@dataclass(frozen=True)
class Definition:
    """A setting: its section, its default, and how a value is parsed (or refused)."""

    key: str
    section: str
    default: Any
    parse: Callable[[Any], Any]
    # How the parsed value is stored in the JSON column (Decimal → "20.00").
    dump: Callable[[Any], Any] = lambda value: value

    def stored(self, value: Any) -> Any:
        return self.dump(value)


def _decimal_text(value: Decimal) -> str:
    return f"{value:.2f}"


DEFINITIONS: dict[str, Definition] = {d.key: d for d in (
    # Commercial
    Definition("invoice_converts_lead_to", "commercial", "client", choice("client", "lead")),
    Definition("payment_terms_days", "commercial", 30, integer(0, 365)),
    Definition("default_tax_rate", "commercial", Decimal("20.00"), decimal(0, 100),
               dump=_decimal_text),
    Definition("invoice_prefix", "commercial", "INV", prefix),
    Definition("quote_prefix", "commercial", "QUO", prefix),
    Definition("order_prefix", "commercial", "ORD", prefix),
    Definition("credit_note_prefix", "commercial", "CN", prefix),
    Definition("currency", "commercial", "EUR", currency),
    # Exchanges
    Definition("send_exchange_internally", "exchanges", False, boolean),
    Definition("mail_sender_name", "exchanges", "", text(120)),
    Definition("mail_sender_email", "exchanges", "", email),
    # Seller identity, printed on quotes and invoices
    Definition("company_name", "seller", "Our Company", text(200, required=True)),
    Definition("company_address", "seller", "", text(500, multiline=True)),
    Definition("company_legal_id", "seller", "", text(50)),
    Definition("company_vat_number", "seller", "", text(30)),
    Definition("company_email", "seller", "", email),
    Definition("company_iban", "seller", "", iban),
    Definition("company_footer", "seller", "", text(500, multiline=True)),
    Definition("company_logo", "seller", "", logo_path),
    # Documents
    Definition("upload_limit_mb", "documents", 8, integer(1, hard_upload_limit_mb)),
    Definition("portal_link_days", "documents", 30, integer(1, 365)),
    Definition("allowed_file_types", "documents",
               ["pdf", "doc", "docx", "odt", "xls", "xlsx", "ods", "csv", "txt", "png", "jpg",
                "jpeg", "zip"], file_types),
    # Regional
    Definition("time_zone", "regional", "Europe/Madrid", time_zone),
    Definition("default_language", "regional", "en", choice(*LANGUAGES)),
    # Security: administrators must log in with a second factor (services/two_factor.py)
    Definition("admin_two_factor_required", "security", False, boolean),
    # Imports (/admin/import/): the largest file accepted, in rows and in megabytes. Not on the
    # settings page yet (no section shows them); set with `set_setting` or the database.
    Definition("import_max_rows", "imports", 50000, integer(1, 1_000_000)),
    Definition("import_max_mb", "imports", 20, integer(1, 1000)),
)}

# Kept for callers that imported it: every key with its default.
DEFAULTS: dict[str, Any] = {key: d.default for key, d in DEFINITIONS.items()}


class SettingsRefused(Refusal):
    """Some values of a save were refused; `errors` maps each key to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__(" ".join(f"{key}: {message}" for key, message in errors.items()))


# --- reading --------------------------------------------------------------------------------

def _load() -> dict[str, Any]:
    """Every setting, typed: one query for the stored rows, defaults for the rest."""
    stored = dict(db.session.execute(select(Setting.key, Setting.value)).all())
    values = {}
    for key, definition in DEFINITIONS.items():
        raw = stored.get(key)
        if raw is None:
            values[key] = definition.default
            continue
        try:
            values[key] = definition.parse(raw)
        except (SettingError, TypeError, ValueError, ArithmeticError) as exc:
            log.warning("Setting %s: stored value %r no longer parses (%s); using the default %r",
                        key, raw, exc, definition.default)
            values[key] = definition.default
    return values


def _cached() -> dict[str, Any]:
    if not has_app_context():
        return _load()
    values = g.get("_settings")
    if values is None:
        values = g._settings = _load()
    return values


def forget_cached() -> None:
    """Drop the settings read in this request (after a save, or as a new request starts)."""
    if has_app_context():
        g.pop("_settings", None)


def get_setting(key: str) -> Any:
    """The typed value of a setting (its default when unset or unreadable); None if unknown."""
    if key not in DEFINITIONS:
        log.warning("Unknown setting %r read", key)
        return None
    return _cached()[key]


def all_settings() -> dict[str, Any]:
    """Every setting's typed value."""
    return dict(_cached())


def upload_limit_bytes() -> int:
    """The largest document upload: the setting, never above the server's request ceiling."""
    return min(int(get_setting("upload_limit_mb")), hard_upload_limit_mb()) * MEGABYTE


def keys_of(section: str) -> list[str]:
    return [key for key, d in DEFINITIONS.items() if d.section == section]


# --- checking and saving ----------------------------------------------------------------------

def problems(values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """Parse proposed values; (parsed values, {key: message}) where the message says why not."""
    parsed, errors = {}, {}
    for key, value in values.items():
        definition = DEFINITIONS.get(key)
        if definition is None:
            errors[key] = _("This setting does not exist.")
            continue
        try:
            parsed[key] = definition.parse(value)
        except SettingError as exc:
            errors[key] = str(exc)
    current = all_settings()
    errors.update(_prefix_problems(parsed, current, errors))
    # A new currency applies to documents issued from now on: an issued document keeps the one
    # recorded in its snapshot (services.snapshots).
    return parsed, errors


def _prefix_problems(parsed: dict, current: dict, errors: dict) -> dict[str, str]:
    from .numbering import PREFIX_KEYS, prefix_collision
    found = {}
    final = {key: parsed.get(key, current[key]) for key in PREFIX_KEYS.values()}
    for kind, key in PREFIX_KEYS.items():
        if key not in parsed or key in errors:
            continue
        others = [k for k, value in final.items() if k != key and value == parsed[key]]
        # The field that changed takes the blame, not the one that already had the prefix.
        if others and (parsed[key] != current[key]
                       or all(final[k] == current[k] for k in others)):
            found[key] = _("Another kind of document already uses this prefix.")
        elif parsed[key] != current[key]:
            reason = prefix_collision(kind, parsed[key])
            if reason:
                found[key] = reason
    return found


def save_settings(values: dict[str, Any]) -> dict[str, list]:
    """Check and store settings, all or none; audit each change as [old, new]. Flushes only."""
    parsed, errors = problems(values)
    if errors:
        raise SettingsRefused(errors)
    current = all_settings()
    changed = {key: value for key, value in parsed.items() if value != current[key]}
    if not changed:
        return {}
    rows = {row.key: row for row in db.session.scalars(
        select(Setting).where(Setting.key.in_(changed)))}
    changes = {}
    for key, value in changed.items():
        definition = DEFINITIONS[key]
        stored = definition.stored(value)
        row = rows.get(key)
        if row is None:
            db.session.add(Setting(key=key, value=stored))
        else:
            row.value = stored
        changes[key] = [definition.stored(current[key]), stored]
    db.session.flush()
    forget_cached()
    audit.record("update", entity_type="Setting",
                 summary=f"Settings changed: {', '.join(changes)}"[:300], changes=changes)
    return changes


def set_setting(key: str, value: Any) -> None:
    """Store one setting (checked and audited like a save from the settings page)."""
    if key not in DEFINITIONS:
        raise KeyError(f"Unknown setting {key!r}")
    save_settings({key: value})
