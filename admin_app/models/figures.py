"""A company's figures, stored: what the card reads in a few lookups, however long its history.

Kept by services/figures.py in the transaction that changes an invoice, a payment, a credit
note, a credit use or an exchange, recomputed from the rows; `flask verify-figures` and the test
suite check that they never drift. A company without issued invoices or credit notes has no
CompanyFigures row; a kind of exchange it has none of, no CompanyExchangeCount row.
"""
from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db


def _company_key() -> Mapped[int]:
    # CASCADE: figures are about the company and go with it (services/merge.py never moves them).
    return mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), primary_key=True)


class CompanyFigures(db.Model):
    """Totals over the company's issued invoices and credit notes, in exact cents."""

    __tablename__ = "company_figures"

    company_id: Mapped[int] = _company_key()
    issued_count: Mapped[int] = mapped_column(Integer, nullable=False)
    # Issued invoices excl. tax less issued credit notes excl. tax (DESIGN.md "Revenue").
    revenue_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The positive balances of issued invoices, and the negative ones as the client's credit.
    outstanding_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    credit_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Issued invoices completed by a payment (paid_on) and their days from issue to it.
    completed_count: Mapped[int] = mapped_column(Integer, nullable=False)
    delay_days: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # The lowest and highest currency of the issued invoices: one currency when they agree.
    currency_min: Mapped[str | None] = mapped_column(String(3))
    currency_max: Mapped[str | None] = mapped_column(String(3))

    def __repr__(self) -> str:
        return f"<CompanyFigures {self.company_id} issued={self.issued_count}>"


class CompanyMonthFigures(db.Model):
    """Revenue of one calendar month: invoices issued in it less credit notes issued in it."""

    __tablename__ = "company_month_figures"

    company_id: Mapped[int] = _company_key()
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[int] = mapped_column(Integer, primary_key=True)
    revenue_cents: Mapped[int] = mapped_column(BigInteger, nullable=False)

    def __repr__(self) -> str:
        return f"<CompanyMonthFigures {self.company_id} {self.year}-{self.month:02d}>"


class CompanyExchangeCount(db.Model):
    """How many exchanges of one kind the company has (the card's timeline filter)."""

    __tablename__ = "company_exchange_counts"

    company_id: Mapped[int] = _company_key()
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)

    def __repr__(self) -> str:
        return f"<CompanyExchangeCount {self.company_id} {self.kind}={self.count}>"
