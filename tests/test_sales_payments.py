"""Payments: partial and multiple, exact, over; paid_on derived from the payments."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from admin_app.extensions import db
from admin_app.models import AuditLog
from admin_app.services.payments import record_payment, remove_payment
from admin_app.services.sales import SalesError

D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 10), date(2026, 3, 20)


@pytest.fixture
def invoice(make_company, make_invoice):
    # 100 × 1 at 20 % → 120.00 incl. tax
    return make_invoice(make_company(), issue_date=date(2026, 2, 20))


def test_partial_payments_leave_a_balance_and_no_paid_on(invoice):
    record_payment(invoice, Decimal("50.00"), D1)
    db.session.commit()
    assert invoice.balance == Decimal("70.00") and invoice.paid_on is None


def test_the_payment_that_completes_the_invoice_sets_paid_on(invoice):
    record_payment(invoice, Decimal("20.00"), D2)
    record_payment(invoice, Decimal("100.00"), D3)
    db.session.commit()
    assert invoice.balance == 0 and invoice.paid_on == D3
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditLog)
                             .where(AuditLog.action == "payment")) == 2


def test_an_exact_single_payment_pays_it_in_full(invoice):
    record_payment(invoice, Decimal("120.00"), D1)
    assert invoice.paid_on == D1


def test_an_overpayment_is_refused_and_changes_nothing(invoice):
    record_payment(invoice, Decimal("100.00"), D1)
    db.session.commit()
    with pytest.raises(SalesError, match="Overpayment refused"):
        record_payment(invoice, Decimal("20.01"), D2)
    db.session.rollback()
    assert invoice.paid_total == Decimal("100.00") and invoice.paid_on is None


def test_removing_a_payment_clears_paid_on(invoice):
    record_payment(invoice, Decimal("20.00"), D1)
    last = record_payment(invoice, Decimal("100.00"), D2)
    db.session.commit()
    remove_payment(last)
    db.session.commit()
    assert invoice.paid_on is None and invoice.balance == Decimal("100.00")


@pytest.mark.parametrize("status", ["draft", "cancelled"])
def test_payments_only_go_on_issued_invoices(make_company, make_invoice, status):
    invoice = make_invoice(make_company(), status=status)
    with pytest.raises(SalesError, match="only recorded on issued"):
        record_payment(invoice, Decimal("1.00"), D1)


@pytest.mark.parametrize("amount", ["0", "-5"])
def test_zero_or_negative_payments_are_refused(invoice, amount):
    with pytest.raises(SalesError, match="above 0"):
        record_payment(invoice, Decimal(amount), D1)


def test_paid_on_is_the_date_cumulative_payments_reach_the_total(invoice):
    # Recorded out of order: the completing payment is the latest by date.
    record_payment(invoice, Decimal("60.00"), D3)
    record_payment(invoice, Decimal("60.00"), D1)
    assert invoice.paid_on == D3
    assert invoice.paid_on - invoice.issue_date == timedelta(days=28)
