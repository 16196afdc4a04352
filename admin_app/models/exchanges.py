"""The interaction history of a company: calls, meetings, emails and notes."""
from datetime import datetime

from sqlalchemy import (
    Boolean, CheckConstraint, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, in_values, partial_index

EXCHANGE_KINDS = ("call", "meeting", "email", "note")
EMAIL_STATUSES = ("draft", "sent", "failed")
# A call-back still to do: the dashboard's reminders.
OPEN_CALLBACK = "callback_at IS NOT NULL AND callback_done_at IS NULL"

exchange_attachments = Table(
    "exchange_attachments",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("document_id", ForeignKey("documents.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

exchange_recipients = Table(
    "exchange_recipients",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)

# A meeting's attendees: the company's contacts and the users who take part.
meeting_contacts = Table(
    "meeting_contacts",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("contact_id", ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)

meeting_users = Table(
    "meeting_users",
    db.metadata,
    Column("exchange_id", ForeignKey("exchanges.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def index_where_set(name: str, column: str, unique: bool = False) -> Index:
    """An index of the rows where `column` is set: "column = value" implies it, so lookups use it."""
    return partial_index(name, column, where=f"{column} IS NOT NULL", unique=unique)


class Exchange(db.Model):
    __tablename__ = "exchanges"
    __table_args__ = (
        CheckConstraint(in_values("kind", EXCHANGE_KINDS), name="kind"),
        CheckConstraint(
            f"email_status IS NULL OR {in_values('email_status', EMAIL_STATUSES)}",
            name="email_status",
        ),
        CheckConstraint(
            "ends_at IS NULL OR starts_at IS NULL OR ends_at >= starts_at", name="meeting_order"
        ),
        # The card's timeline (each kind's newest rows, merged: services/card.timeline) and the
        # per-kind counts read from the index alone. The id orders ties, so a page is read in
        # index order, never sorted, whatever plan PostgreSQL caches for a prepared statement.
        # No (company_id, occurred_at) index beside it: every exchange a merge moves would
        # rewrite one entry more (migration 0020).
        Index("ix_exchanges_company_id_kind_occurred_at_id", "company_id", "kind", "occurred_at",
              "id"),
        # Also every lookup by author alone (the filter, a user's deletion), which it leads.
        Index("ix_exchanges_author_id_callback_at", "author_id", "callback_at"),
        # A user's reminders and agenda (services/reminders.py), each side of "written by them
        # or on a company they manage" through its own index, and only over the rows that have
        # a call-back or a start: a merge moving 50,000 exchanges adds entries for those only.
        partial_index("ix_exchanges_company_id_callback_at", "company_id", "callback_at",
                      where="callback_at IS NOT NULL"),
        partial_index("ix_exchanges_author_id_open_callback_at", "author_id", "callback_at",
                      where=OPEN_CALLBACK),
        # Every call-back still to do, soonest first: PostgreSQL walks it for a user who manages
        # many clients (their first reminders come soon), instead of each client's call-backs.
        partial_index("ix_exchanges_open_callback_at", "callback_at", where=OPEN_CALLBACK),
        partial_index("ix_exchanges_author_id_starts_at", "author_id", "starts_at",
                      where="starts_at IS NOT NULL"),
        # Mostly empty columns, indexed where set only: each row rewritten (a merge moves 50,000
        # at once) would otherwise add an entry under NULL to every one of these indexes.
        index_where_set("ix_exchanges_contact_id", "contact_id"),
        index_where_set("ix_exchanges_email_template_id", "email_template_id"),
        index_where_set("uq_exchanges_ics_uid", "ics_uid", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by the composite indexes above, which it leads.
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
    )
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="SET NULL"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    body: Mapped[str | None] = mapped_column(Text)
    occurred_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    callback_at: Mapped[datetime | None] = mapped_column(DateTime)
    callback_done_at: Mapped[datetime | None] = mapped_column(DateTime)
    starts_at: Mapped[datetime | None] = mapped_column(DateTime)
    ends_at: Mapped[datetime | None] = mapped_column(DateTime)
    location: Mapped[str | None] = mapped_column(String(200))
    send_invitation: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    email_status: Mapped[str | None] = mapped_column(String(10))
    email_to: Mapped[str | None] = mapped_column(String(254))
    email_template_id: Mapped[int | None] = mapped_column(
        ForeignKey("email_templates.id", ondelete="SET NULL")
    )
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)
    send_error: Mapped[str | None] = mapped_column(Text)
    # Never filtered nor sorted on (lists go by occurred_at): an index would only slow writes.
    created_at: Mapped[datetime] = created_at_column(index=False)
    # The calendar invitation: a UID that never changes and a SEQUENCE raised on every change.
    ics_uid: Mapped[str | None] = mapped_column(String(255))
    ics_sequence: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                              server_default=text("0"))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    company = relationship("Company")
    contact = relationship("Contact")
    author = relationship("User", foreign_keys=[author_id])
    email_template = relationship("EmailTemplate")
    attachments = relationship("Document", secondary=exchange_attachments)
    internal_recipients = relationship("User", secondary=exchange_recipients)
    attendee_contacts = relationship("Contact", secondary=meeting_contacts)
    attendee_users = relationship("User", secondary=meeting_users)

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"

    def __repr__(self) -> str:
        return f"<Exchange {self.id} {self.kind} company={self.company_id}>"
