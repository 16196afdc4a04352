"""The templates page in a real browser: the live preview follows the editor and the picked
company and contact, shows errors with their line, and the template saves as default."""
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import Contact, EmailTemplate
from tests.conftest import browser_login


def test_live_preview_of_an_email_template(live_server, browser, admin_user, make_company):
    first = make_company("Alpha Bakery")
    db.session.add(Contact(company=first, first_name="Ann", last_name="Lee"))
    chosen = make_company("Zulu & Sons <Ltd>")
    db.session.add_all([Contact(company=chosen, first_name="Bob", last_name="Ray"),
                        Contact(company=chosen, first_name="Cleo", last_name="Diaz")])
    db.session.commit()
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/templates/?tab=email")

    page.fill("input[name=name]", "Welcome")
    page.select_option("select[name=purpose]", "exchange")
    page.fill("input[name=subject]", "Welcome, {{ company.name }}")
    page.fill("textarea[name=body]",
              "<p>Dear {{ contact.first_name }},</p><p>Regards, {{ user.full_name }}</p>")
    subject = page.locator("[data-preview=subject]")
    subject.filter(has_text="Welcome, Alpha Bakery").wait_for()

    # Another company, found by the search box, and its second contact.
    page.fill("[data-company-search]", "zulu")
    subject.filter(has_text="Welcome, Zulu & Sons <Ltd>").wait_for()
    page.select_option("[data-preview-contact]", label="Cleo Diaz")
    text = page.locator("[data-preview=text]")
    text.filter(has_text="Dear Cleo,").wait_for()
    assert "Regards, Ada Admin" in text.inner_text()
    html = page.frame_locator("iframe[data-preview=html]").locator("body")
    assert html.locator("p").first.inner_text() == "Dear Cleo,"
    assert page.locator("iframe[data-preview=html]").get_attribute("sandbox") == ""

    # A mistake shows its line; fixing it brings the preview back.
    page.fill("textarea[name=body]", "Hello\n{{ contact.first_name }\n")
    error = page.locator("[data-preview=error]")
    error.filter(has_text="Line 2").wait_for()
    page.fill("textarea[name=body]", "Hello {{ contact.last_name }}")
    text.filter(has_text="Hello Diaz").wait_for()
    assert error.is_hidden()

    page.check("input[name=is_default]")
    page.click("[data-action=save]")
    page.locator("[data-template=Welcome] [data-default]").wait_for()
    saved = db.session.scalar(select(EmailTemplate))
    assert (saved.name, saved.subject, saved.body, saved.is_default) == (
        "Welcome", "Welcome, {{ company.name }}", "Hello {{ contact.last_name }}", True)
