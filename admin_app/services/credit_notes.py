"""Credit notes ("facturas rectificativas", "avoirs") and the credit they leave in the client's
favour: refunded (recorded like a payment) or applied to another invoice of the same client."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select

from .. import clock
from ..extensions import db
from ..formats import money
from ..models import CreditNote, CreditNoteLine, CreditUse, Invoice, Payment
from ..models.balances import from_cents
from ..models.base import utcnow
from ..models.sales import PAYMENT_METHODS
from . import audit, snapshots
from .figures import unsettled
from .numbering import next_number
from .payments import credit_totals, paid_total
from .pricing import ZERO, apply_line_totals, to_cents
from .register import record_in_register
from .sales import HUNDRED, SalesError, lock


@dataclass(frozen=True)
class CreditPart:
    """What to credit: `quantity` of one invoice line, or an amount (excl. tax) at a rate."""

    description: str
    quantity: Decimal
    unit_price: Decimal
    tax_rate: Decimal


def full_parts(invoice: Invoice) -> list[CreditPart]:
    """Every line of the invoice, in full."""
    return [CreditPart(l.description, l.quantity, l.unit_price, l.tax_rate) for l in invoice.lines]


def line_parts(invoice: Invoice, quantities: dict[int, Decimal]) -> list[CreditPart]:
    """The chosen quantity of each invoice line (by line id); refused above the line's own."""
    parts = []
    for line in invoice.lines:
        quantity = quantities.get(line.id, ZERO)
        if quantity < 0 or quantity > line.quantity:
            raise SalesError(_("Line “%(line)s”: credit between 0 and %(max)s.",
                               line=line.description, max=f"{line.quantity.normalize():f}"))
        if quantity > 0:
            parts.append(CreditPart(line.description, quantity, line.unit_price, line.tax_rate))
    return parts


def credit_left(invoice: Invoice) -> Decimal:
    """What can still be credited on the invoice (its total less its issued credit notes)."""
    return invoice.total_incl_tax - credit_totals(invoice.id)[0]


def issue_credit_note(invoice: Invoice, parts: list[CreditPart], reason: str = "",
                      user=None) -> CreditNote:
    """Create and issue a credit note against an issued invoice: its own gapless number, its
    snapshot and register record, all in the caller's transaction. Flushes."""
    invoice = lock(Invoice, invoice.id)
    if invoice is None or invoice.status != "issued":
        raise SalesError(_("Only an issued invoice can be credited."))
    if not parts:
        raise SalesError(_("Choose at least one line or amount to credit."))
    for part in parts:
        if not part.description.strip():
            raise SalesError(_("Each credited amount needs a description."))
        if part.quantity < 0 or part.unit_price < 0 or not ZERO <= part.tax_rate <= HUNDRED:
            raise SalesError(_("Credited quantities and amounts must be 0 or more."))
    # Attached by id: the invoice's credit_notes must not list it before it is checked.
    note = CreditNote(invoice_id=invoice.id, company_id=invoice.company_id, status="draft",
                      issue_date=clock.today(), reason=(reason or "").strip()[:300] or None,
                      created_by_id=getattr(user, "id", None))
    note.lines = [CreditNoteLine(description=p.description.strip()[:500], quantity=p.quantity,
                                 unit_price=to_cents(p.unit_price), tax_rate=p.tax_rate)
                  for p in parts]
    apply_line_totals(note)
    if note.total_incl_tax <= 0:
        raise SalesError(_("This credit note would be for nothing."))
    left = credit_left(invoice)
    if note.total_incl_tax > left:
        raise SalesError(_("Invoice %(number)s can be credited %(left)s more at most; this credit "
                           "note is %(total)s.", number=invoice.number, left=money(left, invoice.currency),
                           total=money(note.total_incl_tax, invoice.currency)))
    note.number = next_number("credit_note", note.issue_date.year)
    note.status, note.issued_at = "issued", utcnow()
    db.session.add(note)
    db.session.flush()  # the invoice's balance and paid_on follow (services/figures.py)
    db.session.expire(invoice, ["credit_notes"])
    snapshots.freeze(note)
    record_in_register(note)
    audit.record("transition", invoice, summary=f"Credit note {note.number} of "
                 f"{note.total_incl_tax} issued against invoice {invoice.number}")
    return note


