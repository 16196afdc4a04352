"""The quote, order and invoice admin views: list, create, edit, delete, transitions, PDFs."""
from datetime import date, timedelta
from decimal import Decimal

import pytest

from admin_app.extensions import db
from admin_app.models import Invoice, Order, Quote
from admin_app.services.sales import issue_invoice, send_quote


def _lines(*rows) -> dict:
    data = {}
    for i, (desc, qty, price, rate) in enumerate(rows):
        data.update({f"lines-{i}-description": desc, f"lines-{i}-quantity": qty,
                     f"lines-{i}-unit_price": price, f"lines-{i}-tax_rate": rate})
    return data


def _get(model, pk):
    db.session.expire_all()
    return db.session.get(model, pk)


@pytest.mark.parametrize("endpoint", ["quote", "order", "invoice", "payment", "quoteline",
                                      "orderline", "invoiceline", "opportunity"])
def test_sales_lists_open_for_users_with_and_without_rows(user_client, make_company,
                                                          make_document, endpoint):
    assert user_client.get(f"/admin/{endpoint}/").status_code == 200
    company = make_company()
    for kind in ("quote", "order", "invoice"):
        make_document(kind, company)
    html = user_client.get(f"/admin/{endpoint}/").get_data(as_text=True)
    assert "Acme Logistics" in html or endpoint in ("payment", "opportunity") or "Item" in html


def test_create_invoice_with_inline_lines_computes_totals_on_the_server(admin_client,
                                                                       make_company):
    company = make_company()
    data = {"company": str(company.id), "issue_date": "2026-05-01", "due_date": "2026-05-31",
            "total_incl_tax": "1.00",  # ignored: totals are never taken from the form
            **_lines(("Work", "3", "33.335", "20"), ("Licence", "1", "10.00", "5.5"))}
    response = admin_client.post("/admin/invoice/new/", data=data)
    assert response.status_code == 302 and "/admin/invoice/details/" in response.location
    invoice = db.session.scalars(db.select(Invoice)).one()
    assert invoice.status == "draft" and invoice.number is None
    assert invoice.total_excl_tax == Decimal("110.01")  # 100.005 → 100.01, + 10.00
    assert invoice.total_tax == Decimal("20.55")  # 20.002 → 20.00, + 0.55
    page = admin_client.get(response.location).get_data(as_text=True)
    assert 'data-total="incl" data-value="130.56">€130.56' in page
    assert 'data-action="issue"' in page


def test_due_date_before_issue_date_is_refused_with_a_message(admin_client, make_company):
    company = make_company()
    data = {"company": str(company.id), "issue_date": "2026-05-10", "due_date": "2026-05-01",
            **_lines(("Work", "1", "10", "20"))}
    response = admin_client.post("/admin/invoice/new/", data=data)
    assert response.status_code == 200
    assert "due date cannot be before the issue date" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0


def test_negative_line_amounts_get_a_field_error(admin_client, make_company):
    company = make_company()
    data = {"company": str(company.id), "issue_date": "2026-05-01", "due_date": "2026-05-31",
            **_lines(("Refund", "1", "-10", "20"))}
    response = admin_client.post("/admin/invoice/new/", data=data)
    assert response.status_code == 200 and "Must be 0 or more." in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 0


def test_editing_a_draft_invoice_recomputes_and_removes_lines(admin_client, make_company,
                                                              make_document):
    invoice = make_document("invoice", make_company(), lines=[("1", "10", "20"), ("2", "5", "0")])
    first, second = invoice.lines
    data = {"company": str(invoice.company_id), "issue_date": "2026-05-01",
            "due_date": "2026-05-31", "lines-0-id": str(first.id), "lines-0-description": "A",
            "lines-0-quantity": "4", "lines-0-unit_price": "10", "lines-0-tax_rate": "20",
            "lines-1-id": str(second.id), "del-lines-1": "y", "lines-1-description": "B",
            "lines-1-quantity": "2", "lines-1-unit_price": "5", "lines-1-tax_rate": "0"}
    response = admin_client.post(f"/admin/invoice/edit/?id={invoice.id}", data=data)
    assert response.status_code == 302
    invoice = _get(Invoice, invoice.id)
    assert [l.description for l in invoice.lines] == ["A"]
    assert invoice.total_incl_tax == Decimal("48.00")


