"""What was issued, kept as issued: snapshots and archived PDFs, and the chained register."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import created_at_column, in_values

SNAPSHOT_KINDS = ("quote", "order", "invoice", "credit")
REGISTER_KINDS = ("invoice", "credit")


class DocumentSnapshot(db.Model):
    """A document as issued: buyer, seller, currency, terms and lines, and the PDF made then."""

    __tablename__ = "document_snapshots"
    __table_args__ = (
        CheckConstraint(in_values("kind", SNAPSHOT_KINDS), name="kind"),
        UniqueConstraint("kind", "document_id", name="uq_document_snapshots_kind_document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    document_id: Mapped[int] = mapped_column(Integer, nullable=False)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # The PDF as produced at issue, under UPLOAD_DIR (outside static), and its SHA-256.
    pdf_path: Mapped[str | None] = mapped_column(String(300))
    pdf_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<DocumentSnapshot {self.kind} {self.document_id}>"


class RegisterRecord(db.Model):
    """One issued invoice or credit note in the inalterable register: its content hash chained
    with the previous record's hash, in the order numbers were given."""

    __tablename__ = "register_records"
    __table_args__ = (
        CheckConstraint(in_values("kind", REGISTER_KINDS), name="kind"),
        UniqueConstraint("kind", "document_id", name="uq_register_records_kind_document_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    document_id: Mapped[int] = mapped_column(Integer, nullable=False)
    number: Mapped[str] = mapped_column(String(30), nullable=False)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    previous_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    record_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<RegisterRecord {self.id} {self.kind} {self.number}>"


class RegisterCheck(db.Model):
    """The last verification of the register (the Invoices list reads it, not the chain)."""

    __tablename__ = "register_checks"

    id: Mapped[int] = mapped_column(primary_key=True)
    checked_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    records: Mapped[int] = mapped_column(Integer, nullable=False)
    last_record_id: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    last_hash: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    broken_record_id: Mapped[int | None] = mapped_column(Integer)
    problem: Mapped[str | None] = mapped_column(String(300))
