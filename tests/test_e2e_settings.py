"""In a real browser, an admin changes the invoice prefix and the payment terms on the settings
page and sees both on the next invoice."""
from datetime import date, timedelta

from admin_app.extensions import db
from admin_app.models import Invoice
from tests.conftest import browser_login


def test_admin_changes_prefix_and_terms_and_the_next_invoice_follows(
        live_server, browser, admin_user, make_company, make_document):
    year = date.today().year
    draft = make_document("invoice", make_company("Browser Client SL"))
    page = browser_login(browser, live_server, admin_user.email)
    page.set_viewport_size({"width": 1366, "height": 900})

    # Configuration > Settings, from the menu.
    page.click("text=Configuration")
    page.click("a.dropdown-item:has-text('Settings')")
    page.wait_for_url(f"{live_server}/admin/settings/")
    commercial = page.locator("[data-settings-section=commercial]")
    preview = commercial.locator("code[data-next-number=invoice]")
    assert preview.inner_text() == f"INV-{year}-0001"
    commercial.locator("input[name=invoice_prefix]").fill("fac")
    assert preview.inner_text() == f"FAC-{year}-0001"  # previewed while typing
    commercial.locator("input[name=payment_terms_days]").fill("45")
    commercial.locator("[data-action=save-commercial]").click()
    page.wait_for_load_state()
    assert "Commercial settings saved" in page.inner_text(".alert-success")
    assert page.locator("[data-settings-section=commercial] "
                        "code[data-next-number=invoice]").inner_text() == f"FAC-{year}-0001"

    # A refused value says why beside the field and keeps the saved one.
    commercial = page.locator("[data-settings-section=commercial]")
    commercial.locator("input[name=payment_terms_days]").fill("400")
    commercial.locator("[data-action=save-commercial]").click()
    page.wait_for_load_state()
    assert "from 0 to 365" in page.inner_text("[data-error-for=payment_terms_days]")

    # The new-invoice form is due 45 days after today.
    page.goto(f"{live_server}/admin/invoice/new/")
    due = (date.today() + timedelta(days=45)).isoformat()
    assert page.input_value("input[name=due_date]") == due

    # Issuing the draft gives it the new prefix.
    page.goto(f"{live_server}/admin/invoice/details/?id={draft.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=issue]")
    page.wait_for_load_state()
    assert f"FAC-{year}-0001" in page.inner_text("body")
    db.session.expire_all()
    assert db.session.get(Invoice, draft.id).number == f"FAC-{year}-0001"