def test_an_issued_invoice_cannot_be_edited(admin_client, make_company, make_document):
    invoice = make_document("invoice", make_company())
    issue_invoice(invoice)
    db.session.commit()
    response = admin_client.get(f"/admin/invoice/edit/?id={invoice.id}")
    assert response.status_code == 302 and "details" in response.location
    page = admin_client.get(response.location).get_data(as_text=True)
    assert "cannot change" in page and "Issue a credit note to correct it" in page
    posted = admin_client.post(f"/admin/invoice/edit/?id={invoice.id}", data={
        "company": str(invoice.company_id), "issue_date": "2026-05-01", "due_date": "2026-05-31",
        **_lines(("Changed", "9", "9", "0"))})
    assert posted.status_code == 302
    assert _get(Invoice, invoice.id).total_incl_tax == Decimal("120.00")


def test_an_issued_invoice_is_never_deleted_from_the_list(admin_client, make_company,
                                                          make_document):
    invoice = make_document("invoice", make_company())
    issue_invoice(invoice)
    db.session.commit()
    response = admin_client.post("/admin/invoice/delete/", data={"id": str(invoice.id)},
                                 follow_redirects=True)
    assert "cannot be deleted: issue a credit note to correct it" in response.get_data(
        as_text=True)
    assert _get(Invoice, invoice.id) is not None


def test_bulk_delete_refuses_when_any_invoice_is_numbered(admin_client, make_company,
                                                          make_document):
    company = make_company()
    draft, issued = make_document("invoice", company), make_document("invoice", company)
    issue_invoice(issued)
    db.session.commit()
    response = admin_client.post("/admin/invoice/action/", data={
        "action": "delete", "rowid": [str(draft.id), str(issued.id)]}, follow_redirects=True)
    assert "Nothing was deleted" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Invoice)) == 2


def test_a_draft_invoice_is_deleted(admin_client, make_company, make_document):
    invoice = make_document("invoice", make_company())
    response = admin_client.post("/admin/invoice/delete/", data={"id": str(invoice.id)})
    assert response.status_code == 302
    assert _get(Invoice, invoice.id) is None


def test_issue_through_the_invoice_page_then_cancelling_is_refused(admin_client, make_company,
                                                                   make_document):
    invoice = make_document("invoice", make_company())
    response = admin_client.post("/admin/invoice/transition/",
                                 data={"id": invoice.id, "action": "issue"}, follow_redirects=True)
    assert f"Invoice issued with number INV-{date.today().year}-0001" in response.get_data(
        as_text=True)
    page = response.get_data(as_text=True)
    assert 'data-action="cancel"' not in page and 'data-action="credit"' in page
    refused = admin_client.post("/admin/invoice/transition/",
                                data={"id": invoice.id, "action": "cancel"}, follow_redirects=True)
    assert "cannot be cancelled" in refused.get_data(as_text=True)
    assert _get(Invoice, invoice.id).status == "issued"
    again = admin_client.post("/admin/invoice/transition/",
                              data={"id": invoice.id, "action": "issue"}, follow_redirects=True)
    assert "is issued: it cannot be issued" in again.get_data(as_text=True)


def test_transitions_need_the_csrf_token(admin_client, make_company, make_document):
    invoice = make_document("invoice", make_company())
    response = admin_client.post("/admin/invoice/transition/",
                                 data={"id": invoice.id, "action": "issue"}, csrf=False)
    assert response.status_code == 400
    assert _get(Invoice, invoice.id).status == "draft"


def test_quote_is_sent_then_accepted_into_an_order(user_client, make_company, make_document):
    quote = make_document("quote", make_company())
    user_client.post("/admin/quote/transition/", data={"id": quote.id, "action": "send"})
    response = user_client.post("/admin/quote/transition/",
                                data={"id": quote.id, "action": "accept"}, follow_redirects=True)
    assert "was created" in response.get_data(as_text=True)
    order = db.session.scalars(db.select(Order)).one()
    assert order.quote_id == quote.id and _get(Quote, quote.id).status == "accepted"


def test_a_sent_quote_cannot_be_edited_nor_deleted(admin_client, make_company, make_document):
    quote = make_document("quote", make_company())
    send_quote(quote)
    db.session.commit()
    assert "details" in admin_client.get(f"/admin/quote/edit/?id={quote.id}").location
    response = admin_client.post("/admin/quote/delete/", data={"id": quote.id},
                                 follow_redirects=True)
    assert "mark it refused or expired instead" in response.get_data(as_text=True)


