"""The sales pipeline and the sales documents: quotes, orders, invoices, their lines, payments."""
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    BigInteger, CheckConstraint, Date, DateTime, ForeignKey, Index, Integer, Numeric, String, Text,
    func, select,
)
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from flask_babel import lazy_gettext as _l

from .. import clock
from ..extensions import db
from .balances import (
    balance_of, cents, money_from_cents, opening_balance_cents, overdue_clause, overdue_conditions,
)
from .base import MONEY, ZERO, created_at_column, in_values, money_column, partial_index

OPPORTUNITY_STATUSES = ("open", "won", "lost")
QUOTE_STATUSES = ("draft", "sent", "accepted", "refused", "expired")
ORDER_STATUSES = ("open", "invoiced", "closed")
INVOICE_STATUSES = ("draft", "issued", "cancelled")
PAYMENT_METHODS = ("transfer", "card", "cheque", "cash", "direct_debit", "other")
# "credit": credit notes; "register": the lock of the invoice register (services/register).
NUMBERED_KINDS = ("quote", "order", "invoice", "credit", "register")
# What ix_invoices_unsettled holds; queries that read it repeat it word for word
# (services/figures.py unsettled), as SQLite uses a partial index only then.
UNSETTLED = "status = 'draft' OR (status = 'issued' AND balance_cents <> 0)"


# A document without a number yet, in the reader's language (lists, links, the card).
DRAFT_NAMES = {"Quote": _l("Quote draft #%(id)s"), "Order": _l("Order draft #%(id)s"),
               "Invoice": _l("Invoice draft #%(id)s")}


class PipelineStage(db.Model):
    __tablename__ = "pipeline_stages"
    __table_args__ = (
        CheckConstraint("probability >= 0 AND probability <= 100", name="probability_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True, nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0, index=True)
    probability: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"<PipelineStage {self.position} {self.name!r}>"


class Opportunity(db.Model):
    __tablename__ = "opportunities"
    __table_args__ = (
        CheckConstraint(in_values("status", OPPORTUNITY_STATUSES), name="status"),
        CheckConstraint("amount >= 0", name="amount_non_negative"),
        Index("ix_opportunities_company_id_status", "company_id", "status"),
        # The pipeline board: each stage's open opportunities, soonest expected close first
        # (services/opportunities.stage_cards), read in index order instead of sorted; the
        # stage totals read the amounts and probabilities from it, not from the table.
        partial_index("ix_opportunities_open_stage", "stage_id", "expected_close_on", "id",
                      "probability", "amount", where="status = 'open'"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Indexed by ix_opportunities_company_id_status, which it leads.
    company_id: Mapped[int] = mapped_column(
        ForeignKey("companies.id", ondelete="CASCADE"), nullable=False
    )
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    amount: Mapped[Decimal] = money_column()
    stage_id: Mapped[int | None] = mapped_column(
        ForeignKey("pipeline_stages.id", ondelete="RESTRICT"), index=True
    )
    probability: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open", index=True)
    expected_close_on: Mapped[date | None] = mapped_column(Date, index=True)
    closed_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at_column()

    company = relationship("Company")
    stage = relationship("PipelineStage", lazy="joined")
    owner = relationship("User")

    def __str__(self) -> str:
        return self.title

    def __repr__(self) -> str:
        return f"<Opportunity {self.id} {self.title!r} {self.status}>"


class SalesDocumentMixin:
    """Columns shared by quotes, orders and invoices."""

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(30), unique=True)
    total_excl_tax: Mapped[Decimal] = money_column()
    total_tax: Mapped[Decimal] = money_column()
    total_incl_tax: Mapped[Decimal] = money_column()
    notes: Mapped[str | None] = mapped_column(Text)
    # The currency it was issued in, copied from its snapshot at issue so that lists format
    # amounts without reading snapshots; None on drafts (they follow the currency setting).
    currency: Mapped[str | None] = mapped_column(String(3))
    # Not indexed: nothing filters or sorts documents by it, and a merge moving a client's
    # 10,000 invoices paid for an entry per row (migration 0027).
    created_at: Mapped[datetime] = created_at_column(index=False)

    @declared_attr
    def company_id(cls) -> Mapped[int]:
        # RESTRICT: the books must never lose a document because its company was deleted.
        # Indexed by each table's (company_id, status) index, which it leads.
        return mapped_column(ForeignKey("companies.id", ondelete="RESTRICT"), nullable=False)

    @declared_attr
    def created_by_id(cls) -> Mapped[int | None]:
        return mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)

    @declared_attr
    def company(cls):
        return relationship("Company")

    def __str__(self) -> str:
        if self.number:
            return self.number
        name = DRAFT_NAMES.get(type(self).__name__)
        return str(name) % {"id": self.id} if name else f"{type(self).__name__} #{self.id}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id} {self.number} {self.status}>"


def _totals_checks() -> tuple:
    return (
        CheckConstraint("total_excl_tax >= 0", name="total_excl_tax_non_negative"),
        CheckConstraint("total_tax >= 0", name="total_tax_non_negative"),
        # A tolerance, because SQLite compares NUMERIC values as floats.
        CheckConstraint("ABS(total_incl_tax - total_excl_tax - total_tax) < 0.005", name="totals_add_up"),
    )


class Quote(SalesDocumentMixin, db.Model):
    __tablename__ = "quotes"
    __table_args__ = (
        CheckConstraint(in_values("status", QUOTE_STATUSES), name="status"),
        CheckConstraint("valid_until IS NULL OR valid_until >= issue_date", name="valid_after_issue"),
        *_totals_checks(),
        Index("ix_quotes_company_id_status", "company_id", "status"),
    )

    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    issue_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    valid_until: Mapped[date | None] = mapped_column(Date)
    opportunity_id: Mapped[int | None] = mapped_column(
        ForeignKey("opportunities.id", ondelete="SET NULL"), index=True
    )
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    opportunity = relationship("Opportunity")
    lines = relationship("QuoteLine", back_populates="quote", cascade="all, delete-orphan",
                         passive_deletes=True, order_by="QuoteLine.position")


class Order(SalesDocumentMixin, db.Model):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(in_values("status", ORDER_STATUSES), name="status"),
        *_totals_checks(),
        Index("ix_orders_company_id_status", "company_id", "status"),
    )

    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    order_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="SET NULL"), index=True
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)

    quote = relationship("Quote")
    lines = relationship("OrderLine", back_populates="order", cascade="all, delete-orphan",
                         passive_deletes=True, order_by="OrderLine.position")


