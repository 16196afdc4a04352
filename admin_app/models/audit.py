"""Who changed what: the audit log, merges of duplicate companies, ignored duplicate pairs."""
from datetime import datetime

from sqlalchemy import (
    JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, in_values, utcnow

AUDIT_ACTIONS = ("create", "update", "delete", "merge", "unmerge", "convert", "transition",
                 "payment", "login", "send", "login_fail", "lockout", "logout", "security")


class AuditLog(db.Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        CheckConstraint(in_values("action", AUDIT_ACTIONS), name="action"),
        Index("ix_audit_log_entity_type_entity_id", "entity_type", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(12), nullable=False, index=True)
    entity_type: Mapped[str] = mapped_column(String(60), nullable=False)
    entity_id: Mapped[int | None] = mapped_column(Integer)
    summary: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    # {"field": [old, new], ...} for updates; the whole row for creates and deletes.
    changes: Mapped[dict | None] = mapped_column(JSON)

    user = relationship("User")

    def __repr__(self) -> str:
        return f"<AuditLog {self.action} {self.entity_type}:{self.entity_id}>"


class Merge(db.Model):
    __tablename__ = "merges"
    __table_args__ = (CheckConstraint("kept_id <> absorbed_id", name="distinct_companies"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="RESTRICT"),
                                         nullable=False, index=True)
    absorbed_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="RESTRICT"),
                                             nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    created_at: Mapped[datetime] = created_at_column()
    field_choices: Mapped[dict | None] = mapped_column(JSON)
    # The kept and absorbed companies' field values before the merge, for undo.
    previous_values: Mapped[dict | None] = mapped_column(JSON)
    # {"table.column": [row ids], ...}: exactly the rows that moved. Loaded only when read: a
    # whale's merge holds 60,000 ids, and the card lists merges without them.
    moved: Mapped[dict | None] = mapped_column(JSON, deferred=True)
    undone_at: Mapped[datetime | None] = mapped_column(DateTime)
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                     index=True)
    note: Mapped[str | None] = mapped_column(Text)

    kept = relationship("Company", foreign_keys=[kept_id])
    absorbed = relationship("Company", foreign_keys=[absorbed_id])
    user = relationship("User", foreign_keys=[user_id])
    undone_by = relationship("User", foreign_keys=[undone_by_id])

    def __repr__(self) -> str:
        return f"<Merge {self.id} {self.absorbed_id}->{self.kept_id}>"


class DuplicateIgnore(db.Model):
    """A pair of companies a user said are not duplicates; stored with the smaller id first."""

    __tablename__ = "duplicate_ignores"
    __table_args__ = (
        UniqueConstraint("company_low_id", "company_high_id"),
        CheckConstraint("company_low_id < company_high_id", name="ordered_pair"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_low_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                                nullable=False, index=True)
    company_high_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"),
                                                 nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                index=True)
    created_at: Mapped[datetime] = created_at_column()

    def __repr__(self) -> str:
        return f"<DuplicateIgnore {self.company_low_id}~{self.company_high_id}>"
