"""What admins configure at run time: templates and settings."""
from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import utcnow


class CommentTemplate(db.Model):
    __tablename__ = "comment_templates"

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
    __tablename__ = "email_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)
    subject: Mapped[str] = mapped_column(String(200), nullable=False)
    body: Mapped[str] = mapped_column(Text, nullable=False, default="")

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<EmailTemplate {self.id} {self.name!r}>"


class Setting(db.Model):
    """One run-time setting; read through services.settings, which knows the defaults."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    value: Mapped[object] = mapped_column(JSON, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow,
                                                 onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<Setting {self.key}={self.value!r}>"
