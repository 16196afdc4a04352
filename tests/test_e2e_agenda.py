"""In a real browser: log a call with a call-back on the card, find it on the agenda."""
from tests.conftest import browser_login


def test_a_call_back_logged_on_the_card_shows_on_the_agenda(live_server, browser, admin_user,
                                                            make_company):
    company = make_company("Agenda Test SL")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/card/?id={company.id}")
    page.click("[data-action=add-exchange]")
    page.click("[data-add-kind=call]")
    page.wait_for_url(lambda url: "/admin/company/card/exchange/" in url)
    page.fill("input[name=title]", "Asked for a new quote")
    page.fill("input[name=callback_at]", "2031-05-07T11:15")
    page.click("[data-card-form] [data-action=save]")
    page.wait_for_selector(".alert-success")
    page.goto(f"{live_server}/admin/agenda/?view=week&date=2031-05-07")
    cell = page.locator("[data-day='2031-05-07'] [data-agenda-item=reminder]")
    assert "Asked for a new quote" in cell.inner_text() and "11:15" in cell.inner_text()
    page.click("[data-view=month]")
    page.wait_for_selector("[data-agenda=month]")
    assert "Asked for a new quote" in page.locator("[data-day='2031-05-07']").inner_text()
    cell = page.locator("[data-day='2031-05-07'] [data-agenda-item=reminder] a")
    cell.click()
    page.wait_for_url(lambda url: f"/admin/company/card/?id={company.id}" in url)
