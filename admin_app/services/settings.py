"""Run-time settings stored in the database, with their defaults."""
from typing import Any

from ..extensions import db
from ..models import Setting

DEFAULTS: dict[str, Any] = {
    "currency": "EUR",
    "company_name": "Our Company",
    "company_address": "",
    "company_legal_id": "",
    "company_vat_number": "",
    "company_email": "",
    "invoice_prefix": "INV",
    "quote_prefix": "QUO",
    "order_prefix": "ORD",
    "payment_terms_days": 30,
    "default_tax_rate": "20.00",
    # Settings > Advanced > commercial: what an invoice turns a lead into ("client" or "lead").
    "invoice_converts_lead_to": "client",
    # Settings > Advanced: offer an internal copy of exchanges to other users.
    "send_exchange_internally": False,
    # Imports (/admin/import/): the largest file accepted, in rows and in megabytes.
    "import_max_rows": 50000,
    "import_max_mb": 20,
}


def get_setting(key: str) -> Any:
    """The stored value of a setting, else its default."""
    row = db.session.get(Setting, key)
    if row is not None and row.value is not None:
        return row.value
    return DEFAULTS.get(key)


def set_setting(key: str, value: Any) -> None:
    if key not in DEFAULTS:
        raise KeyError(f"Unknown setting {key!r}")
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value


def all_settings() -> dict[str, Any]:
    stored = {s.key: s.value for s in db.session.query(Setting).all()}
    return {k: stored.get(k, v) for k, v in DEFAULTS.items()}
