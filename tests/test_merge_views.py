"""The merge pages, the duplicates page and the creation warning, through HTTP."""
import re

import pytest
from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import Company, Contact, DuplicateIgnore, Merge
from admin_app.services.merge import merge_companies
from tests.merge_helpers import fill_company


@pytest.fixture
def twins(make_company, make_invoice):
    kept = make_company("Acme Logistics", email="info@acme.example", phone=None)
    absorbed = make_company("ACME Logistics SL", email="sales@acme.example", phone="912 345 678")
    fill_company(kept, make_invoice, "K")
    fill_company(absorbed, make_invoice, "A")
    return kept, absorbed


@pytest.mark.parametrize("method, url", [
    ("get", "/admin/company/merge/?id=1"), ("get", "/admin/company/merge/?id=1&absorb=2"),
    ("post", "/admin/company/merge/?id=1&absorb=2"), ("get", "/admin/company/merge/ajax/lookup/?name=absorb&id=1&query=ac"),
    ("post", "/admin/company/merge/undo/"), ("get", "/admin/duplicates/"),
    ("post", "/admin/duplicates/ignore/"), ("post", "/admin/duplicates/merge-group/"),
])
def test_merging_is_refused_to_users_on_the_server(user_client, twins, method, url):
    assert getattr(user_client, method)(url).status_code == 403
    assert db.session.get(Company, twins[1].id).merged_into_id is None


def test_merge_page_searches_and_suggests_the_duplicate(admin_client, twins, make_company):
    kept, absorbed = twins
    page = admin_client.get(f"/admin/company/merge/?id={kept.id}").get_data(as_text=True)
    assert 'data-section="merge-search"' in page and "ACME Logistics SL" in page
    assert 'data-role="select2-ajax"' in page  # the admin's own ajax picker
    lookup = f"/admin/company/merge/ajax/lookup/?name=absorb&id={kept.id}&query="
    found = admin_client.get(lookup + "acme").get_json()
    assert [row[0] for row in found] == [absorbed.id]  # never the kept one
    assert admin_client.get(lookup + "a").get_json() == []  # two characters at least
    assert [row[0] for row in admin_client.get(lookup + f"%23{absorbed.id}").get_json()] == [
        absorbed.id]


def test_merge_search_never_offers_a_merged_away_company(admin_client, twins, make_company,
                                                         admin_user):
    from admin_app.services.merge import merge_companies
    kept, absorbed = twins
    third = make_company("Acme Logistics Iberia")
    merge_companies(absorbed, third, admin_user)
    db.session.commit()
    lookup = f"/admin/company/merge/ajax/lookup/?name=absorb&id={kept.id}&query=acme"
    assert [row[0] for row in admin_client.get(lookup).get_json()] == [absorbed.id]


def test_preview_shows_fields_side_by_side_and_rows_to_move_without_changing_anything(
        admin_client, twins):
    kept, absorbed = twins
    page = admin_client.get(f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-section="merge-preview"' in html
    assert 'data-linked="invoices.company_id" data-moving="1"' in html
    assert 'data-linked="addresses.company_id" data-moving="2"' in html
    assert re.search(r'name="choice_email"\s+value="absorbed"', html)
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 0


def test_posting_the_preview_merges_with_the_chosen_fields(admin_client, twins):
    kept, absorbed = twins
    response = admin_client.post(f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}",
                                 data={"choice_email": "absorbed", "note": "same VAT"})
    assert response.status_code == 302
    assert f"id={kept.id}" in response.location
    db.session.expire_all()
    kept_now = db.session.get(Company, kept.id)
    assert kept_now.email == "sales@acme.example" and kept_now.phone == "912 345 678"
    assert db.session.get(Company, absorbed.id).merged_into_id == kept.id
    assert db.session.scalars(select(Merge)).one().note == "same VAT"


def test_merge_without_csrf_token_changes_nothing(admin_client, twins):
    kept, absorbed = twins
    response = admin_client.post(f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}",
                                 csrf=False)
    assert response.status_code == 400
    assert db.session.get(Company, absorbed.id).merged_into_id is None


def test_bad_pairs_get_a_clear_message_not_an_error_page(admin_client, twins, admin_user):
    kept, absorbed = twins
    same = admin_client.get(f"/admin/company/merge/?id={kept.id}&absorb={kept.id}")
    assert "cannot be merged into itself" in same.get_data(as_text=True)
    missing = admin_client.get("/admin/company/merge/?id=99999", follow_redirects=True)
    assert missing.status_code == 200 and "was not found" in missing.get_data(as_text=True)
    refused = admin_client.post(f"/admin/company/merge/?id={kept.id}&absorb={kept.id}",
                                follow_redirects=True)
    assert "cannot be merged into itself" in refused.get_data(as_text=True)
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    old = admin_client.get(f"/admin/company/merge/?id={absorbed.id}")
    assert old.status_code == 302 and f"id={kept.id}" in old.location


