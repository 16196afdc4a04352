"""In a real browser: log in, open a client card, record an exchange, see it in the timeline."""
from admin_app.extensions import db
from admin_app.models import Contact
from tests.conftest import browser_login


def test_user_records_an_exchange_from_the_card_in_the_browser(live_server, browser, admin_user,
                                                               make_company, tmp_path):
    company = make_company("Browser Test SL")
    db.session.add(Contact(company_id=company.id, first_name="Ana", last_name="Garcia"))
    db.session.commit()
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/card/?id={company.id}")
    assert page.locator("[data-section=exchanges] [data-empty]").is_visible()
    page.click("[data-action=add-exchange]")
    page.click("[data-add-kind=note]")  # meetings have their own form (test_meetings.py)
    page.wait_for_url(lambda url: "/admin/company/card/exchange/" in url)
    page.click("[data-kind-tab=call]")
    page.select_option("select[name=contact_id]", label="Ana Garcia")
    page.fill("input[name=title]", "Called about the renewal")
    page.fill("textarea[name=body]", "They want a 3-year contract.")
    page.fill("input[name=callback_at]", "2031-05-04T09:30")
    page.click("[data-card-form] [data-action=save]")
    page.wait_for_url(lambda url: url.split("#")[0].endswith(f"/admin/company/card/?id={company.id}"))
    item = page.locator("[data-timeline] [data-kind=call]").first
    assert "Called about the renewal" in item.inner_text()
    assert "with Ana Garcia" in item.inner_text()
    assert "Call back May 4, 2031, 9:30\u202fAM" in item.inner_text()
    assert "Phone call recorded." in page.content()
    page.screenshot(path=str(tmp_path / "card.png"), full_page=True)
