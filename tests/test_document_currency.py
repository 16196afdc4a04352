"""Issued documents show in the currency they were issued in, wherever they are listed; drafts
follow the currency setting. Issued rows of the lists offer neither Edit nor Delete."""
import re
from datetime import date

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import Invoice, Order, Quote
from admin_app.services.sales import accept_quote, issue_invoice, send_quote
from admin_app.services.settings import set_setting
from config import TestingConfig


def _issued_in_euros_then_pounds(make_company, make_document):
    set_setting("currency", "EUR")
    db.session.commit()
    company = make_company("Euro Client SL")
    issued = make_document("invoice", company, lines=(("1", "1000.00", "0"),),
                           issue_date=date(2026, 4, 1), due_date=date(2026, 5, 1))
    issue_invoice(issued)
    db.session.commit()
    draft = make_document("invoice", company, lines=(("1", "70.00", "0"),))
    set_setting("currency", "GBP")
    db.session.commit()
    return company, issued, draft


def test_the_issued_invoice_keeps_its_currency_and_the_draft_follows_the_setting(
        make_company, make_document):
    _company, issued, draft = _issued_in_euros_then_pounds(make_company, make_document)
    assert issued.currency == "EUR" and draft.currency is None


def test_the_invoice_list_shows_the_issued_invoice_in_euros_after_a_switch_to_pounds(
        admin_client, make_company, make_document):
    _issued_in_euros_then_pounds(make_company, make_document)
    html = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert "€1,000.00" in html and "£1,000.00" not in html
    assert "£70.00" in html


def test_the_card_and_the_history_show_the_issued_invoice_in_euros(admin_client, make_company,
                                                                   make_document):
    company, _issued, _draft = _issued_in_euros_then_pounds(make_company, make_document)
    card = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "€1,000.00" in card and "£70.00" in card
    history = admin_client.get(f"/admin/sales-history/?company_id={company.id}&kind=invoice")
    assert "€1,000.00" in history.get_data(as_text=True)


def test_the_invoice_page_shows_its_own_currency(admin_client, make_company, make_document):
    _company, issued, draft = _issued_in_euros_then_pounds(make_company, make_document)
    page = admin_client.get(f"/admin/invoice/details/?id={issued.id}").get_data(as_text=True)
    assert "€1,000.00" in page and "£1,000.00" not in page
    page = admin_client.get(f"/admin/invoice/details/?id={draft.id}").get_data(as_text=True)
    assert "£70.00" in page


def test_the_invoice_list_query_count_does_not_grow_with_issued_rows(
        admin_client, make_company, make_document, count_queries):
    company, _issued, _draft = _issued_in_euros_then_pounds(make_company, make_document)
    admin_client.get("/admin/invoice/")  # warm up
    with count_queries() as before:
        admin_client.get("/admin/invoice/")
    for _ in range(4):
        invoice = make_document("invoice", company, issue_date=date(2026, 4, 2),
                                due_date=date(2026, 5, 2))
        issue_invoice(invoice)
        db.session.commit()
    with count_queries() as after:
        html = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert html.count("£120.00") >= 4 and "€1,000.00" in html
    assert len(after) == len(before)


def _row_links(html: str, endpoint: str, document_id: int) -> tuple[bool, bool]:
    edit = re.search(rf'/admin/{endpoint}/edit/\?id={document_id}[&"]', html) is not None
    delete = re.search(rf'<input[^>]* name="id"[^>]* value="{document_id}"', html) is not None
    return edit, delete


def test_issued_invoice_rows_have_no_edit_or_delete_but_draft_rows_do(
        admin_client, make_company, make_document):
    _company, issued, draft = _issued_in_euros_then_pounds(make_company, make_document)
    html = admin_client.get("/admin/invoice/").get_data(as_text=True)
    assert _row_links(html, "invoice", issued.id) == (False, False)
    assert _row_links(html, "invoice", draft.id) == (True, True)


def test_sent_quote_and_numbered_order_rows_hide_what_they_refuse(admin_client, make_company,
                                                                  make_document):
    company = make_company("Quote Client SL")
    sent = make_document("quote", company)
    send_quote(sent)
    draft = make_document("quote", company)
    order = accept_quote(sent)
    db.session.commit()
    quotes = admin_client.get("/admin/quote/").get_data(as_text=True)
    assert _row_links(quotes, "quote", sent.id) == (False, False)
    assert _row_links(quotes, "quote", draft.id) == (True, True)
    orders = admin_client.get("/admin/order/").get_data(as_text=True)
    # An open order is still edited (until invoiced); numbered, it is never deleted.
    assert order.number and _row_links(orders, "order", order.id) == (True, False)


def test_editing_an_issued_invoice_by_its_address_is_still_refused(admin_client, make_company,
                                                                   make_document):
    _company, issued, _draft = _issued_in_euros_then_pounds(make_company, make_document)
    response = admin_client.get(f"/admin/invoice/edit/?id={issued.id}")
    assert response.status_code == 302 and "details" in response.headers["Location"]


@pytest.fixture
def database_at_0014v(tmp_path, redis_url):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        REDIS_URL = redis_url
        UPLOAD_DIR = str(tmp_path / "uploads")

    application = create_app(Config)
    with application.app_context():
        upgrade(revision="0014v")
        yield application
        db.session.remove()
        db.engine.dispose()


def test_the_migration_copies_each_snapshots_currency_onto_its_document(database_at_0014v):
    for statement in [
        "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
        "legal_id_key, legal_id_check, created_at, updated_at) VALUES (1, 'Old SL', 'client', "
        "'old', '', '', '', '', '2026-01-01', '2026-01-01')",
        "INSERT INTO invoices (id, number, company_id, status, issue_date, due_date, issued_at, "
        "total_excl_tax, total_tax, total_incl_tax, created_at) VALUES "
        "(1, 'INV-1', 1, 'issued', '2026-02-01', '2026-03-01', '2026-02-01', 0, 0, 0, "
        "'2026-01-01'), (2, NULL, 1, 'draft', '2026-02-01', '2026-03-01', NULL, 0, 0, 0, "
        "'2026-01-01')",
        "INSERT INTO document_snapshots (kind, document_id, data, created_at) VALUES "
        "('invoice', 1, '{\"currency\": \"GBP\"}', '2026-02-01')",
    ]:
        db.session.execute(text(statement))
    db.session.commit()
    upgrade()
    rows = db.session.execute(text("SELECT id, currency FROM invoices ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "GBP"), (2, None)]


def test_models_know_the_currency_column():
    assert {"currency"} <= set(Invoice.__table__.c.keys()) & set(Quote.__table__.c.keys()) \
        & set(Order.__table__.c.keys())


def test_the_card_figures_use_the_currency_the_issued_invoices_share(admin_client, make_company,
                                                                     make_document):
    company, _issued, _draft = _issued_in_euros_then_pounds(make_company, make_document)
    card = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    revenue = card[card.index('data-kpi="revenue"'):card.index('data-kpi="outstanding"')]
    assert "€1,000.00" in revenue and "£" not in revenue
