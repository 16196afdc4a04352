"""The card's five figures recomputed from the rows, independently of services/card_money.py."""
from decimal import Decimal

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import CreditNote, CreditUse, Invoice, Payment

ZERO = Decimal("0.00")


def figures_from_rows(company_id: int) -> dict[str, object]:
    """revenue, outstanding, unpaid count and amount, average delay, client credit."""
    db.session.expire_all()
    invoices = db.session.scalars(db.select(Invoice).where(
        Invoice.company_id == company_id, Invoice.status == "issued")).all()
    notes = db.session.scalars(db.select(CreditNote).where(
        CreditNote.company_id == company_id, CreditNote.status == "issued")).all()
    today = clock.today()
    revenue = sum((i.total_excl_tax for i in invoices), ZERO) - sum(
        (n.total_excl_tax for n in notes), ZERO)
    balances, delays = {}, []
    for invoice in invoices:
        payments = db.session.scalars(db.select(Payment).where(Payment.invoice_id == invoice.id)
                                      .order_by(Payment.paid_on, Payment.id)).all()
        credited = sum((n.total_incl_tax for n in notes if n.invoice_id == invoice.id), ZERO)
        used = sum(db.session.scalars(db.select(CreditUse.amount).where(
            CreditUse.invoice_id == invoice.id)), ZERO)
        paid = sum((p.amount for p in payments), ZERO)
        balances[invoice.id] = invoice.total_incl_tax - paid - credited + used
        due, running = invoice.total_incl_tax - credited, ZERO
        due = due if due > 0 else invoice.total_incl_tax  # credited in full: paid in full?
        for payment in payments:
            running += payment.amount
            if due > 0 and running >= due:
                delays.append((payment.paid_on - invoice.issue_date).days)
                break
    overdue = [i for i in invoices if balances[i.id] > 0 and i.due_date < today]
    delay = (Decimal(sum(delays)) / len(delays)).quantize(Decimal("0.1")) if delays else None
    return {"revenue": revenue, "outstanding": sum((b for b in balances.values() if b > 0), ZERO),
            "unpaid_count": len(overdue),
            "unpaid_amount": sum((balances[i.id] for i in overdue), ZERO),
            "average_payment_delay": delay,
            "client_credit": sum((-b for b in balances.values() if b < 0), ZERO)}
