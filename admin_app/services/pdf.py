"""PDFs of quotes and invoices (fpdf2): seller from Settings, client billing identity, lines, taxes."""
import logging
from decimal import Decimal
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from ..formats import date, money
from ..models import Contact, Invoice, Quote
from .pricing import ZERO
from .seller_logo import logo_file
from .setting_types import grouped_iban
from .settings import get_setting
from .templates import document_texts

log = logging.getLogger(__name__)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
LOGO_HEIGHT, LOGO_MAX_WIDTH = 18, 60  # millimetres
FOOTER_MAX_LINES = 6
COLUMNS = ((_l("Description"), 86, "L"), (_l("Qty"), 18, "R"), (_l("Unit price"), 28, "R"),
           (_l("Tax"), 16, "R"), (_l("Total excl. tax"), 32, "R"))


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
        # Settings > Seller identity: printed at the bottom of every page, above its number.
        self.footer_lines: list[str] | None = None

    def header(self) -> None:
        if self.footer_lines is None:  # the first page: wrapping the footer needs one
            self.footer_lines = []
            if get_setting("company_footer"):
                self.set_font(self.family, "", 7)
                self.footer_lines = self.multi_cell(
                    0, 3.5, self.text(get_setting("company_footer")), dry_run=True,
                    output="LINES")[:FOOTER_MAX_LINES]
                self.set_auto_page_break(True, margin=18 + 3.5 * len(self.footer_lines))

    def text(self, value) -> str:  # noqa: D401 - a filter, not FPDF.text
        value = "" if value is None else str(value)
        if self.family == "Helvetica":
            # French groups thousands with a narrow no-break space, which Latin-1 lacks.
            value = value.replace("€", "EUR").replace("\u202f", " ")
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    def line_of(self, value, size=10, style="", h=5, align="L", w=0) -> None:
        self.set_font(self.family, style, size)
        self.multi_cell(w, h, self.text(value), align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def footer(self) -> None:
        if self.footer_lines:
            self.set_y(-14 - 3.5 * len(self.footer_lines))
            self.set_font(self.family, "", 7)
            for line in self.footer_lines:
                self.cell(0, 3.5, line, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_y(-12)
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text(_("Page %(page)s/%(pages)s", page=self.page_no(), pages="{nb}")),
                  align="C")


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


def _logo(pdf: _Document) -> float:
    """Draw the seller logo at the top right; the width it takes (0 without a logo)."""
    path = logo_file()
    if path is None:
        return 0
    try:
        with Image.open(path) as image:
            ratio = image.width / image.height
        width = min(LOGO_HEIGHT * ratio, LOGO_MAX_WIDTH)
        pdf.image(str(path), x=pdf.w - pdf.r_margin - width, y=pdf.t_margin, w=width,
                  h=width / ratio)
    except (OSError, ValueError, ZeroDivisionError, RuntimeError):
        log.warning("The seller logo %s could not be drawn; the PDF goes without it", path)
        return 0
    return width + 5


def _header(pdf: _Document, title: str, facts: list[tuple[str, str]]) -> None:
    top = pdf.get_y()
    text_width = pdf.epw - _logo(pdf)
    pdf.line_of(get_setting("company_name"), 15, "B", 7, w=text_width)
    if get_setting("company_address"):
        pdf.line_of(get_setting("company_address"), 9, h=4.5, w=text_width)
    for label, key in ((_("Legal ID"), "company_legal_id"), (_("VAT number"), "company_vat_number"),
                       (_("Email"), "company_email")):
        if get_setting(key):
            pdf.line_of(f"{label}: {get_setting(key)}", 9, h=4.5, w=text_width)
    if text_width < pdf.epw:  # below the logo, whatever the text's height
        pdf.set_y(max(pdf.get_y(), top + LOGO_HEIGHT))
    pdf.ln(6)
    pdf.line_of(title, 18, "B", 9)
    for label, value in facts:
        pdf.line_of(f"{label}: {value}", 10)
    pdf.ln(3)


def _client(pdf: _Document, company, prefer_quote: bool) -> None:
    pdf.line_of(_("Bill to") if not prefer_quote else _("Prepared for"), 9, "B")
    pdf.line_of(company.name, 11, "B", 6)
    address = _billing_address(company, prefer_quote)
    if address is not None:
        if address.contact_name:
            pdf.line_of(_("Attn. %(name)s", name=address.contact_name), 10)
        for part in (address.line1, address.line2,
                     " ".join(p for p in (address.postal_code, address.city) if p), address.country):
            if part:
                pdf.line_of(part, 10)
    if company.legal_id:
        pdf.line_of(_("Legal ID: %(id)s", id=company.legal_id), 9)
    contact = _billing_contact(company)
    if contact is not None:
        reach = ", ".join(p for p in (contact.email, contact.phone) if p)
        pdf.line_of(_("Billing contact: %(name)s", name=contact.full_name)
                    + (f" ({reach})" if reach else ""), 9)
    pdf.ln(5)


def _lines(pdf: _Document, document) -> None:
    pdf.set_font(pdf.family, "B", 9)
    pdf.set_fill_color(235, 238, 242)
    for label, width, align in COLUMNS:
        pdf.cell(width, 7, pdf.text(str(label)), border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font(pdf.family, "", 9)
    for line in document.lines:
        values = (line.description, qty(line.quantity), money(line.unit_price),
                  f"{qty(line.tax_rate)}%", money(line.total_excl_tax))
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


def _totals(pdf: _Document, document) -> None:
    per_rate: dict[Decimal, list[Decimal]] = {}
    for line in document.lines:
        base, tax = per_rate.setdefault(line.tax_rate, [ZERO, ZERO])
        per_rate[line.tax_rate] = [base + line.total_excl_tax, tax + line.total_tax]
    rows = [(_("Total excl. tax"), money(document.total_excl_tax), "")]
    for rate, (base, tax) in sorted(per_rate.items()):
        rows.append((_("Tax %(rate)s%% on %(base)s", rate=qty(rate), base=money(base)), money(tax), ""))
    rows.append((_("Total incl. tax"), money(document.total_incl_tax), "B"))
    for label, value, style in rows:
        pdf.set_font(pdf.family, style, 10)
        pdf.cell(130, 6, pdf.text(label), align="R")
        pdf.cell(50, 6, pdf.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _finish(pdf: _Document, document) -> bytes:
    texts = document_texts(document)  # the default notes and footer (Templates > Document texts)
    notes = "\n\n".join(text for text in (document.notes, texts["notes"]) if text)
    if notes:
        pdf.ln(4)
        pdf.line_of(_("Notes"), 9, "B")
        pdf.line_of(notes, 9)
    if texts["footer"]:
        pdf.ln(6)
        pdf.line_of(texts["footer"], 8, h=4)
    return bytes(pdf.output())


def invoice_pdf(invoice: Invoice) -> bytes:
    """The invoice as a PDF: a draft or cancelled invoice says so in its title."""
    pdf = _Document()
    pdf.add_page()
    title = {"draft": _("DRAFT INVOICE (not valid for payment)"),
             "cancelled": _("CANCELLED INVOICE %(number)s", number=invoice.number)}.get(
        invoice.status, _("INVOICE %(number)s", number=invoice.number))
    _header(pdf, title, [(_("Issue date"), date(invoice.issue_date)),
                         (_("Due date"), date(invoice.due_date))])
    _client(pdf, invoice.company, prefer_quote=False)
    _lines(pdf, invoice)
    _totals(pdf, invoice)
    if invoice.status == "issued" and invoice.payments:
        pdf.ln(2)
        pdf.line_of(_("Paid: %(paid)s - Balance due: %(balance)s", paid=money(invoice.paid_total),
                      balance=money(invoice.balance)), 10, "B", align="R")
    pdf.ln(3)
    pdf.line_of(_("Payment due by %(date)s.", date=date(invoice.due_date)), 10)
    if get_setting("company_iban"):
        pdf.line_of(_("Pay by bank transfer to IBAN %(iban)s.",
                      iban=grouped_iban(get_setting("company_iban"))), 10)
    return _finish(pdf, invoice)


def quote_pdf(quote: Quote) -> bytes:
    pdf = _Document()
    pdf.add_page()
    facts = [(_("Issue date"), date(quote.issue_date))]
    if quote.valid_until:
        facts.append((_("Valid until"), date(quote.valid_until)))
    _header(pdf, _("QUOTE %(number)s", number=quote.number) if quote.number else _("DRAFT QUOTE"),
            facts)
    _client(pdf, quote.company, prefer_quote=True)
    _lines(pdf, quote)
    _totals(pdf, quote)
    return _finish(pdf, quote)


def pdf_filename(document) -> str:
    kind = type(document).__name__.lower()
    return f"{document.number or f'{kind}-draft-{document.id}'}.pdf"
