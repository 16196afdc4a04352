"""In a real browser: find a duplicate with the merge page's picker, preview it, merge it."""
from admin_app.extensions import db
from admin_app.models import Company
from tests.conftest import browser_login


def test_admin_finds_previews_and_merges_a_duplicate_in_the_browser(live_server, browser,
                                                                    admin_user, make_company):
    kept = make_company("Northwind Traders", email="info@northwind.example")
    twin = make_company("Northwynd Trading Co", phone="+34 911 000 111")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/merge/?id={kept.id}")
    # Flask-Admin's select2 (version 3): a container "s2id_<field>", results in the drop-down.
    page.click("#s2id_absorb")
    page.keyboard.type("wynd")
    option = page.locator(".select2-result-label", has_text="Northwynd Trading Co")
    option.wait_for()
    assert page.locator(".select2-result-label", has_text="Northwind Traders").count() == 0
    option.click()
    page.click("[data-merge-search] button[type=submit]")
    page.wait_for_url(lambda url: f"absorb={twin.id}" in url)
    assert page.locator("[data-section=merge-preview]").is_visible()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-merge-confirm]")
    page.wait_for_url(lambda url: url.split("#")[0].endswith(f"/admin/company/card/?id={kept.id}"))
    assert "was merged into" in page.content()
    db.session.expire_all()
    assert db.session.get(Company, twin.id).merged_into_id == kept.id