class Invoice(SalesDocumentMixin, db.Model):
    __tablename__ = "invoices"
    __table_args__ = (
        CheckConstraint(in_values("status", INVOICE_STATUSES), name="status"),
        CheckConstraint("due_date >= issue_date", name="due_after_issue"),
        CheckConstraint("status = 'draft' OR number IS NOT NULL", name="issued_has_number"),
        *_totals_checks(),
        Index("ix_invoices_company_id_status", "company_id", "status"),
        # The card lists a client's invoices by due date: read in that order from the client's
        # rows, never by walking every invoice's due date filtering on the client.
        Index("ix_invoices_company_id_due_date_id", "company_id", "due_date", "id"),
        # Most invoices have no order: indexing only those that do keeps the index small and
        # its statistics honest, so "the invoices of this order" is always an index lookup.
        partial_index("ix_invoices_order_id_present", "order_id", where="order_id IS NOT NULL"),
        # The invoices still in play (drafts, issued with a balance either way): the card's
        # overdue figures, pending list and credit come from these alone, read from the index,
        # however many settled invoices the client has.
        partial_index("ix_invoices_unsettled", "company_id", "due_date", "id", "status",
                      "balance_cents", where=UNSETTLED),
    )

    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")
    issue_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    due_date: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"))
    issued_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Both kept by services/figures.py, in the flush that changes the invoice, its payments,
    # credit notes or credit uses: the balance (models.balances.balance_of) in cents, and the
    # date of the payment that completed the invoice (empty while a balance is left).
    balance_cents: Mapped[int] = mapped_column(BigInteger, nullable=False,
                                               default=opening_balance_cents, server_default="0")
    paid_on: Mapped[date | None] = mapped_column(Date)

    order = relationship("Order")
    lines = relationship("InvoiceLine", back_populates="invoice", cascade="all, delete-orphan",
                         passive_deletes=True, order_by="InvoiceLine.position")
    payments = relationship("Payment", back_populates="invoice", order_by="Payment.paid_on")
    credit_notes = relationship("CreditNote", back_populates="invoice", order_by="CreditNote.id")
    credit_uses = relationship("CreditUse", back_populates="invoice", order_by="CreditUse.id")

    # Paid total, balance and "overdue": the instance side reads the loaded payments (lists
    # load them with the page: selectinload), the SQL side the stored balance_cents. Both are
    # built from the rules in models/balances.py.

    @hybrid_property
    def paid_total(self) -> Decimal:
        """The sum of the invoice's payments."""
        return sum((p.amount for p in self.payments), ZERO)

    @paid_total.inplace.expression
    @classmethod
    def _paid_total_sql(cls):
        return money_from_cents(paid_cents(cls.id))

    @property
    def credited_total(self) -> Decimal:
        """The sum of the invoice's issued credit notes."""
        return sum((c.total_incl_tax for c in self.credit_notes if c.status == "issued"), ZERO)

    @property
    def used_credit_total(self) -> Decimal:
        """Credit refunded or applied elsewhere out of this invoice."""
        return sum((u.amount for u in self.credit_uses), ZERO)

    @hybrid_property
    def balance(self) -> Decimal:
        """Total incl. tax less what settled it (models.balances.balance_of)."""
        return balance_of(self.total_incl_tax, self.paid_total, self.credited_total,
                          self.used_credit_total)

    @balance.inplace.expression
    @classmethod
    def _balance_sql(cls):
        return money_from_cents(cls.balance_cents)

    @hybrid_property
    def is_overdue(self) -> bool:
        """Issued, with a balance left, due before today (models.balances.overdue_conditions)."""
        return all(overdue_conditions(self.status, self.balance, self.due_date, clock.today()))

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_sql(cls):
        return overdue_clause(cls.status, cls.balance_cents, cls.due_date, clock.today())


