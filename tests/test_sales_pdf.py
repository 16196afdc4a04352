"""PDFs of quotes and invoices: extract their text and check what a client must read."""
import io
from datetime import date

import pypdf
import pytest

from admin_app.extensions import db
from admin_app.models import Address, Contact
from admin_app.services.pdf import invoice_pdf, quote_pdf
from admin_app.services.sales import issue_invoice, send_quote
from admin_app.services.settings import set_setting


def _text(data: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def client_company(make_company):
    company = make_company("Müller Logistik GmbH", legal_id="DE123456789")
    db.session.add_all([
        Address(company=company, label="HQ", line1="1 Hauptstraße", city="Berlin",
                postal_code="10115", country="Germany", is_main=True),
        Address(company=company, label="Accounts", contact_name="Accounts payable",
                line1="99 Rechnungweg", city="Hamburg", postal_code="20095", country="Germany",
                is_billing_default=True),
        Contact(company=company, first_name="Jürgen", last_name="Klein",
                email="j.klein@mueller.example", is_billing_contact=True),
        Contact(company=company, first_name="Other", last_name="Person")])
    set_setting("company_name", "Seller Services SL")
    set_setting("company_address", "Calle Mayor 1, 28001 Madrid")
    set_setting("company_vat_number", "ESB12345678")
    db.session.commit()
    return company


def test_invoice_pdf_shows_seller_client_billing_lines_taxes_totals_and_due_date(
        client_company, make_document):
    invoice = make_document("invoice", client_company, issue_date=date(2026, 4, 1),
                            due_date=date(2026, 5, 1),
                            lines=[("2", "150.00", "20"), ("1", "99.90", "10"),
                                   ("3", "10.00", "20")])
    issue_invoice(invoice)
    db.session.commit()
    text = _text(invoice_pdf(invoice))
    for expected in ["Seller Services SL", "Calle Mayor 1, 28001 Madrid", "ESB12345678",
                     "INVOICE INV-2026-0001", "Müller Logistik GmbH", "99 Rechnungweg",
                     "20095 Hamburg", "Jürgen Klein", "j.klein@mueller.example",
                     "Item 2x150.00", "Item 1x99.90", "€300.00", "Tax 20% on €330.00",
                     "€66.00", "Tax 10% on €99.90", "€9.99", "Total excl. tax",
                     "€429.90", "Total incl. tax", "€505.89", "May 1, 2026"]:
        assert expected in text, expected
    assert "1 Hauptstraße" not in text  # the billing default wins over the main address


def test_invoice_pdf_falls_back_to_the_main_address(make_company, make_document):
    company = make_company("Simple SARL")
    db.session.add(Address(company=company, line1="5 Rue de la Paix", city="Paris",
                           postal_code="75002", country="France", is_main=True))
    db.session.commit()
    text = _text(invoice_pdf(make_document("invoice", company)))
    assert "5 Rue de la Paix" in text and "DRAFT INVOICE" in text


def test_quote_pdf_shows_number_validity_lines_and_totals(client_company, make_document):
    quote = make_document("quote", client_company, issue_date=date(2026, 4, 1),
                          valid_until=date(2026, 4, 30), lines=[("1", "1200.00", "21")])
    send_quote(quote)
    db.session.commit()
    text = _text(quote_pdf(quote))
    for expected in ["Seller Services SL", "QUOTE QUO-2026-0001", "Valid until: Apr 30, 2026",
                     "Müller Logistik GmbH", "€1,200.00", "Tax 21% on €1,200.00",
                     "€252.00", "€1,452.00"]:
        assert expected in text, expected


def test_a_long_invoice_continues_on_more_pages(client_company, make_document):
    invoice = make_document("invoice", client_company,
                            lines=[("1", "1.00", "20")] * 80)
    reader = pypdf.PdfReader(io.BytesIO(invoice_pdf(invoice)))
    assert len(reader.pages) >= 2
    assert "€96.00" in reader.pages[-1].extract_text()


def test_pdf_of_a_missing_document_says_so(admin_client):
    response = admin_client.get("/admin/invoice/pdf/?id=999999", follow_redirects=True)
    assert "That invoice does not exist." in response.get_data(as_text=True)
