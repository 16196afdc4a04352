"""Shared column helpers for the models."""
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Numeric
from sqlalchemy.orm import Mapped, mapped_column

MONEY = Numeric(12, 2, asdecimal=True)
ZERO = Decimal("0.00")


def utcnow() -> datetime:
    """Naive UTC now: SQLite keeps no zone, so every timestamp is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def money_column(nullable: bool = False, default: Decimal | None = ZERO) -> Mapped[Decimal]:
    return mapped_column(MONEY, nullable=nullable, default=default, server_default="0")


def created_at_column() -> Mapped[datetime]:
    return mapped_column(DateTime, nullable=False, default=utcnow, index=True)


def in_values(column: str, values: tuple[str, ...]) -> str:
    """SQL text for a CHECK that keeps an enum-like column within its values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"
