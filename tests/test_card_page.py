"""The client card page: its sections, a constant query count, redirects and the timeline."""
import re
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert

from admin_app.admin.links import company_url
from admin_app.extensions import db
from admin_app.models import Address, Contact, Document, Exchange, Invoice, Payment
from admin_app.services import figures
from tests.card_support import card_url, days

SECTIONS = ("general", "addresses", "kpis", "contacts", "exchanges", "opportunities", "pending",
            "documents", "comments", "custom-fields")


def test_card_has_every_section_and_action(admin_client, make_company):
    company = make_company("Sections SA", comments="<p>Key account</p>")
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    for section in SECTIONS:
        assert f'data-section="{section}"' in html, section
    assert f'href="/admin/company/merge/?id={company.id}"' in html
    assert f"/admin/company/edit/?id={company.id}" in html
    assert f"/admin/sales-history/?company_id={company.id}" in html
    assert f"/admin/opportunity/new/?company_id={company.id}" in html
    assert "Key account" in html


def test_card_shows_status_main_address_and_address_defaults(admin_client, make_company):
    company = make_company("Badges SL", status="lead")
    db.session.add_all([
        Address(company_id=company.id, label="Head office", line1="1 Calle Mayor",
                postal_code="28001", city="Madrid", country="Spain", is_main=True,
                is_quote_default=True),
        Address(company_id=company.id, label="Warehouse", contact_name="Luis Ruiz",
                line1="9 Dock Road", city="Valencia", is_delivery_default=True,
                is_billing_default=True)])
    db.session.commit()
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    assert 'data-status="lead"' in html
    main = re.search(r"data-main-address>(.*?)</div>", html, re.S).group(1)
    assert "1 Calle Mayor, 28001 Madrid, Spain" in main
    assert "Attn. Luis Ruiz" in html
    for badge in ("main", "invoices", "deliveries", "quotes"):
        assert f'data-default="{badge}"' in html


def test_company_links_lead_to_the_card(app, make_company):
    company = make_company()
    with app.test_request_context():
        assert company_url(company.id) == card_url(company.id)


def test_dashboard_links_to_the_card(admin_client, admin_user, make_company):
    company = make_company("Managed SA", account_manager_id=admin_user.id)
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert card_url(company.id) in html


def test_unknown_company_is_a_404(admin_client):
    assert admin_client.get("/admin/company/card/?id=999999").status_code == 404
    assert admin_client.get("/admin/company/card/").status_code == 404


def test_card_needs_a_login(client, make_company):
    company = make_company()
    response = client.get(card_url(company.id))
    assert response.status_code == 302 and "/login" in response.location


def test_merged_away_company_redirects_to_the_card_that_absorbed_it(admin_client,
                                                                    make_company):
    final = make_company("Final SA")
    middle = make_company("Middle SA", merged_into_id=final.id)
    first = make_company("First SA", merged_into_id=middle.id)
    response = admin_client.get(card_url(first.id))
    assert response.status_code == 302
    assert response.location.endswith(card_url(final.id))
    html = admin_client.get(response.location).get_data(as_text=True)
    assert "“First SA” was merged into “Final SA”" in html


def test_forms_of_a_merged_away_company_lead_to_the_absorbing_card(admin_client, make_company):
    kept = make_company("Kept SA")
    gone = make_company("Gone SA", merged_into_id=kept.id)
    response = admin_client.post(f"/admin/company/card/exchange/?id={gone.id}",
                                 data={"kind": "note", "title": "x",
                                       "occurred_at": "2026-01-01T10:00"})
    assert response.location.endswith(card_url(kept.id))
    assert db.session.query(Exchange).count() == 0


def _fill(company, invoices: int, exchanges: int, contacts: int) -> None:
    """Bulk-insert a company's history (fast enough for hundreds of rows)."""
    now = datetime(2026, 1, 1, 9, 0)

    def bulk(model, rows):
        if rows:
            db.session.execute(insert(model), rows)
    bulk(Invoice, [
        {"company_id": company.id, "status": "issued", "number": f"Q-{company.id}-{n}",
         "issue_date": days(-n % 400 - 30), "due_date": days(-n % 400), "issued_at": now,
         "total_excl_tax": Decimal("100.00"), "total_tax": Decimal("20.00"),
         "total_incl_tax": Decimal("120.00")} for n in range(invoices)])
    ids = [i for (i,) in db.session.query(Invoice.id).filter(Invoice.company_id == company.id)]
    bulk(Payment, [
        {"invoice_id": i, "amount": Decimal("120.00") if n % 2 else Decimal("20.00"),
         "paid_on": days(-5), "method": "transfer"} for n, i in enumerate(ids)])
    bulk(Exchange, [
        {"company_id": company.id, "kind": ("call", "note", "meeting", "email")[n % 4],
         "title": f"Exchange {n}", "occurred_at": now - timedelta(hours=n),
         "send_invitation": False} for n in range(exchanges)])
    bulk(Contact, [
        {"company_id": company.id, "first_name": "C", "last_name": f"Person {n}",
         "is_billing_contact": n == 0} for n in range(contacts)])
    bulk(Address, [
        {"company_id": company.id, "label": f"Site {n}", "line1": f"{n} Main St", "city": "X",
         "country": "", "is_main": n == 0, "is_billing_default": n == 0,
         "is_delivery_default": False, "is_quote_default": False} for n in range(contacts)])
    bulk(Document, [
        {"company_id": company.id, "title": f"Doc {n}", "original_name": f"d{n}.pdf",
         "file": f"documents/{company.id}-{n}", "content_type": "application/pdf",
         "size_bytes": 10, "signature_status": "none"} for n in range(contacts)])
    figures.refresh(company_ids=[company.id], invoice_ids=ids)  # bulk, past the session hooks
    db.session.commit()


