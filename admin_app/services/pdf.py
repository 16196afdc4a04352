"""PDFs of quotes, invoices and credit notes (fpdf2), rendered from a snapshot only (services.snapshots):
seller, client billing identity, currency, lines, taxes. The same snapshot gives the same bytes."""
import io
import logging
from datetime import UTC, datetime
from datetime import date as Date
from decimal import Decimal
from pathlib import Path
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from PIL import Image

from ..formats import date as format_date
from ..formats import money
from ..storage import StorageKeyError, storage
from .pricing import ZERO
from .setting_types import grouped_iban
from .snapshots import archived_pdf, snapshot_of

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
    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(format="A4")
        self.data, self.seller = data, data["seller"]
        # Fixed metadata: the same snapshot must give the same bytes (the /ID is a hash of the
        # content and this date).
        first = next((d for d in data["dates"].values() if d), "2000-01-01")
        self.set_creation_date(datetime.combine(Date.fromisoformat(first), datetime.min.time(),
                                                tzinfo=UTC))
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
            if self.seller.get("company_footer"):
                self.set_font(self.family, "", 7)
                self.footer_lines = self.multi_cell(
                    0, 3.5, self.text(self.seller["company_footer"]), dry_run=True,
                    output="LINES")[:FOOTER_MAX_LINES]
                self.set_auto_page_break(True, margin=18 + 3.5 * len(self.footer_lines))

    def text(self, value) -> str:  # noqa: D401 - a filter, not FPDF.text
        value = "" if value is None else str(value)
        if self.family == "Helvetica":
            # French groups thousands with a narrow no-break space, which Latin-1 lacks.
            value = value.replace("€", "EUR").replace("\u202f", " ")
            return value.encode("latin-1", "replace").decode("latin-1")
        return value

    def money(self, value) -> str:
        """An amount of the snapshot, in the snapshot's currency."""
        return money(Decimal(value), self.data.get("currency"))

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


def _logo(pdf: _Document) -> float:
    """Draw the seller logo at the top right; the width it takes (0 without a logo)."""
    relative = pdf.seller.get("company_logo")
    if not relative:
        return 0
    try:
        data = storage().read(relative)
    except (OSError, StorageKeyError):
        return 0
    try:
        with Image.open(io.BytesIO(data)) as image:
            ratio = image.width / image.height
        width = min(LOGO_HEIGHT * ratio, LOGO_MAX_WIDTH)
        pdf.image(io.BytesIO(data), x=pdf.w - pdf.r_margin - width, y=pdf.t_margin, w=width,
                  h=width / ratio)
    except (OSError, ValueError, ZeroDivisionError, RuntimeError):
        log.warning("The seller logo %s could not be drawn; the PDF goes without it", relative)
        return 0
    return width + 5


def _header(pdf: _Document, title: str, facts: list[tuple[str, str]]) -> None:
    top, seller = pdf.get_y(), pdf.seller
    text_width = pdf.epw - _logo(pdf)
    pdf.line_of(seller.get("company_name"), 15, "B", 7, w=text_width)
    if seller.get("company_address"):
        pdf.line_of(seller["company_address"], 9, h=4.5, w=text_width)
    for label, key in ((_("Legal ID"), "company_legal_id"), (_("VAT number"), "company_vat_number"),
                       (_("Email"), "company_email")):
        if seller.get(key):
            pdf.line_of(f"{label}: {seller[key]}", 9, h=4.5, w=text_width)
    if text_width < pdf.epw:  # below the logo, whatever the text's height
        pdf.set_y(max(pdf.get_y(), top + LOGO_HEIGHT))
    pdf.ln(6)
    pdf.line_of(title, 18, "B", 9)
    for label, value in facts:
        pdf.line_of(f"{label}: {value}", 10)
    pdf.ln(3)


def _client(pdf: _Document) -> None:
    buyer = pdf.data["buyer"]
    pdf.line_of(_("Prepared for") if pdf.data["kind"] == "quote" else _("Bill to"), 9, "B")
    pdf.line_of(buyer["name"], 11, "B", 6)
    address = buyer.get("address")
    if address is not None:
        if address.get("contact_name"):
            pdf.line_of(_("Attn. %(name)s", name=address["contact_name"]), 10)
        town = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
        for part in (address.get("line1"), address.get("line2"), town, address.get("country")):
            if part:
                pdf.line_of(part, 10)
    if buyer.get("legal_id"):
        pdf.line_of(_("Legal ID: %(id)s", id=buyer["legal_id"]), 9)
    if buyer.get("vat_number"):
        pdf.line_of(_("VAT number: %(number)s", number=buyer["vat_number"]), 9)
    contact = buyer.get("contact")
    if contact is not None:
        reach = ", ".join(p for p in (contact.get("email"), contact.get("phone")) if p)
        pdf.line_of(_("Billing contact: %(name)s", name=contact["name"])
                    + (f" ({reach})" if reach else ""), 9)
    pdf.ln(5)


