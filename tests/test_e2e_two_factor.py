"""In Chromium, with the CSP enforced: set up two-factor login on My account (QR code shown),
then log in again through the code step."""
import pyotp

from tests.auth_support import next_code
from tests.conftest import TEST_PASSWORD
from tests.test_e2e_csp import Watched


def test_two_factor_set_up_and_login_in_the_browser(live_server, browser, admin_user):
    watched = Watched(browser, live_server, admin_user.email)
    page = watched.page
    page.click("[data-action=user-menu]")
    page.click("[data-action=my-account]")
    page.click("[data-action=start-two-factor]")
    assert page.locator("[data-totp-qr] svg").is_visible()
    secret = page.inner_text("[data-totp-secret]")
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("[data-action=confirm-two-factor]")
    assert page.locator("[data-recovery-codes] code").count() == 10
    watched.settle()
    page.click("[data-action=user-menu]")
    page.click("form[action='/logout'] button")
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/login/two-factor")
    page.fill("input[name=code]", next_code(secret))
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    watched.goto("/admin/account/")
    assert page.get_attribute("[data-two-factor]", "data-two-factor") == "on"
    watched.check()
