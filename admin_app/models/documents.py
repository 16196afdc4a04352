"""Files attached to a company (or shared when company is empty) and their e-signature state."""
import json
from datetime import datetime

from sqlalchemy import (
    BigInteger, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text,
)
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from ..extensions import db
from .base import created_at_column, in_values, utcnow

SIGNATURE_STATUSES = ("none", "pending", "signed", "declined", "expired")
REQUEST_STATUSES = ("pending", "signed", "declined", "cancelled", "expired")


class Document(db.Model):
    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(in_values("signature_status", SIGNATURE_STATUSES), name="signature_status"),
        CheckConstraint("size_bytes >= 0", name="size_non_negative"),
        CheckConstraint("version >= 1", name="version_positive"),
        # A version is replaced at most once; the index also serves the foreign key.
        Index("uq_documents_previous_version_id", "previous_version_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    original_name: Mapped[str] = mapped_column(String(255), nullable=False)
    # Random name of the file under instance/uploads; never derived from user input.
    file: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    content_type: Mapped[str] = mapped_column(String(120), nullable=False,
                                              default="application/octet-stream")
    size_bytes: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
    sha256: Mapped[str | None] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()
    signature_status: Mapped[str] = mapped_column(String(10), nullable=False, default="none")
    signature_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    signature_requested_at: Mapped[datetime | None] = mapped_column(DateTime)
    signer_name: Mapped[str | None] = mapped_column(String(150))
    signer_email: Mapped[str | None] = mapped_column(String(254))
    signed_at: Mapped[datetime | None] = mapped_column(DateTime)
    signature_evidence: Mapped[str | None] = mapped_column(Text)  # JSON: ip, agent, hash, time
    # Replacing a shared document adds a row: the new version points at the one it replaces,
    # which stays (an email that carried it still links to what was sent).
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1, server_default="1")
    previous_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("documents.id", ondelete="SET NULL")
    )

    company = relationship("Company")
    uploaded_by = relationship("User")

    @property
    def latest_request(self) -> "SignatureRequest | None":
        """The newest signature request (the one the card shows), if any."""
        requests = self.signature_requests
        return max(requests, key=lambda r: r.id) if requests else None

    @property
    def shown_signature_status(self) -> str:
        """The status as the card shows it: a pending request past its expiry is expired even
        before anyone opened its link (which records it)."""
        request = self.latest_request
        if self.signature_status == "pending" and request is not None and request.is_expired:
            return "expired"
        return self.signature_status

    @property
    def is_shared(self) -> bool:
        return self.company_id is None

    def __str__(self) -> str:
        return self.title or self.original_name

    def __repr__(self) -> str:
        return f"<Document {self.id} {self.original_name!r}>"


class SignatureRequest(db.Model):
    """One request sent to a contact to sign a document; only the SHA-256 of its portal token is
    kept, so the database alone never opens the portal."""

    __tablename__ = "signature_requests"
    __table_args__ = (
        CheckConstraint(in_values("status", REQUEST_STATUSES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True, nullable=False)
    contact_id: Mapped[int | None] = mapped_column(
        ForeignKey("contacts.id", ondelete="SET NULL"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")
    signer_name: Mapped[str] = mapped_column(String(150), nullable=False, default="")
    signer_email: Mapped[str] = mapped_column(String(254), nullable=False)
    created_at: Mapped[datetime] = created_at_column()
    sent_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[str | None] = mapped_column(Text)  # JSON: name, email, time, ip, agent, hash
    # The signed copy (PDF) or the certificate (other files), under instance/uploads.
    signed_file: Mapped[str | None] = mapped_column(String(100), unique=True)
    signed_sha256: Mapped[str | None] = mapped_column(String(64), index=True)

    # The database deletes a document's requests with it (ON DELETE CASCADE).
    document = relationship("Document", backref=backref(
        "signature_requests", cascade="all, delete-orphan", passive_deletes=True))
    contact = relationship("Contact")
    requested_by = relationship("User")

    @property
    def is_expired(self) -> bool:
        return self.status == "expired" or (self.status == "pending"
                                             and self.expires_at <= utcnow())

    @property
    def evidence_data(self) -> dict:
        return json.loads(self.evidence) if self.evidence else {}

    def __repr__(self) -> str:
        return f"<SignatureRequest {self.id} {self.status} doc={self.document_id}>"
