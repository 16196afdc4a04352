"""Imports of companies from spreadsheets: each run, what it changed (for undo), and the column
mappings remembered for files with the same headers."""
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, in_values, utcnow

IMPORT_STATUSES = ("running", "done", "failed", "undone")
CHANGE_ACTIONS = ("create", "update")


class ImportBatch(db.Model):
    """One confirmed import: who, when, which file (by hash), its options and its counts."""

    __tablename__ = "imports"
    __table_args__ = (CheckConstraint(in_values("status", IMPORT_STATUSES), name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    created_at: Mapped[datetime] = created_at_column()
    # The folder under UPLOAD_DIR/imports holding the file, its preview and its report.
    token: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    filename: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    file_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="running")
    # {"mapping": [...], "headers": [...], "threshold": 90, "on_match": "fill"}
    options: Mapped[dict | None] = mapped_column(JSON)
    total_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    processed_rows: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    updated_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    skipped_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    error_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str | None] = mapped_column(Text)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                     index=True)

    user = relationship("User", foreign_keys=[user_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    def __repr__(self) -> str:
        return f"<ImportBatch {self.id} {self.filename!r} {self.status}>"


class ImportChange(db.Model):
    """A row an import created or updated; an update keeps the values it replaced."""

    __tablename__ = "import_changes"
    __table_args__ = (
        CheckConstraint(in_values("action", CHANGE_ACTIONS), name="action"),
        Index("ix_import_changes_import_id_entity_type_action", "import_id", "entity_type",
              "action"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("imports.id", ondelete="CASCADE"),
                                           nullable=False)
    row_number: Mapped[int] = mapped_column(Integer, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(30), nullable=False)
    entity_id: Mapped[int] = mapped_column(Integer, nullable=False)
    action: Mapped[str] = mapped_column(String(10), nullable=False)
    # {field: value before} and {field: value written}, for updates ("custom.<key>" included).
    previous: Mapped[dict | None] = mapped_column(JSON)
    applied: Mapped[dict | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<ImportChange {self.action} {self.entity_type}:{self.entity_id}>"


class ImportMapping(db.Model):
    """The column mapping last confirmed for a file with exactly these headers."""

    __tablename__ = "import_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    headers_key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    headers: Mapped[list] = mapped_column(JSON, nullable=False)
    mapping: Mapped[list] = mapped_column(JSON, nullable=False)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<ImportMapping {self.headers_key[:8]}>"
