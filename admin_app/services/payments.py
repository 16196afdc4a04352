"""Payments on issued invoices: partial and multiple, never more than the balance."""
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from ..extensions import db
from ..formats import money
from ..models import Invoice, Payment
from ..models.balances import balance_of, from_cents
from ..models.credit_notes import credited_cents, used_credit_cents
from ..models.sales import PAYMENT_METHODS, paid_cents_sum
from . import audit
from .pricing import to_cents
from .sales import STATUSES
from .sales import SalesError


def paid_total(invoice_id: int, excluding: int | None = None) -> Decimal:
    """What the database holds as paid on the invoice, summed in exact cents."""
    query = select(paid_cents_sum()).where(Payment.invoice_id == invoice_id)
    if excluding is not None:
        query = query.where(Payment.id != excluding)
    return from_cents(db.session.scalar(query))


def credit_totals(invoice_id: int) -> tuple[Decimal, Decimal]:
    """(issued credit notes, credit refunded or applied elsewhere) of the invoice, from the
    database."""
    credited, used = db.session.execute(select(credited_cents(invoice_id),
                                               used_credit_cents(invoice_id))).one()
    return from_cents(credited), from_cents(used)


def check_payment(payment: Payment) -> None:
    """Refuse a payment on a non-issued invoice, a non-positive amount or an overpayment."""
    # No autoflush: the sums below must not already include this unsaved payment.
    with db.session.no_autoflush:
        _check_payment(payment)


def _check_payment(payment: Payment) -> None:
    invoice = payment.invoice
    if invoice is None:
        raise SalesError(_("Choose the invoice this payment settles."))
    # Lock the invoice so two clerks cannot both pay its last balance (PostgreSQL).
    db.session.execute(select(Invoice.id).where(Invoice.id == invoice.id).with_for_update())
    if invoice.status != "issued":
        raise SalesError(_("Invoice %(number)s is %(status)s: payments are only recorded on "
                           "issued invoices.", number=invoice, status=STATUSES.get(
                               invoice.status, invoice.status)))
    if payment.amount is None or payment.amount <= 0:
        raise SalesError(_("The amount of a payment must be above 0."))
    if payment.paid_on is None:
        raise SalesError(_("The payment date is required."))
    if payment.method not in PAYMENT_METHODS:
        raise SalesError(_("Unknown payment method %(method)r.", method=payment.method))
    payment.amount = to_cents(payment.amount)
    balance = balance_of(invoice.total_incl_tax, paid_total(invoice.id, excluding=payment.id),
                         *credit_totals(invoice.id))
    if payment.amount > balance:
        raise SalesError(_("Overpayment refused: invoice %(number)s has a balance of %(balance)s "
                           "and this payment is %(amount)s.", number=invoice,
                           balance=money(balance, invoice.currency),
                           amount=money(payment.amount, invoice.currency)))


def record_payment(invoice: Invoice, amount: Decimal, paid_on: date, method: str = "transfer",
                   reference: str | None = None, user=None) -> Payment:
    """Add a payment to an issued invoice and keep its paid_on up to date."""
    payment = Payment(invoice=invoice, amount=Decimal(amount), paid_on=paid_on, method=method,
                      reference=reference or None, created_by_id=getattr(user, "id", None))
    check_payment(payment)
    db.session.add(payment)
    after_payment_saved(payment)
    return payment


def save_payment(payment: Payment) -> None:
    """The rules of a payment added or edited in a form: checked, then paid_on follows."""
    check_payment(payment)
    after_payment_saved(payment)


def after_payment_saved(payment: Payment) -> None:
    """Save the payment, so that its invoice's balance and paid_on (and those of the invoice
    it moved from) follow (services/figures.py), and audit it."""
    db.session.flush()
    audit.record("payment", payment.invoice, summary=f"Payment of {payment.amount} on "
                 f"{payment.paid_on} recorded on invoice {payment.invoice}")


def remove_payment(payment: Payment) -> None:
    """Delete a payment; the invoice is no longer fully paid if it was."""
    invoice = payment.invoice
    db.session.delete(payment)
    db.session.flush()  # the invoice's balance and paid_on follow (services/figures.py)
    audit.record("payment", invoice, summary=f"Payment of {payment.amount} on {payment.paid_on} "
                 f"removed from invoice {invoice}")
