"""Totals are computed on the server in Decimal, rounded half-up per line."""
from decimal import Decimal

import pytest

from admin_app.models import Invoice, InvoiceLine
from admin_app.services.pricing import line_totals
from admin_app.services.sales import SalesError, recompute_totals


def test_many_lines_with_mixed_tax_rates_add_up_per_line_rounding(make_company):
    company = make_company()
    invoice = Invoice(company=company)
    lines = [("3", "0.333", "20"), ("1", "0.005", "10"), ("2.5", "19.99", "5.5"),
             ("7", "1.115", "21"), ("1", "1000.00", "0"), ("0.333", "3.00", "20")] * 20
    for qty, price, rate in lines:
        invoice.lines.append(InvoiceLine(description="x", quantity=Decimal(qty),
                                         unit_price=Decimal(price), tax_rate=Decimal(rate)))
    recompute_totals(invoice)
    # 3 × 0.333 = 0.999 → 1.00, tax 0.20; 0.005 → 0.01 (half up), tax 0.00 (0.001 → 0.00);
    # 2.5 × 19.99 = 49.975 → 49.98, tax 2.7489 → 2.75; 7 × 1.115 = 7.805 → 7.81, tax 1.6401 → 1.64;
    # 1000.00 tax 0; 0.999 → 1.00, tax 0.20.
    assert [(l.total_excl_tax, l.total_tax) for l in invoice.lines[:6]] == [
        (Decimal("1.00"), Decimal("0.20")), (Decimal("0.01"), Decimal("0.00")),
        (Decimal("49.98"), Decimal("2.75")), (Decimal("7.81"), Decimal("1.64")),
        (Decimal("1000.00"), Decimal("0.00")), (Decimal("1.00"), Decimal("0.20"))]
    assert invoice.total_excl_tax == Decimal("1059.80") * 20
    assert invoice.total_tax == Decimal("4.79") * 20
    assert invoice.total_incl_tax == invoice.total_excl_tax + invoice.total_tax
    assert all(isinstance(v, Decimal) for v in (invoice.total_excl_tax, invoice.total_tax))


def test_half_cent_rounds_up_not_to_even():
    assert line_totals(Decimal("1"), Decimal("0.125"), Decimal("0")).excl_tax == Decimal("0.13")
    assert line_totals(Decimal("1"), Decimal("2.50"), Decimal("5")).tax == Decimal("0.13")


@pytest.mark.parametrize("qty,price,rate", [("-1", "10", "20"), ("1", "-10", "20"),
                                            ("1", "10", "120")])
def test_negative_amounts_and_bad_tax_rates_are_refused(make_company, qty, price, rate):
    invoice = Invoice(company=make_company())
    invoice.lines.append(InvoiceLine(description="x", quantity=Decimal(qty),
                                     unit_price=Decimal(price), tax_rate=Decimal(rate)))
    with pytest.raises(SalesError):
        recompute_totals(invoice)
