"""What each setting read by the code changes, driven through the settings page: conversion,
payment terms, default tax rate, numbering prefixes (and their collisions), currency, upload
limit, and the seller identity and logo on the PDFs."""
import io
import re
from datetime import date, timedelta

import pypdf
from PIL import Image

from admin_app.extensions import db
from admin_app.models import Company, Document, Invoice, Setting
from admin_app.services import sales
from admin_app.services.settings import forget_cached, get_setting
from tests.card_support import card_url
from tests.settings_support import SETTINGS_URL, post_section, section_values

YEAR = date.today().year


def _invoice_form(company_id: int) -> dict:
    return {"company": str(company_id), "issue_date": date.today().isoformat(),
            "due_date": (date.today() + timedelta(days=30)).isoformat(),
            "lines-0-description": "Setup", "lines-0-quantity": "1",
            "lines-0-unit_price": "100.00", "lines-0-tax_rate": "20"}


def _status(company_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Company, company_id).status


def _errors(response, field: str) -> str:
    return " ".join(re.findall(rf'data-error-for="{field}">([^<]*)<',
                               response.get_data(as_text=True)))


def _pdf(client, kind: str, document_id: int) -> pypdf.PdfReader:
    response = client.get(f"/admin/{kind}/pdf/?id={document_id}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    return pypdf.PdfReader(io.BytesIO(response.data))


def _text(reader: pypdf.PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _images(reader: pypdf.PdfReader) -> int:
    return sum(len(page.images) for page in reader.pages)


# --- conversion ---------------------------------------------------------------------------------

def test_set_to_lead_an_invoice_leaves_a_lead_a_lead(admin_client, make_company):
    assert post_section(admin_client, "commercial",
                        invoice_converts_lead_to="lead").status_code == 302
    lead = make_company("Prospect SL", status="lead")
    assert admin_client.post("/admin/invoice/new/",
                             data=_invoice_form(lead.id)).status_code == 302
    assert _status(lead.id) == "lead"


def test_set_back_to_client_an_invoice_turns_a_lead_into_a_client(admin_client, make_company):
    post_section(admin_client, "commercial", invoice_converts_lead_to="lead")
    assert post_section(admin_client, "commercial",
                        invoice_converts_lead_to="client").status_code == 302
    lead = make_company("Prospect SA", status="lead")
    assert admin_client.post("/admin/invoice/new/",
                             data=_invoice_form(lead.id)).status_code == 302
    assert _status(lead.id) == "client"


def test_invoicing_an_order_follows_the_setting_too(admin_client, make_company, make_document):
    post_section(admin_client, "commercial", invoice_converts_lead_to="lead")
    forget_cached()
    lead = make_company("Order Lead SL", status="lead")
    order = make_document("order", lead, number="ORD-X-1")
    sales.invoice_order(order)
    db.session.commit()
    assert _status(lead.id) == "lead"


# --- payment terms and tax rate -----------------------------------------------------------------

def test_payment_terms_feed_the_due_date_of_a_new_invoice(admin_client, make_company,
                                                          make_document):
    assert post_section(admin_client, "commercial", payment_terms_days="45").status_code == 302
    html = admin_client.get("/admin/invoice/new/").get_data(as_text=True)
    due = re.search(r'name="due_date"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="due_date"',
                    html)
    assert due and (due.group(1) or due.group(2)) == (date.today() + timedelta(45)).isoformat()
    # An order invoiced by the service gets the same terms.
    forget_cached()
    order = make_document("order", make_company(), number="ORD-T-1")
    invoice = sales.invoice_order(order)
    db.session.commit()
    assert invoice.due_date == invoice.issue_date + timedelta(days=45)


def test_the_default_tax_rate_prefills_new_lines(admin_client):
    assert post_section(admin_client, "commercial", default_tax_rate="10").status_code == 302
    html = admin_client.get("/admin/invoice/new/").get_data(as_text=True)
    # The template of a new line (rendered for the "Add" button) carries the rate.
    assert re.search(r"name=&#34;tax_rate&#34;[^<]*value=&#34;10.00&#34;", html) or \
        re.search(r'name="tax_rate"[^>]*value="10.00"', html)
    quote_html = admin_client.get("/admin/quote/new/").get_data(as_text=True)
    assert "10.00" in quote_html


# --- numbering ----------------------------------------------------------------------------------

def _issue(client, invoice_id: int) -> str:
    response = client.post("/admin/invoice/transition/", data={"id": invoice_id,
                                                               "action": "issue"})
    assert response.status_code == 302
    db.session.expire_all()
    return db.session.get(Invoice, invoice_id).number


def test_a_prefix_change_is_previewed_and_taken_by_the_next_invoice(admin_client, make_company,
                                                                    make_document):
    company = make_company()
    first = make_document("invoice", company)
    assert _issue(admin_client, first.id) == f"INV-{YEAR}-0001"
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert f'data-next-number="invoice" data-rest="-{YEAR}-0002">INV-{YEAR}-0002<' in html
    assert post_section(admin_client, "commercial", invoice_prefix="FAC").status_code == 302
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert f">FAC-{YEAR}-0002<" in html
    second = make_document("invoice", company)
    assert _issue(admin_client, second.id) == f"FAC-{YEAR}-0002"


def test_a_prefix_already_used_by_another_kind_is_refused(admin_client, make_company,
                                                          make_invoice):
    make_invoice(make_company(), number=f"PRE-{YEAR}-0001")
    response = post_section(admin_client, "commercial", quote_prefix="PRE")
    assert "Issued invoices already carry numbers starting with PRE-" in _errors(
        response, "quote_prefix")
    response = post_section(admin_client, "commercial", credit_note_prefix="PRE")
    assert "starting with PRE-" in _errors(response, "credit_note_prefix")
    assert db.session.get(Setting, "quote_prefix") is None


def test_a_prefix_whose_next_numbers_were_already_issued_is_refused(admin_client, make_company,
                                                                    make_invoice):
    # An invoice numbered outside the counter (imported, say) holds FAC-<year>-0001.
    make_invoice(make_company(), number=f"FAC-{YEAR}-0001")
    response = post_section(admin_client, "commercial", invoice_prefix="FAC")
    assert f"FAC-{YEAR}-0001 already exists" in _errors(response, "invoice_prefix")
    assert db.session.get(Setting, "invoice_prefix") is None


def test_going_back_to_an_earlier_prefix_is_allowed_when_its_numbers_are_behind_the_counter(
        admin_client, make_company, make_document):
    company = make_company()
    assert _issue(admin_client, make_document("invoice", company).id) == f"INV-{YEAR}-0001"
    post_section(admin_client, "commercial", invoice_prefix="FAC")
    assert _issue(admin_client, make_document("invoice", company).id) == f"FAC-{YEAR}-0002"
    assert post_section(admin_client, "commercial", invoice_prefix="INV").status_code == 302
    assert _issue(admin_client, make_document("invoice", company).id) == f"INV-{YEAR}-0003"


def test_two_kinds_cannot_share_a_prefix(admin_client):
    response = post_section(admin_client, "commercial", order_prefix="QUO")
    assert "Another kind of document already uses this prefix" in _errors(response,
                                                                           "order_prefix")
    assert _errors(response, "quote_prefix") == ""  # the unchanged one is not blamed


# --- currency -----------------------------------------------------------------------------------

def test_the_currency_shows_on_pdfs_and_pages_and_issued_documents_keep_theirs(
        admin_client, make_company, make_document):
    invoice = make_document("invoice", make_company())
    assert post_section(admin_client, "commercial", currency="GBP").status_code == 302
    assert "£100.00" in _text(_pdf(admin_client, "invoice", invoice.id))
    details = admin_client.get(f"/admin/invoice/details/?id={invoice.id}")
    assert "£120.00" in details.get_data(as_text=True)
    _issue(admin_client, invoice.id)
    html = admin_client.get(SETTINGS_URL).get_data(as_text=True)
    assert "data-currency-note" in html
    assert post_section(admin_client, "commercial", currency="USD").status_code == 302
    forget_cached()
    assert get_setting("currency") == "USD"
    # The issued invoice keeps the currency it was issued in.
    assert "£100.00" in _text(_pdf(admin_client, "invoice", invoice.id))


# --- upload limit -------------------------------------------------------------------------------

def test_the_upload_limit_is_what_the_card_accepts_and_says(admin_client, make_company):
    company = make_company()
    assert post_section(admin_client, "documents", upload_limit_mb="1").status_code == 302
    form = admin_client.get(f"/admin/company/card/document/?id={company.id}")
    assert "Up to 1 MB" in form.get_data(as_text=True)
    url = f"/admin/company/card/document/?id={company.id}"
    too_big = admin_client.post(url, data={"file": (io.BytesIO(b"x" * (1024 * 1024 + 1)),
                                                    "big.pdf")},
                                content_type="multipart/form-data")
    assert "The file is larger than 1 MB" in too_big.get_data(as_text=True)
    fits = admin_client.post(url, data={"file": (io.BytesIO(b"x" * 1024 * 1024), "ok.txt")},
                             content_type="multipart/form-data")
    assert fits.status_code == 302 and fits.location.endswith(card_url(company.id) +
                                                              "#documents")
    assert db.session.query(Document).count() == 1


# --- seller identity on the PDFs ----------------------------------------------------------------

def test_the_seller_identity_and_logo_are_printed_on_quotes_and_invoices(
        admin_client, make_company, make_document):
    logo = io.BytesIO()
    Image.new("RGBA", (400, 100), (0, 80, 160, 255)).save(logo, "PNG")
    assert post_section(
        admin_client, "seller", content_type="multipart/form-data",
        company_name="Seller Services SL", company_address="Calle Mayor 1\n28001 Madrid",
        company_legal_id="B12345678", company_vat_number="ESB12345678",
        company_email="billing@seller.example", company_iban="ES9121000418450200051332",
        company_footer="Inscrita en el Registro Mercantil de Madrid",
        company_logo=(io.BytesIO(logo.getvalue()), "logo.png")).status_code == 302
    company = make_company("Client SARL")
    invoice = make_document("invoice", company)
    quote = make_document("quote", company)
    for kind, document in (("invoice", invoice), ("quote", quote)):
        reader = _pdf(admin_client, kind, document.id)
        text = _text(reader)
        for expected in ("Seller Services SL", "Calle Mayor 1", "28001 Madrid",
                         "Legal ID: B12345678", "VAT number: ESB12345678",
                         "billing@seller.example", "Inscrita en el Registro Mercantil de Madrid"):
            assert expected in text, (kind, expected)
        assert _images(reader) == 1, kind
    assert "IBAN ES91 2100 0418 4502 0005 1332" in _text(_pdf(admin_client, "invoice",
                                                              invoice.id))
    # Without a logo the PDF has no image, and nothing else breaks.
    post_section(admin_client, "seller", content_type="multipart/form-data", remove_logo="y")
    assert _images(_pdf(admin_client, "invoice", invoice.id)) == 0


def test_the_footer_is_printed_on_every_page_of_a_long_invoice(
        admin_client, make_company, make_document):
    footer = "\n".join(f"Footer line {n}: " + "registered details " * 6 for n in range(12))
    assert post_section(admin_client, "seller", content_type="multipart/form-data",
                        company_footer=footer[:500]).status_code == 302
    invoice = make_document("invoice", make_company(),
                            lines=[("1", "10.00", "20")] * 60)
    reader = _pdf(admin_client, "invoice", invoice.id)
    assert len(reader.pages) > 1
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text()
        assert "Footer line 0" in text and f"Page {number}/{len(reader.pages)}" in text
