"""What admins configure at run time: templates and settings."""
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, Boolean, CheckConstraint, DateTime, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import in_values, utcnow

# What an email template is for; each purpose has at most one default template.
EMAIL_PURPOSES = {
    "exchange": _l("Email from the card"),
    "quote_sending": _l("Sending a quote"),
    "invoice_sending": _l("Sending an invoice"),
    "payment_reminder": _l("Payment reminder"),
    "signature_request": _l("Signature request"),
    "meeting_invitation": _l("Meeting invitation"),
}
# Texts printed on quote and invoice PDFs; the default of each purpose is the one printed.
DOCUMENT_TEXT_PURPOSES = {
    "quote_notes": _l("Quote notes"),
    "quote_footer": _l("Quote footer"),
    "invoice_notes": _l("Invoice notes"),
    "invoice_footer": _l("Invoice footer"),
}


def one_default_per(table: str, *columns: str) -> Index:
    """A partial unique index: at most one row with is_default per value of `columns`."""
    return Index(f"uq_{table}_default", *columns, unique=True,
                 sqlite_where=text("is_default = 1"), postgresql_where=text("is_default"))


class CommentTemplate(db.Model):
    __tablename__ = "comment_templates"
    __table_args__ = (one_default_per("comment_templates", "is_default"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # The default template pre-fills the comments of new companies.
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<CommentTemplate {self.id} {self.name!r}>"


class EmailTemplate(db.Model):
    """Subject and body rendered by services.templating; exchanges keep the text they sent."""

    __tablename__ = "email_templates"
    __table_args__ = (
        CheckConstraint(in_values("purpose", tuple(EMAIL_PURPOSES)), name="purpose"),
        one_default_per("email_templates", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False, default="exchange",
                                         server_default="exchange")
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False,
                                             server_default=text("false"))

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<EmailTemplate {self.id} {self.name!r}>"


class DocumentText(db.Model):
    """A text printed on quote or invoice PDFs (notes, footer), rendered by services.templating."""

    __tablename__ = "document_texts"
    __table_args__ = (
        CheckConstraint(in_values("purpose", tuple(DOCUMENT_TEXT_PURPOSES)), name="purpose"),
        one_default_per("document_texts", "purpose"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    purpose: Mapped[str] = mapped_column(String(20), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")
    is_default: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<DocumentText {self.id} {self.purpose} {self.name!r}>"


class Setting(db.Model):
    """One run-time setting; read through services.settings, which knows the defaults."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[object] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Setting {self.key}={self.value!r}>"