def test_valid_until_before_issue_date_is_refused(admin_client, make_company):
    company = make_company()
    response = admin_client.post("/admin/quote/new/", data={
        "company": str(company.id), "issue_date": "2026-05-10", "valid_until": "2026-05-01",
        **_lines(("Work", "1", "10", "20"))})
    assert "cannot be before the issue date" in response.get_data(as_text=True)


def test_create_order_by_hand_numbers_it_and_invoices_a_part(admin_client, make_company):
    company = make_company()
    response = admin_client.post("/admin/order/new/", data={
        "company": str(company.id), "order_date": "2026-05-01",
        **_lines(("Kit", "2", "100", "20"))})
    order = db.session.scalars(db.select(Order)).one()
    assert response.status_code == 302 and order.number == "ORD-2026-0001"
    part = admin_client.post("/admin/order/invoice/", data={"id": order.id, "percent": "25"})
    invoice = db.session.scalars(db.select(Invoice)).one()
    assert "/admin/invoice/details/" in part.location and invoice.total_excl_tax == Decimal("50.00")
    bad = admin_client.post("/admin/order/invoice/", data={"id": order.id, "percent": "abc"},
                            follow_redirects=True)
    assert "must be a number" in bad.get_data(as_text=True)
    page = admin_client.get(f"/admin/order/details/?id={order.id}").get_data(as_text=True)
    assert 'data-invoiced="50.00"' in page


def test_an_order_is_closed_by_hand_from_its_page(admin_client, make_company, make_document):
    order = make_document("order", make_company(), number="ORD-V-1")
    admin_client.post("/admin/order/transition/", data={"id": order.id, "action": "close"})
    assert _get(Order, order.id).status == "closed"


def test_pdf_downloads_for_quotes_and_invoices(user_client, make_company, make_document):
    company = make_company()
    quote, invoice = make_document("quote", company), make_document("invoice", company)
    for url in (f"/admin/quote/pdf/?id={quote.id}", f"/admin/invoice/pdf/?id={invoice.id}"):
        response = user_client.get(url)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        assert response.data.startswith(b"%PDF")
    assert "/admin/invoice/pdf/" in user_client.get("/admin/invoice/").get_data(as_text=True)
    assert user_client.get("/admin/invoice/pdf/?id=999").status_code == 302


def test_list_filters_on_status_dates_and_amounts(admin_client, make_company, make_document):
    company = make_company()
    make_document("invoice", company, lines=[("1", "10", "0")])
    big = make_document("invoice", company, lines=[("1", "5000", "0")])
    issue_invoice(big)
    db.session.commit()
    html = admin_client.get("/admin/invoice/?flt1_status_equals=issued").get_data(as_text=True)
    assert big.number in html and "Invoice draft" not in html
    html = admin_client.get("/admin/invoice/?flt1_incl_tax_greater_than=100").get_data(as_text=True)
    assert big.number in html


def test_new_invoice_form_is_prefilled_from_company_id_and_payment_terms(admin_client,
                                                                         make_company):
    company = make_company("Prefilled SA")
    html = admin_client.get(f"/admin/invoice/new/?company_id={company.id}").get_data(as_text=True)
    assert "Prefilled SA" in html
    assert date.today().isoformat() in html
    assert (date.today() + timedelta(days=30)).isoformat() in html


def test_invoice_list_shows_balances_in_a_constant_number_of_queries(admin_client, make_company,
                                                                      make_invoice,
                                                                      count_queries):
    company = make_company("Balances")
    today = date.today()
    for i in range(60):
        make_invoice(company, lines=[("1", "100.00", "20")], issue_date=today - timedelta(days=90),
                     due_date=today - timedelta(days=60),
                     payments=[("50.00", today - timedelta(days=30))] if i % 2 else [])
    admin_client.get("/admin/invoice/")
    counts = {}
    for size in (25, 50):
        with count_queries() as statements:
            html = admin_client.get(f"/admin/invoice/?page_size={size}").get_data(as_text=True)
        counts[size] = len(statements)
    assert counts[25] == counts[50], counts
    assert 'data-balance="70.00"' in html and 'data-balance="120.00"' in html
    assert "text-danger font-weight-bold" in html  # overdue balances stand out


def test_invoice_export_has_the_balance_column(admin_client, make_company, make_invoice):
    company = make_company("Exported")
    make_invoice(company, lines=[("2", "10.00", "0")], payments=[("5.00", date.today())])
    csv = admin_client.get("/admin/invoice/export/csv/").get_data(as_text=True)
    header, row = csv.splitlines()[:2]
    assert "Balance" in header and "15.00" in row
