"""Query values no form would send (letters for an id, a number beyond the id column, a NUL byte)
get a "not found" or an empty result, never a server error, on SQLite and PostgreSQL alike."""
import json

import pytest

from admin_app.models import Company

NOT_AN_ID = ["abc", "99999999999", "99999999999999999999", "-1", "0", "1.5", "\x00", ""]
RECORD_PAGES = ["/admin/company/details/", "/admin/company/edit/", "/admin/contact/details/",
                "/admin/invoice/details/", "/admin/invoice/edit/", "/admin/invoice/pdf/",
                "/admin/quote/pdf/", "/admin/payment/edit/", "/admin/user/details/"]


@pytest.mark.parametrize("raw", NOT_AN_ID)
def test_a_record_page_with_an_impossible_id_goes_back_to_the_list_with_a_message(
        admin_client, make_company, raw):
    make_company("Acme")
    for page in RECORD_PAGES:
        response = admin_client.get(page, query_string={"id": raw}, follow_redirects=True)
        assert response.status_code == 200, page
        assert response.request.path == page.rsplit("/", 2)[0] + "/", page
        if raw:  # no id at all is a plain redirect to the list
            assert "not exist" in response.get_data(as_text=True), page


def test_a_record_page_without_an_id_goes_back_to_the_list(admin_client):
    for page in RECORD_PAGES:
        response = admin_client.get(page)
        assert response.status_code == 302, page


@pytest.mark.parametrize("raw", NOT_AN_ID)
def test_card_pages_with_an_impossible_id_are_not_found(admin_client, make_company, raw):
    make_company("Acme")
    for page in ("/admin/company/card/", "/admin/company/card/contact/",
                 "/admin/company/card/exchanges/", "/admin/company/card/photo/",
                 "/admin/company/card/document/download/"):
        response = admin_client.get(page, query_string={"id": raw, "contact": raw, "doc": raw})
        assert response.status_code == 404, page


def test_an_impossible_company_id_or_page_is_ignored_by_the_history_and_the_board(
        admin_client, make_company):
    company = make_company("Acme")
    assert admin_client.get("/admin/sales-history/?company_id=99999999999").status_code == 404
    response = admin_client.get(f"/admin/sales-history/?company_id={company.id}"
                                "&invoice_page=99999999999999999999&quote_page=-1")
    assert response.status_code == 200
    assert admin_client.get("/admin/pipeline/?owner_id=99999999999").status_code == 200


def test_a_nul_byte_in_a_list_search_is_dropped(admin_client, make_company):
    make_company("Acme")
    make_company("Globex")
    html = admin_client.get("/admin/company/", query_string={"search": "Ac\x00me"}).get_data(
        as_text=True)
    assert "Acme" in html and "Globex" not in html


def test_list_pages_and_filters_beyond_the_database_range_show_a_message(admin_client,
                                                                          make_company):
    make_company("Acme")
    assert admin_client.get("/admin/company/?page=-1").status_code == 200
    assert admin_client.get("/admin/company/?page=99999999999999999999").status_code == 200
    response = admin_client.get("/admin/exchange/?flt0_author_equals=99999999999",
                                follow_redirects=True)
    assert response.status_code == 200
    assert "Invalid Filter Value" in response.get_data(as_text=True)


def test_a_nul_byte_in_the_merge_search_is_dropped(admin_client, make_company):
    kept = make_company("Kept")
    make_company("Acme")
    lookup = "/admin/company/merge/ajax/lookup/"
    response = admin_client.get(lookup, query_string={"name": "absorb", "id": kept.id,
                                                      "query": "Ac\x00me"})
    assert [name.split(" (")[0] for _id, name in response.get_json()] == ["Acme"]
    for hostile in ("99999999999", "#99999999999999999999"):
        response = admin_client.get(lookup, query_string={"name": "absorb", "id": kept.id,
                                                          "query": hostile})
        assert response.get_json() == []


def test_ajax_pickers_drop_nul_bytes_and_ignore_impossible_offsets(admin_client, make_company):
    make_company("Acme")
    for query in ({"query": "Ac\x00me"}, {"query": "Acme", "offset": "-5", "limit": "-1"},
                  {"query": "Acme", "offset": "99999999999999999999"}):
        response = admin_client.get("/admin/contact/ajax/lookup/",
                                    query_string={"name": "company", **query})
        assert response.status_code == 200, query
    found = json.loads(admin_client.get("/admin/contact/ajax/lookup/", query_string={
        "name": "company", "query": "Ac\x00me"}).get_data(as_text=True))
    assert [name for _id, name in found] == ["Acme"]


def test_a_form_naming_an_impossible_company_is_refused_not_crashed(admin_client):
    response = admin_client.post("/admin/contact/new/", data={
        "company": "99999999999", "last_name": "Roux"})
    assert response.status_code == 200
    assert Company.query.count() == 0
