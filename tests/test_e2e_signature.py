"""In a real browser: upload a PDF on the card, ask a contact to sign it, open the link of the
email that reached the SMTP server, sign, and see "signed" on the card."""
import re

from admin_app.extensions import db
from admin_app.models import Document

from tests.a11y_support import axe_violations
from tests.conftest import browser_login
from tests.document_support import add_signer, pdf_bytes


def test_upload_request_sign_and_see_it_signed_on_the_card(
        live_server, browser, admin_user, make_company, smtp_server, tmp_path):
    company = make_company("Initech")
    add_signer(company)
    contract = tmp_path / "service-contract.pdf"
    contract.write_bytes(pdf_bytes("Service contract for Initech"))

    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/card/?id={company.id}")
    page.click("[data-action=upload-document]")
    page.set_input_files("input[name=file]", str(contract))
    page.fill("input[name=title]", "Service contract")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-section=documents] [data-action=request-signature]")

    page.click("[data-section=documents] [data-action=request-signature]")
    page.wait_for_selector("[data-form=request-signature]")
    page.check("input[name=contact]")
    page.click("[data-action=send-request]")
    page.wait_for_selector(".alert-success")
    assert page.locator("[data-signature=pending]").count() == 1

    [message] = smtp_server.messages
    html = message.get_body(("html",)).get_content()
    link = re.search(r'href="([^"]*/portal/[^"]+)"', html).group(1)
    signer = browser.new_page(bypass_csp=True)  # axe is injected as a script of the test's own
    signer.goto(link)
    signer.wait_for_selector("[data-form=sign]")
    assert axe_violations(signer) == []  # the portal is used by people outside the firm
    assert signer.locator("iframe.portal-preview").count() == 1
    # As a signer does: click the name field and type (headless Chromium's PDF viewer keeps the
    # focus until the page is clicked once).
    signer.click("input[name=signer_name]")
    signer.fill("input[name=signer_name]", "Sam Signer")
    signer.check("input[name=consent]")
    signer.click("[data-action=sign]")
    signer.wait_for_selector("[data-portal=done]")

    page.goto(f"{live_server}/admin/company/card/?id={company.id}")
    badge = page.locator("[data-section=documents] [data-signature=signed]")
    assert badge.count() == 1
    assert "Signed by Sam Signer" in page.locator("[data-signature-evidence]").inner_text()
    db.session.expire_all()
    assert db.session.query(Document).one().signature_status == "signed"