def _lines(pdf: _Document) -> None:
    pdf.set_font(pdf.family, "B", 9)
    pdf.set_fill_color(235, 238, 242)
    for label, width, align in COLUMNS:
        pdf.cell(width, 7, pdf.text(str(label)), border="B", align=align, fill=True)
    pdf.ln()
    pdf.set_font(pdf.family, "", 9)
    for line in pdf.data["lines"]:
        values = (line["description"], qty(Decimal(line["quantity"])),
                  pdf.money(line["unit_price"]), f"{qty(Decimal(line['tax_rate']))}%",
                  pdf.money(line["total_excl_tax"]))
        text = pdf.text(values[0])
        height = 6 * len(pdf.multi_cell(COLUMNS[0][1], 6, text, dry_run=True, output="LINES"))
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
        top = pdf.get_y()
        pdf.multi_cell(COLUMNS[0][1], 6, text, new_x=XPos.RIGHT, new_y=YPos.TOP)
        for value, (_label, width, align) in zip(values[1:], COLUMNS[1:]):
            pdf.cell(width, 6, pdf.text(value), align=align)
        pdf.set_xy(pdf.l_margin, top + height)
    pdf.ln(2)


def _totals(pdf: _Document) -> None:
    per_rate: dict[Decimal, list[Decimal]] = {}
    for line in pdf.data["lines"]:
        rate = Decimal(line["tax_rate"])
        base, tax = per_rate.setdefault(rate, [ZERO, ZERO])
        per_rate[rate] = [base + Decimal(line["total_excl_tax"]), tax + Decimal(line["total_tax"])]
    totals = pdf.data["totals"]
    rows = [(_("Total excl. tax"), pdf.money(totals["total_excl_tax"]), "")]
    for rate, (base, tax) in sorted(per_rate.items()):
        rows.append((_("Tax %(rate)s%% on %(base)s", rate=qty(rate), base=pdf.money(base)),
                     pdf.money(tax), ""))
    rows.append((_("Total incl. tax"), pdf.money(totals["total_incl_tax"]), "B"))
    for label, value, style in rows:
        pdf.set_font(pdf.family, style, 10)
        pdf.cell(130, 6, pdf.text(label), align="R")
        pdf.cell(50, 6, pdf.text(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _finish(pdf: _Document) -> bytes:
    texts = pdf.data.get("texts") or {}  # default notes and footer (Templates > Document texts)
    notes = "\n\n".join(text for text in (pdf.data.get("notes"), texts.get("notes")) if text)
    if notes:
        pdf.ln(4)
        pdf.line_of(_("Notes"), 9, "B")
        pdf.line_of(notes, 9)
    if texts.get("footer"):
        pdf.ln(6)
        pdf.line_of(texts["footer"], 8, h=4)
    return bytes(pdf.output())


def _day(value: str | None) -> str:
    return format_date(Date.fromisoformat(value)) if value else ""


def _invoice(pdf: _Document) -> None:
    data, dates = pdf.data, pdf.data["dates"]
    title = {"draft": _("DRAFT INVOICE (not valid for payment)"),
             "cancelled": _("CANCELLED INVOICE %(number)s", number=data["number"])}.get(
        data["status"], _("INVOICE %(number)s", number=data["number"]))
    _header(pdf, title, [(_("Issue date"), _day(dates["issue_date"])),
                         (_("Due date"), _day(dates["due_date"]))])
    _client(pdf)
    _lines(pdf)
    _totals(pdf)
    pdf.ln(3)
    pdf.line_of(_("Payment due by %(date)s.", date=_day(dates["due_date"])), 10)
    if pdf.seller.get("company_iban"):
        pdf.line_of(_("Pay by bank transfer to IBAN %(iban)s.",
                      iban=grouped_iban(pdf.seller["company_iban"])), 10)


def _quote(pdf: _Document) -> None:
    data, dates = pdf.data, pdf.data["dates"]
    facts = [(_("Issue date"), _day(dates["issue_date"]))]
    if dates.get("valid_until"):
        facts.append((_("Valid until"), _day(dates["valid_until"])))
    title = _("QUOTE %(number)s", number=data["number"]) if data["number"] else _("DRAFT QUOTE")
    _header(pdf, title, facts)
    _client(pdf)
    _lines(pdf)
    _totals(pdf)


def _credit_note(pdf: _Document) -> None:
    data = pdf.data
    title = (_("CREDIT NOTE %(number)s", number=data["number"]) if data["number"]
             else _("DRAFT CREDIT NOTE"))
    invoice = data["invoice"]
    _header(pdf, title, [(_("Issue date"), _day(data["dates"]["issue_date"])),
                         (_("Corrects invoice"), _("%(number)s of %(date)s",
                                                   number=invoice["number"],
                                                   date=_day(invoice["issue_date"])))])
    _client(pdf)
    if data.get("reason"):
        pdf.line_of(_("Reason: %(reason)s", reason=data["reason"]), 10)
        pdf.ln(2)
    _lines(pdf)
    _totals(pdf)
    pdf.ln(3)
    pdf.line_of(_("These amounts are credited to the client."), 10)


RENDERERS = {"invoice": _invoice, "quote": _quote, "credit": _credit_note}


def render(data: dict[str, Any]) -> bytes:
    """The PDF of a snapshot (services.snapshots): nothing else is read."""
    pdf = _Document(data)
    pdf.add_page()
    RENDERERS[data["kind"]](pdf)
    return _finish(pdf)


def document_pdf(document) -> bytes:
    """The PDF archived at issue; else rendered from the snapshot (a draft: as it reads now)."""
    return archived_pdf(document) or render(snapshot_of(document))


invoice_pdf = quote_pdf = credit_note_pdf = document_pdf


def pdf_filename(document) -> str:
    kind = type(document).__name__.lower()
    return f"{document.number or f'{kind}-draft-{document.id}'}.pdf"
