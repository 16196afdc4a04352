"""Issued documents are frozen: renaming the client or changing the seller settings and the
currency changes neither the PDF's text nor its bytes; drafts still read the live data."""
import hashlib
import io
from datetime import date

import pypdf

from admin_app.extensions import db
from admin_app.models import Address, Company, DocumentSnapshot
from admin_app.services import snapshots
from admin_app.services.card_edit import upload_root
from admin_app.services.pdf import document_pdf, render
from admin_app.services.sales import accept_quote, issue_invoice, send_quote
from admin_app.services.settings import set_setting


def _text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


def _client(make_company) -> Company:
    company = make_company("Frozen Trading SL", legal_id="B12345678")
    db.session.add(Address(company=company, line1="1 Calle Vieja", city="Sevilla",
                           postal_code="41001", country="Spain", is_main=True))
    set_setting("company_name", "Seller One SL")
    set_setting("company_vat_number", "ESB00000001")
    db.session.commit()
    return company


def _change_everything(company: Company) -> None:
    company.name = "Renamed Holdings SA"
    company.legal_id = "A99999999"
    company.addresses[0].line1 = "99 Avenida Nueva"
    set_setting("company_name", "Another Seller SARL")
    set_setting("company_vat_number", "FR00000000000")
    set_setting("currency", "USD")
    db.session.commit()


def test_an_issued_invoice_keeps_its_pdf_text_and_bytes_whatever_changes(make_company,
                                                                         make_document):
    company = _client(make_company)
    invoice = make_document("invoice", company, issue_date=date(2026, 4, 1),
                            due_date=date(2026, 5, 1))
    issue_invoice(invoice)
    db.session.commit()
    row = snapshots.snapshot_row(invoice)
    first = document_pdf(invoice)
    assert hashlib.sha256(first).hexdigest() == row.pdf_sha256
    assert (upload_root() / row.pdf_path).read_bytes() == first
    assert "static" not in row.pdf_path
    text = _text(first)
    assert "Frozen Trading SL" in text and "Seller One SL" in text and "€120.00" in text

    _change_everything(company)
    again = document_pdf(invoice)
    assert again == first
    # Rendered anew from the snapshot: the same text, and the same bytes (deterministic).
    rendered = render(row.data)
    assert _text(rendered) == text and rendered == first
    assert "Renamed" not in text and "$" not in text


def test_a_draft_reads_the_live_data(make_company, make_document):
    company = _client(make_company)
    draft = make_document("invoice", company)
    before = _text(document_pdf(draft))
    _change_everything(company)
    after = _text(document_pdf(draft))
    assert "Frozen Trading SL" in before and "Renamed Holdings SA" in after


def test_quotes_and_orders_are_frozen_when_issued(make_company, make_document):
    company = _client(make_company)
    quote = make_document("quote", company)
    send_quote(quote)
    order = accept_quote(quote)
    db.session.commit()
    kinds = {row.kind: row for row in db.session.scalars(db.select(DocumentSnapshot))}
    assert set(kinds) == {"quote", "order"}
    assert kinds["order"].data["buyer"]["name"] == "Frozen Trading SL"
    assert kinds["order"].data["lines"][0]["unit_price"] == "100.00"
    text = _text(document_pdf(quote))
    _change_everything(company)
    assert _text(document_pdf(quote)) == text and "Frozen Trading SL" in text
    assert order.number and kinds["quote"].pdf_sha256


def test_a_tampered_archive_is_not_served(make_company, make_document):
    company = _client(make_company)
    invoice = make_document("invoice", company)
    issue_invoice(invoice)
    db.session.commit()
    row = snapshots.snapshot_row(invoice)
    (upload_root() / row.pdf_path).write_bytes(b"%PDF-1.4 forged")
    assert snapshots.archived_pdf(invoice) is None
    assert "Frozen Trading SL" in _text(document_pdf(invoice))  # re-rendered from the snapshot


def test_a_rolled_back_issue_leaves_no_archived_pdf(make_company, make_document):
    invoice = make_document("invoice", _client(make_company))
    issue_invoice(invoice)
    path = upload_root() / snapshots.snapshot_row(invoice).pdf_path
    assert path.is_file()
    db.session.rollback()
    assert not path.exists()
    again = db.session.get(type(invoice), invoice.id)
    issue_invoice(again)
    db.session.commit()
    assert (upload_root() / snapshots.snapshot_row(again).pdf_path).is_file()


def test_the_archived_pdf_stays_in_the_issuers_language_whoever_reads_it(make_company,
                                                                        make_document):
    from flask_babel import force_locale
    company = _client(make_company)
    invoice = make_document("invoice", company, issue_date=date(2026, 4, 1),
                            due_date=date(2026, 5, 1))
    draft = make_document("invoice", company, issue_date=date(2026, 4, 2),
                          due_date=date(2026, 5, 2))
    with force_locale("es"):
        issue_invoice(invoice)
        db.session.commit()
        issued_in_spanish = document_pdf(invoice)
    assert "FACTURA" in _text(issued_in_spanish)
    with force_locale("fr"):
        assert document_pdf(invoice) == issued_in_spanish
        # A draft is not archived: it reads as its reader's language writes it.
        assert "BROUILLON" in _text(document_pdf(draft)).upper()