class LineMixin:
    """A sales document line; its totals are computed on the server (services.pricing)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    description: Mapped[str] = mapped_column(String(500), nullable=False)
    quantity: Mapped[Decimal] = mapped_column(Numeric(12, 3), nullable=False, default=Decimal("1"))
    unit_price: Mapped[Decimal] = money_column()
    tax_rate: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False, default=ZERO)
    total_excl_tax: Mapped[Decimal] = money_column()
    total_tax: Mapped[Decimal] = money_column()

    def __str__(self) -> str:
        return self.description


def _line_checks() -> tuple:
    return (
        CheckConstraint("quantity >= 0", name="quantity_non_negative"),
        CheckConstraint("unit_price >= 0", name="unit_price_non_negative"),
        CheckConstraint("tax_rate >= 0 AND tax_rate <= 100", name="tax_rate_range"),
    )


class QuoteLine(LineMixin, db.Model):
    __tablename__ = "quote_lines"
    __table_args__ = _line_checks()
    quote_id: Mapped[int] = mapped_column(ForeignKey("quotes.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    quote = relationship("Quote", back_populates="lines")


class OrderLine(LineMixin, db.Model):
    __tablename__ = "order_lines"
    __table_args__ = _line_checks()
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"),
                                          nullable=False, index=True)
    order = relationship("Order", back_populates="lines")


class InvoiceLine(LineMixin, db.Model):
    __tablename__ = "invoice_lines"
    __table_args__ = _line_checks()
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="CASCADE"),
                                            nullable=False, index=True)
    invoice = relationship("Invoice", back_populates="lines")


class Payment(db.Model):
    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint(in_values("method", PAYMENT_METHODS), name="method"),
        # An invoice's payments in the order running totals need, with the amount: the card's
        # balances and completion dates are read from this index without the table.
        Index("ix_payments_invoice_id_paid_on_id_amount", "invoice_id", "paid_on", "id", "amount"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # RESTRICT: a recorded payment is money received; it never vanishes with its invoice.
    # Indexed by ix_payments_invoice_id_paid_on_id_amount, which it leads.
    invoice_id: Mapped[int] = mapped_column(ForeignKey("invoices.id", ondelete="RESTRICT"),
                                            nullable=False)
    amount: Mapped[Decimal] = mapped_column(MONEY, nullable=False)
    paid_on: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    method: Mapped[str] = mapped_column(String(15), nullable=False, default="transfer")
    reference: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()

    invoice = relationship("Invoice", back_populates="payments")

    def __str__(self) -> str:
        return f"{self.amount} on {self.paid_on}"

    def __repr__(self) -> str:
        return f"<Payment {self.id} invoice={self.invoice_id} {self.amount}>"


def paid_cents_sum():
    """Cents paid, summed over the payments a query is joined to (the card's grouped join)."""
    return func.coalesce(func.sum(cents(Payment.amount)), 0)


def paid_cents(invoice_id):
    """Cents paid on the invoice `invoice_id` (a column or a value): a scalar subquery."""
    return (select(paid_cents_sum()).where(Payment.invoice_id == invoice_id)
            .correlate_except(Payment).scalar_subquery())


class NumberCounter(db.Model):
    """Last number given per document kind and year; locked while a number is taken."""

    __tablename__ = "number_counters"
    __table_args__ = (
        CheckConstraint(in_values("kind", NUMBERED_KINDS), name="kind"),
        CheckConstraint("last_value >= 0", name="last_value_non_negative"),
    )

    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    def __repr__(self) -> str:
        return f"<NumberCounter {self.kind} {self.year} {self.last_value}>"
