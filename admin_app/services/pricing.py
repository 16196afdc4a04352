"""Line and document totals, in Decimal, rounded half-up to the cent on each line."""
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


def to_cents(value: Decimal) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Totals:
    excl_tax: Decimal
    tax: Decimal

    @property
    def incl_tax(self) -> Decimal:
        return self.excl_tax + self.tax


def line_totals(quantity: Decimal, unit_price: Decimal, tax_rate: Decimal) -> Totals:
    """Quantity × unit price and its tax (rate in percent), each rounded to the cent."""
    excl = to_cents(Decimal(quantity) * Decimal(unit_price))
    return Totals(excl, to_cents(excl * Decimal(tax_rate) / 100))


def document_totals(lines: Iterable[Totals]) -> Totals:
    excl, tax = ZERO, ZERO
    for line in lines:
        excl += line.excl_tax
        tax += line.tax
    return Totals(excl, tax)


def apply_line_totals(document) -> Totals:
    """Compute every line of a quote, order or invoice and the document's totals in place."""
    per_line = []
    for position, line in enumerate(document.lines):
        totals = line_totals(line.quantity, line.unit_price, line.tax_rate)
        line.position = position
        line.total_excl_tax, line.total_tax = totals.excl_tax, totals.tax
        per_line.append(totals)
    totals = document_totals(per_line)
    document.total_excl_tax, document.total_tax = totals.excl_tax, totals.tax
    document.total_incl_tax = totals.incl_tax
    return totals
