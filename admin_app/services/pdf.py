"""PDFs of quotes and invoices (fpdf2): seller from Settings, client billing identity, lines, taxes."""
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..models import Contact, Invoice, Quote
from .pricing import ZERO
from .settings import get_setting
from .templates import document_texts

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
COLUMNS = (("Description", 86, "L"), ("Qty", 18, "R"), ("Unit price", 28, "R"),
           ("Tax", 16, "R"), ("Total excl. tax", 32, "R"))


def money(amount: Decimal | None, currency: str) -> str:
    return f"{(amount or ZERO):,.2f} {currency}"


def qty(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class _Document(FPDF):
    def __init__(self) -> None:
        super().__init__(format="A4")
        self.set_auto_page_break(True, margin=18)
        regular, bold = FONT_DIR / "DejaVuSans.ttf", FONT_DIR / "DejaVuSans-Bold.ttf"
        if regular.exists() and bold.exists():
            self.add_font("Body", "", str(regular))
            self.add_font("Body", "B", str(bold))
            self.family = "Body"
        else:  # core font: only Latin-1, so other characters are replaced on write
            self.family = "Helvetica"

    def text(self, value) -> str:  # noqa: D401 - a filter, not FPDF.text
        value = "" if value is None else str(value)
        if self.family == "Helvetica":
            return value.replace("€", "EUR").encode("latin-1", "replace").decode("latin-1")
        return value

    def line_of(self, value, size=10, style="", h=5, align="L", w=0) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(w, h, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text(f"Page {self.page_no()}/{{nb}}"), align="C")


def _billing_address(company, prefer_quote: bool):
    addresses = list(company.addresses)
    order = (["is_quote_default"] if prefer_quote else []) + ["is_billing_default", "is_main"]
    for flag in order:
        found = next((a for a in addresses if getattr(a, flag)), None)
        if found is not None:
            return found
    return addresses[0] if addresses else None


def _billing_contact(company) -> Contact | None:
    contacts = list(company.contacts)
    return next((c for c in contacts if c.is_billing_contact), None)


def _header(pdf: _Document, title: str, facts: list[tuple[str, str]]) -> None:
    pdf.line_of(get_setting("company_name"), 15, "B", 7)
    if get_setting("company_address"):
        pdf.line_of(get_setting("company_address"), 9, h=4.5)
    for label, key in (("Legal ID", "company_legal_id"), ("VAT number", "company_vat_number"),
                       ("Email", "company_email")):
        if get_setting(key):
            pdf.line_of(f"{label}: {get_setting(key)}", 9, h=4.5)
    pdf.ln(6)
    pdf.line_of(title, 18, "B", 9)
    for label, value in facts:
        pdf.line_of(f"{label}: {value}", 10)
    pdf.ln(3)


def _client(pdf: _Document, company, prefer_quote: bool) -> None:
    pdf.line_of("Bill to" if not prefer_quote else "Prepared for", 9, "B")
    pdf.line_of(company.name, 11, "B", 6)
    address = _billing_address(company, prefer_quote)
    if address is not None:
        if address.contact_name:
            pdf.line_of(f"Attn. {address.contact_name}", 10)
        for part in (address.line1, address.line2,
                     " ".join(p for p in (address.postal_code, address.city) if p), address.country):
            if part:
                pdf.line_of(part, 10)
    if company.legal_id:
        pdf.line_of(f"Legal ID: {company.legal_id}", 9)
    contact = _billing_contact(company)
    if contact is not None:
        reach = ", ".join(p for p in (contact.email, contact.phone) if p)
        pdf.line_of(f"Billing contact: {contact.full_name}" + (f" ({reach})" if reach else ""), 9)
    pdf.ln(5)


def _lines(pdf: _Document, document, currency: str) -> None:
    pdf.set_font(pdf.family, "B", 9)
    pdf.set_fill_color(235, 238, 242)
    for label, width, align in COLUMNS:
        pdf.cell(width, 7, label, border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font(pdf.family, "", 9)
    for line in document.lines:
        values = (line.description, qty(line.quantity), money(line.unit_price, currency),
                  f"{qty(line.tax_rate)}%", money(line.total_excl_tax, currency))
        text = pdf.text(values[0])
        height = 6 * len(pdf.multi_cell(COLUMNS[0][1], 6, text, dry_run=True, output="LINES"))
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(COLUMNS[0][1], 6, text, new_x=XPos.RIGHT, new_y=YPos.TOP)
        for value, (_, width, align) in zip(values[1:], COLUMNS[1:]):
            pdf.cell(width, 6, pdf.text(value), align=align)
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(2)


def _totals(pdf: _Document, document, currency: str) -> None:
    per_rate: dict[Decimal, list[Decimal]] = {}
    for line in document.lines:
        base, tax = per_rate.setdefault(line.tax_rate, [ZERO, ZERO])
        per_rate[line.tax_rate] = [base + line.total_excl_tax, tax + line.total_tax]
    rows = [("Total excl. tax", money(document.total_excl_tax, currency), "")]
    for rate, (base, tax) in sorted(per_rate.items()):
        rows.append((f"Tax {qty(rate)}% on {money(base, currency)}", money(tax, currency), ""))
    rows.append(("Total incl. tax", money(document.total_incl_tax, currency), "B"))
    for label, value, style in rows:
        pdf.set_font(pdf.family, style, 10)
        pdf.cell(130, 6, pdf.text(label), align="R")
        pdf.cell(50, 6, pdf.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _finish(pdf: _Document, document) -> bytes:
    texts = document_texts(document)  # the default notes and footer (Templates > Document texts)
    notes = "\n\n".join(text for text in (document.notes, texts["notes"]) if text)
    if notes:
        pdf.ln(4)
        pdf.line_of("Notes", 9, "B")
        pdf.line_of(notes, 9)
    if texts["footer"]:
        pdf.ln(6)
        pdf.line_of(texts["footer"], 8, h=4)
    return bytes(pdf.output())


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF: a draft or cancelled invoice says so in its title."""
    currency = get_setting("currency") or "EUR"
    pdf = _Document()
    pdf.add_page()
    title = {"draft": "DRAFT INVOICE (not valid for payment)",
             "cancelled": f"CANCELLED INVOICE {invoice.number}"}.get(
        invoice.status, f"INVOICE {invoice.number}")
    _header(pdf, title, [("Issue date", invoice.issue_date.isoformat()),
                         ("Due date", invoice.due_date.isoformat())])
    _client(pdf, invoice.company, prefer_quote=False)
    _lines(pdf, invoice, currency)
    _totals(pdf, invoice, currency)
    if invoice.status == "issued" and invoice.payments:
        pdf.ln(2)
        pdf.line_of(f"Paid: {money(invoice.amount_paid, currency)} - Balance due: "
                    f"{money(invoice.balance, currency)}", 10, "B", align="R")
    pdf.ln(3)
    pdf.line_of(f"Payment due by {invoice.due_date.isoformat()}.", 10)
    return _finish(pdf, invoice)


def quote_pdf(quote: Quote) -> bytes:
    currency = get_setting("currency") or "EUR"
    pdf = _Document()
    pdf.add_page()
    facts = [("Issue date", quote.issue_date.isoformat())]
    if quote.valid_until:
        facts.append(("Valid until", quote.valid_until.isoformat()))
    _header(pdf, f"QUOTE {quote.number}" if quote.number else "DRAFT QUOTE", facts)
    _client(pdf, quote.company, prefer_quote=True)
    _lines(pdf, quote, currency)
    _totals(pdf, quote, currency)
    return _finish(pdf, quote)


def pdf_filename(document) -> str:
    kind = type(document).__name__.lower()
    return f"{document.number or f'{kind}-draft-{document.id}'}.pdf"
