"""A user logs in through a real browser, lands on the dashboard and logs out."""
from tests.screens_support import save_screenshot


def test_user_logs_in_in_the_browser_sees_the_dashboard_and_logs_out(live_server, browser,
                                                                      admin_user):
    page = browser.new_page()
    page.goto(f"{live_server}/admin/company/")
    assert "/login" in page.url
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", "wrong-password")
    page.click("button[type=submit]")
    assert "Wrong email or password" in page.content()
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", "correct-horse-battery")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/company/")
    assert "Companies" in page.content()
    page.goto(f"{live_server}/admin/")
    assert page.locator("[data-section=my-clients]").is_visible()
    save_screenshot(page, "journey-login-dashboard")
    page.click("[data-action=user-menu]")
    page.click("form[action='/logout'] button")
    page.wait_for_url(f"{live_server}/login")
    assert "You are logged out." in page.content()
    page.goto(f"{live_server}/admin/")
    assert "/login" in page.url
