"""Credit notes against issued invoices, and what happens to a credit in the client's favour."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, DateTime, ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .balances import cents
from .base import MONEY, created_at_column, in_values
from .sales import PAYMENT_METHODS, LineMixin, SalesDocumentMixin, _line_checks, _totals_checks

CREDIT_NOTE_STATUSES = ("draft", "issued")


class CreditNote(SalesDocumentMixin, db.Model):
    """A "factura rectificativa" / "avoir": lowers its invoice's balance once issued."""

    __tablename__ = "credit_notes"
    __table_args__ = (
        CheckConstraint(in_values("status", CREDIT_NOTE_STATUSES), name="status"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
        *_totals_checks(),
        Index("ix_credit_notes_company_id_status", "company_id", "status"),
        Index("ix_credit_notes_invoice_id_status", "invoice_id", "status"),
    )

    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    issue_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    # RESTRICT: a credit note never outlives the invoice it corrects.
    # Indexed by ix_credit_notes_invoice_id_status, which it leads.
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"),
                                            nullable=False)
    reason: Mapped[str | None] = mapped_column(String(300))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)

    invoice = relationship("Invoice", back_populates="credit_notes")
    lines = relationship("CreditNoteLine", back_populates="credit_note",
                         cascade="all, delete-orphan", passive_deletes=True,
                         order_by="CreditNoteLine.position")


class CreditNoteLine(LineMixin, db.Model):
    __tablename__ = "credit_note_lines"
    __table_args__ = _line_checks()
    credit_note_id: Mapped[int] = mapped_column(
        ForeignKey("credit_notes.id", ondelete="CASCADE"), nullable=False, index=True)
    credit_note = relationship("CreditNote", back_populates="lines")


class CreditUse(db.Model):
    """Credit taken out of an invoice whose balance is negative: refunded to the client, or
    applied to another invoice of the same client (then `payment` is the payment it made)."""

    __tablename__ = "credit_uses"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(in_values("method", PAYMENT_METHODS), name="method"),
        Index("ix_credit_uses_invoice_id_amount", "invoice_id", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by ix_credit_uses_invoice_id_amount, which it leads.
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"),
                                            nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    used_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(15), nullable=False, default="transfer")
    reference: Mapped[str | None] = mapped_column(String(100))
    payment_id: Mapped[int | None] = mapped_column(
        ForeignKey("payments.id", ondelete="RESTRICT"), index=True)
    notes: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[datetime] = created_at_column()

    invoice = relationship("Invoice", back_populates="credit_uses")
    payment = relationship("Payment")

    def __repr__(self) -> str:
        return f"<CreditUse {self.id} invoice={self.invoice_id} {self.amount}>"


def credited_cents(invoice_id):
    """Cents of the issued credit notes of the invoice `invoice_id`: a scalar subquery."""
    return (select(func.coalesce(func.sum(cents(CreditNote.total_incl_tax)), 0))
            .where(CreditNote.invoice_id == invoice_id, CreditNote.status == "issued")
            .correlate_except(CreditNote).scalar_subquery())


def used_credit_cents(invoice_id):
    """Cents of credit refunded or applied out of the invoice `invoice_id`: a scalar subquery."""
    return (select(func.coalesce(func.sum(cents(CreditUse.amount)), 0))
            .where(CreditUse.invoice_id == invoice_id)
            .correlate_except(CreditUse).scalar_subquery())