# --- the client's credit ----------------------------------------------------------------------

def balance_now(invoice: Invoice) -> Decimal:
    """The invoice's balance from the database (not from loaded collections)."""
    credited, used = credit_totals(invoice.id)
    return invoice.total_incl_tax - paid_total(invoice.id) - credited + used


def credit_invoices(company_id: int) -> list[tuple[Invoice, Decimal]]:
    """The company's issued invoices holding a credit (negative balance), with that credit."""
    return [(invoice, -from_cents(balance)) for invoice, balance in db.session.execute(
        select(Invoice, Invoice.balance_cents).where(
            Invoice.company_id == company_id, unsettled(), Invoice.status == "issued",
            Invoice.balance_cents < 0)
        .order_by(Invoice.issue_date, Invoice.id)).all()]


def settleable_invoices(company_id: int) -> list[tuple[Invoice, Decimal]]:
    """The company's issued invoices with something left to pay, with that balance."""
    return [(invoice, from_cents(balance)) for invoice, balance in db.session.execute(
        select(Invoice, Invoice.balance_cents).where(
            Invoice.company_id == company_id, unsettled(), Invoice.status == "issued",
            Invoice.balance_cents > 0)
        .order_by(Invoice.due_date, Invoice.id)).all()]


def _take_credit(source: Invoice, amount: Decimal) -> Decimal:
    amount = to_cents(Decimal(amount))
    if source.status != "issued":
        raise SalesError(_("Only an issued invoice holds a credit."))
    if amount <= 0:
        raise SalesError(_("The amount must be above 0."))
    available = -balance_now(source)
    if amount > available:
        raise SalesError(_("Invoice %(number)s holds a credit of %(credit)s: %(amount)s is too "
                           "much.", number=source.number,
                           credit=money(max(available, ZERO), source.currency),
                           amount=money(amount, source.currency)))
    return amount


def refund_credit(source: Invoice, amount: Decimal, used_on: date, method: str = "transfer",
                  reference: str = "", user=None) -> CreditUse:
    """Pay the client back (part of) the credit an invoice holds."""
    source = lock(Invoice, source.id)
    amount = _take_credit(source, amount)
    if method not in PAYMENT_METHODS:
        raise SalesError(_("Unknown payment method."))
    use = CreditUse(invoice=source, amount=amount, used_on=used_on, method=method,
                    reference=(reference or "").strip()[:100] or None,
                    created_by_id=getattr(user, "id", None))
    db.session.add(use)
    db.session.flush()
    audit.record("payment", source, summary=f"Refund of {amount} on {used_on} out of the credit "
                 f"of invoice {source.number}")
    return use


def apply_credit(source: Invoice, target: Invoice, amount: Decimal, user=None) -> CreditUse:
    """Settle (part of) another invoice of the same client with the credit an invoice holds:
    a payment on the target, taken out of the source."""
    first, second = sorted((source.id, target.id))  # lock both, in id order
    lock(Invoice, first), lock(Invoice, second)
    if source.id == target.id:
        raise SalesError(_("Choose another invoice to apply the credit to."))
    if source.company_id != target.company_id:
        raise SalesError(_("A credit is applied to invoices of the same client only."))
    amount = _take_credit(source, amount)
    if target.status != "issued" or balance_now(target) <= 0:
        raise SalesError(_("Invoice %(number)s has nothing left to pay.", number=target.number))
    if amount > balance_now(target):
        raise SalesError(_("Invoice %(number)s has %(balance)s left to pay: apply at most that.",
                           number=target.number, balance=money(balance_now(target), target.currency)))
    today = clock.today()
    payment = Payment(invoice=target, amount=amount, paid_on=today, method="other",
                      reference=f"Credit of {source.number}"[:100],
                      created_by_id=getattr(user, "id", None))
    db.session.add(payment)
    use = CreditUse(invoice=source, amount=amount, used_on=today, method="other",
                    reference=f"Applied to {target.number}"[:100], payment=payment,
                    created_by_id=getattr(user, "id", None))
    db.session.add(use)
    db.session.flush()  # both invoices' balances follow (services/figures.py)
    audit.record("payment", target, summary=f"Credit of {amount} from invoice {source.number} "
                 f"applied to invoice {target.number}")
    return use
