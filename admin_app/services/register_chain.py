"""The register's hashing rules, pure functions: the migration that filled the register for
documents issued before it existed uses them too, so they must never change."""
import hashlib
import json
from typing import Any

GENESIS = "0" * 64
LINE_KEYS = ("description", "quantity", "unit_price", "tax_rate", "total_excl_tax", "total_tax")


def canonical(kind: str, number: str, issue_date: str, buyer: dict[str, Any],
              totals: dict[str, str], lines: list[dict[str, str]]) -> bytes:
    """The content a record vouches for, as canonical JSON (sorted keys, no spaces)."""
    content = {"kind": kind, "number": number, "issue_date": issue_date,
               "buyer": {"name": buyer.get("name"), "legal_id": buyer.get("legal_id")},
               "totals": totals, "lines": [{k: line[k] for k in LINE_KEYS} for line in lines]}
    return json.dumps(content, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False).encode()


def content_hash(*args) -> str:
    return hashlib.sha256(canonical(*args)).hexdigest()


def record_hash(previous_hash: str, content: str, kind: str, number: str) -> str:
    """A record's hash: the previous record's hash chained with this one's content."""
    return hashlib.sha256(f"{previous_hash}|{kind}|{number}|{content}".encode()).hexdigest()


def money_text(value) -> str:
    """A stored amount as fixed two-decimal text (SQLite may give back a float)."""
    from decimal import Decimal
    return f"{Decimal(str(value)):.2f}"


def quantity_text(value, places: int) -> str:
    from decimal import Decimal
    return f"{Decimal(str(value)):.{places}f}"