def test_undo_from_the_merges_list_restores_and_cannot_run_twice(admin_client, twins, admin_user):
    kept, absorbed = twins
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    listing = admin_client.get("/admin/merge/").get_data(as_text=True)
    assert f'data-undo-merge="{merge.id}"' in listing
    page = admin_client.post("/admin/company/merge/undo/", data={"merge_id": merge.id},
                             follow_redirects=True).get_data(as_text=True)
    assert "Merge undone" in page
    db.session.expire_all()
    assert db.session.get(Company, absorbed.id).merged_into_id is None
    assert db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.company_id == absorbed.id)) == 1
    again = admin_client.post("/admin/company/merge/undo/", data={"merge_id": merge.id},
                              follow_redirects=True).get_data(as_text=True)
    assert "already undone" in again


def test_duplicates_page_lists_pairs_with_reasons_and_remembers_ignored_ones(admin_client, twins):
    kept, absorbed = twins
    page = admin_client.get("/admin/duplicates/").get_data(as_text=True)
    assert f'data-pair="{kept.id}-{absorbed.id}"' in page
    assert 'data-reason="name"' in page and 'data-reason="email_domain"' in page
    assert f"/admin/company/merge/?id={kept.id}&amp;absorb={absorbed.id}" in page
    admin_client.post("/admin/duplicates/ignore/", data={"low": absorbed.id, "high": kept.id})
    assert db.session.scalar(select(func.count()).select_from(DuplicateIgnore)) == 1
    page = admin_client.get("/admin/duplicates/").get_data(as_text=True)
    assert f'data-pair="{kept.id}-{absorbed.id}"' not in page and "data-empty" in page


def test_a_group_of_three_is_merged_into_one_in_a_single_step(admin_client, make_company):
    a, b, c = (make_company(n) for n in ("Kestrel Media", "Kestrel Media SL", "KESTREL MEDIA SA"))
    page = admin_client.get("/admin/duplicates/").get_data(as_text=True)
    assert 'data-section="duplicate-groups"' in page
    response = admin_client.post("/admin/duplicates/merge-group/",
                                 data={"kept": b.id, "member": [a.id, b.id, c.id]})
    assert response.status_code == 302
    db.session.expire_all()
    assert [db.session.get(Company, i).merged_into_id for i in (a.id, b.id, c.id)] == [
        b.id, None, b.id]
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 2


def test_creating_a_look_alike_company_shows_candidates_before_saving(admin_client, make_company):
    existing = make_company("Nimbus Analytics", legal_id="B99887766")
    form = {"name": "Nimbus Analytics SAS", "status": "lead", "legal_id": ""}
    page = admin_client.post("/admin/company/new/", data=form)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-duplicate-candidates" in html
    assert "Nimbus Analytics" in html and "Create anyway" in html
    assert db.session.scalar(select(func.count()).select_from(Company)) == 1
    saved = admin_client.post("/admin/company/new/", data={**form, "create_anyway": "y"})
    assert saved.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Company)) == 2
    assert existing.id


def test_creating_a_distinct_company_saves_at_once_without_the_checkbox(admin_client, make_company):
    make_company("Nimbus Analytics")
    assert "create_anyway" not in admin_client.get("/admin/company/new/").get_data(as_text=True)
    saved = admin_client.post("/admin/company/new/", data={"name": "Quartz Robotics",
                                                           "status": "lead"})
    assert saved.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Company)) == 2


def test_users_see_the_cards_merges_without_an_undo_button(user_client, admin_user,
                                                          make_company):
    kept, absorbed = make_company("Kept Foods"), make_company("Kept Foods Iberia")
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    html = user_client.get(f"/admin/company/card/?id={kept.id}").get_data(as_text=True)
    assert 'data-section="merges"' in html and "Kept Foods Iberia" in html
    assert "data-undo-merge" not in html


def test_the_card_lists_its_merges_and_admins_undo_them_from_there(admin_client, admin_user,
                                                                   make_company):
    kept, absorbed = make_company("Kept Foods"), make_company("Kept Foods Iberia")
    card = f"/admin/company/card/?id={kept.id}"
    assert 'data-section="merges"' not in admin_client.get(card).get_data(as_text=True)
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    html = admin_client.get(card).get_data(as_text=True)
    section = html[html.index('data-section="merges"'):]
    assert "Kept Foods Iberia" in section and "Ada Admin" in section
    assert f'data-undo-merge="{merge.id}"' in section
    next_url = re.search(r'name="next" value="([^"]+)"', section).group(1).replace("&amp;", "&")
    response = admin_client.post("/admin/company/merge/undo/",
                                 data={"merge_id": merge.id, "next": next_url})
    assert response.status_code == 302 and response.location.endswith(card)
    db.session.expire_all()
    assert db.session.get(Company, absorbed.id).merged_into_id is None
    assert 'data-section="merges"' not in admin_client.get(card).get_data(as_text=True)


def test_the_cards_merges_take_one_query_however_many(admin_client, admin_user, make_company,
                                                      count_queries):
    counts = []
    for n in (1, 6):
        kept = make_company(f"Kept {n}")
        for i in range(n):
            merge_companies(kept, make_company(f"Absorbed {n}-{i}"), admin_user)
        db.session.commit()
        admin_client.get(f"/admin/company/card/?id={kept.id}")  # warm-up
        db.session.remove()
        with count_queries() as statements:
            html = admin_client.get(f"/admin/company/card/?id={kept.id}").get_data(as_text=True)
        assert html.count("data-merge-id=") == n
        counts.append(len(statements))
    assert counts[0] == counts[1], counts
