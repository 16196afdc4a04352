"""In a real browser: send an email from the card with a template and an attachment, and find
it at the SMTP server."""
from admin_app.extensions import db
from admin_app.models import Exchange

from tests.conftest import browser_login
from tests.mail_support import add_contacts, add_document, add_template, parts


def test_send_an_email_with_a_template_and_an_attachment_from_the_card(
        live_server, browser, admin_user, make_company, smtp_server):
    company = make_company("Globex")
    add_contacts(company)
    document = add_document(company, "price-list.pdf", b"%PDF-1.4 prices \x00\x01\x02")
    add_template(subject="Prices for {{ company.name }}",
                 body="<p>Dear {{ contact.first_name }},</p><p>Attached, our prices.</p>")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/card/?id={company.id}")
    page.click("[data-action=send-email]")
    page.wait_for_selector("[data-email-form]")
    assert page.locator("select[name=contact] option:checked").inner_text().startswith(
        "Bea Billing")
    page.select_option("select[name=email_template]", label="Follow-up")
    page.click("[data-action=fill-template]")
    page.wait_for_function(
        "document.querySelector('input[name=title]').value === 'Prices for Globex'")
    assert "Dear Bea," in page.locator("[data-editor]").inner_text()
    page.locator("[data-editor]").click()
    page.keyboard.press("End")
    page.keyboard.type(" See you soon.")
    page.check(f"input[name=attachments][value='{document.id}']")
    page.click("[data-action=send]")
    page.wait_for_selector(".alert-success")
    assert "Email sent to bea@client.example." in page.locator(".alert-success").inner_text()
    assert page.locator("[data-email-status=sent]").count() == 1

    [message] = smtp_server.messages
    assert message["Subject"] == "Prices for Globex" and message["To"] == "bea@client.example"
    text, html, attachments, _cal = parts(message)
    assert "Dear Bea," in text and "See you soon." in text and "<p>" in html
    assert attachments == {"price-list.pdf": b"%PDF-1.4 prices \x00\x01\x02"}
    assert db.session.query(Exchange).one().email_status == "sent"