def test_card_runs_the_same_number_of_queries_for_1_and_500_invoices(admin_client,
                                                                     make_company,
                                                                     count_queries):
    small, big = make_company("Small SA"), make_company("Big SA")
    _fill(small, invoices=1, exchanges=1, contacts=1)
    _fill(big, invoices=500, exchanges=300, contacts=60)
    admin_client.get(card_url(small.id))  # warm-up: first-request setup is not the card's cost
    counts = []
    for company in (small.id, big.id):
        db.session.remove()  # the tests share one session: start each request from a cold one
        with count_queries() as statements:
            response = admin_client.get(card_url(company))
        assert response.status_code == 200
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
    assert counts[0] <= 20, counts


def test_timeline_is_paginated_newest_first_with_load_more(admin_client, make_company):
    company = make_company()
    _fill(company, invoices=0, exchanges=45, contacts=0)
    html = admin_client.get(card_url(company.id)).get_data(as_text=True)
    first = re.findall(r'data-exchange-id="\d+" data-kind="\w+">\s*<div[^>]*>\s*<div>.*?<strong>'
                       r'Exchange (\d+)</strong>', html, re.S)
    assert first == [str(n) for n in range(20)]
    more = re.search(r'data-fragment="([^"]+)"', html).group(1).replace("&amp;", "&")
    fragment = admin_client.get(more).get_data(as_text=True)
    assert "Exchange 20<" in fragment and "Exchange 39<" in fragment
    assert "Exchange 40<" not in fragment
    last = re.search(r'data-fragment="([^"]+)"', fragment).group(1).replace("&amp;", "&")
    tail = admin_client.get(last).get_data(as_text=True)
    assert "Exchange 44<" in tail and "data-load-more" not in tail


def test_timeline_filters_by_kind(admin_client, make_company):
    company = make_company()
    _fill(company, invoices=0, exchanges=8, contacts=0)
    html = admin_client.get(card_url(company.id) + "&kind=note").get_data(as_text=True)
    kinds = re.findall(r'data-exchange-id="\d+" data-kind="(\w+)"', html)
    assert kinds == ["note", "note"]
    assert "Exchange 1<" in html and "Exchange 0<" not in html


def test_timeline_ignores_a_malformed_cursor(admin_client, make_company):
    company = make_company()
    _fill(company, invoices=0, exchanges=3, contacts=0)
    response = admin_client.get(card_url(company.id) + "&before=garbage")
    assert response.status_code == 200 and "Exchange 0<" in response.get_data(as_text=True)


def test_history_lists_every_document_with_balances_paginated(admin_client, make_company,
                                                              make_invoice):
    company = make_company()
    _fill(company, invoices=30, exchanges=0, contacts=0)
    url = f"/admin/sales-history/?company_id={company.id}&kind=invoice"
    page1 = admin_client.get(url).get_data(as_text=True)
    assert 'data-kind="invoice" data-total="30"' in page1
    assert page1.count('data-balance="100.00"') + page1.count('data-balance="0.00"') == 20
    page2 = admin_client.get(url + "&invoice_page=1").get_data(as_text=True)
    assert page2.count("data-balance=") == 10
    past = admin_client.get(url + "&invoice_page=5").get_data(as_text=True)
    assert 'data-total="30"' in past and "No more invoices" in past
    quotes = admin_client.get(url.replace("invoice", "quote")).get_data(as_text=True)
    assert "No quotes for this company yet" in quotes


def test_the_cards_old_history_address_leads_to_the_sales_history(admin_client, make_company):
    company = make_company()
    old = admin_client.get(f"/admin/company/card/history/?id={company.id}&kind=orders&page=2")
    assert old.status_code in (301, 302)
    assert old.location.endswith(
        f"/admin/sales-history/?company_id={company.id}&kind=order&order_page=2")
    plain = admin_client.get(f"/admin/company/card/history/?id={company.id}")
    assert plain.location.endswith(f"/admin/sales-history/?company_id={company.id}")


def test_history_of_a_merged_away_company_shows_the_absorbing_ones(admin_client, make_company):
    kept = make_company("Kept SA")
    gone = make_company("Gone SA", merged_into_id=kept.id)
    response = admin_client.get(f"/admin/sales-history/?company_id={gone.id}&pending=1")
    assert response.status_code == 302
    assert f"company_id={kept.id}" in response.location and "pending=1" in response.location
