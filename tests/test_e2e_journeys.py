"""A user's journeys through the back office in Chromium, one test each; each leaves a picture of
its last page in test-screenshots/ (git-ignored)."""
from datetime import date, timedelta

from PIL import Image

from admin_app.extensions import db
from admin_app.models import Company, Contact, Invoice
from tests.card_support import card_url, kpi_values
from tests.conftest import browser_login
from tests.screens_support import save_screenshot


def _card(page, live_server, company_id):
    page.goto(f"{live_server}{card_url(company_id)}")
    return kpi_values(page.content())


def _create_invoice(page, live_server, company_id, issued_on):
    """Through the invoice form, as a user would: one line of 2 × 500.00 at 20 %."""
    page.goto(f"{live_server}/admin/invoice/new/?company_id={company_id}")
    page.fill("input[name=issue_date]", issued_on.isoformat())
    page.fill("input[name=due_date]", (issued_on + timedelta(days=30)).isoformat())
    page.click("[data-add-inline-field=lines]")
    page.fill("input[name='lines-0-description']", "Consulting day")
    page.fill("input[name='lines-0-quantity']", "2")
    page.fill("input[name='lines-0-unit_price']", "500")
    page.fill("input[name='lines-0-tax_rate']", "20")
    page.click("form.admin-form input[type=submit][value], form.admin-form button[type=submit]")
    page.wait_for_load_state()
    invoice = db.session.scalar(db.select(Invoice).where(Invoice.company_id == company_id))
    assert invoice is not None and invoice.status == "draft"
    return invoice


def test_journey_create_a_lead_with_two_addresses_the_second_for_invoices(
        live_server, browser, admin_user, make_company):
    lead = make_company("Lumen Labs", status="lead")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}{card_url(lead.id)}")
    for label, line1, invoices in (("Head office", "1 Harbour Road", False),
                                   ("Accounts", "9 Ledger Lane", True)):
        page.click("[data-action=add-address]")
        page.fill("input[name=label]", label)
        page.fill("input[name=line1]", line1)
        page.fill("input[name=city]", "Madrid")
        page.fill("input[name=country]", "ES")
        if invoices:
            page.check("input[name=is_billing_default]")
        page.click("[data-card-form] [data-action=save]")
        page.wait_for_url(lambda url: "/admin/company/card/?id=" in url)
        assert "Address added." in page.content()
    section = page.locator("[data-section=addresses]")
    accounts = section.locator("li, .list-group-item", has_text="Accounts").first
    assert accounts.locator("[data-default=invoices]").count() == 1
    assert section.locator("[data-default=invoices]").count() == 1
    save_screenshot(page, "journey-lead-two-addresses")


def test_journey_add_a_contact_with_a_photo(live_server, browser, admin_user, make_company,
                                           tmp_path):
    company = make_company("Lumen Labs")
    photo = tmp_path / "ana.png"
    Image.new("RGB", (120, 120), (40, 120, 200)).save(photo)
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}{card_url(company.id)}")
    page.click("[data-action=add-contact]")
    page.fill("input[name=first_name]", "Ana")
    page.fill("input[name=last_name]", "Ruiz")
    page.fill("input[name=email]", "ana@lumen.example")
    page.set_input_files("input[name=photo]", str(photo))
    page.click("[data-card-form] [data-action=save]")
    page.wait_for_url(lambda url: "/admin/company/card/?id=" in url)
    assert "Contact added." in page.content()
    image = page.locator("[data-section=contacts] img.contact-photo")
    image.wait_for()
    assert page.evaluate("img => img.complete && img.naturalWidth > 0", image.element_handle())
    assert db.session.scalar(db.select(Contact.photo)) is not None
    save_screenshot(page, "journey-contact-photo")


def test_journey_invoice_issued_and_paid_twice_moves_the_cards_figures_and_makes_a_client(
        live_server, browser, admin_user, make_company):
    lead = make_company("Lumen Labs", status="lead")
    page = browser_login(browser, live_server, admin_user.email)
    before = _card(page, live_server, lead.id)
    assert before["revenue"] in ("0.00", "") and before["average-payment-delay"] == ""

    invoice = _create_invoice(page, live_server, lead.id, date.today() - timedelta(days=10))
    page.goto(f"{live_server}/admin/invoice/details/?id={invoice.id}")
    page.click("button[data-action=issue]")
    page.wait_for_load_state()
    assert "Invoice issued with number" in page.content()

    issued = _card(page, live_server, lead.id)
    assert issued["revenue"] == "1000.00" and issued["outstanding"] == "1200.00"
    assert page.locator("[data-status]").get_attribute("data-status") == "client"

    for amount in ("700.00", "500.00"):
        page.goto(f"{live_server}/admin/invoice/details/?id={invoice.id}")
        page.fill("#pay-amount", amount)
        page.fill("input[name=paid_on]", date.today().isoformat())
        page.click("form[action$='/admin/invoice/pay/'] button[type=submit]")
        page.wait_for_load_state()
        assert "recorded on invoice" in page.content()
        if amount == "700.00":
            partly = _card(page, live_server, lead.id)
            assert partly["outstanding"] == "500.00" and partly["average-payment-delay"] == ""

    paid = _card(page, live_server, lead.id)
    assert paid["revenue"] == "1000.00" and paid["outstanding"] == "0.00"
    assert paid["average-payment-delay"] == "10.0"
    db.session.expire_all()
    assert db.session.get(Company, lead.id).status == "client"
    save_screenshot(page, "journey-invoice-paid-twice")


def test_journey_merge_two_duplicates_with_the_preview_then_undo(live_server, browser, admin_user,
                                                                make_company):
    kept = make_company("Northwind Traders", email="info@northwind.example")
    twin = make_company("Northwynd Trading Co", phone="+34 911 000 111")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}/admin/company/merge/?id={kept.id}&absorb={twin.id}")
    preview = page.locator("[data-section=merge-preview]")
    assert preview.is_visible() and "Northwynd Trading Co" in preview.inner_text()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-merge-confirm]")
    page.wait_for_url(lambda url: f"/admin/company/card/?id={kept.id}" in url)
    assert "was merged into" in page.content()
    db.session.expire_all()
    assert db.session.get(Company, twin.id).merged_into_id == kept.id
    page.goto(f"{live_server}/admin/company/merge/?id={kept.id}")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-action=undo-merge], form[action*='undo'] button[type=submit]")
    page.wait_for_load_state()
    assert "Merge undone" in page.content()
    db.session.expire_all()
    assert db.session.get(Company, twin.id).merged_into_id is None
    save_screenshot(page, "journey-merge-undo")


def test_journey_the_lead_becomes_a_client_when_its_invoice_is_issued(
        live_server, browser, admin_user, make_company):
    lead = make_company("Lumen Labs", status="lead")
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}{card_url(lead.id)}")
    assert page.locator("[data-status]").get_attribute("data-status") == "lead"
    assert page.locator("[data-status]").inner_text() == "Lead"
    invoice = _create_invoice(page, live_server, lead.id, date.today())
    page.goto(f"{live_server}/admin/invoice/details/?id={invoice.id}")
    page.click("button[data-action=issue]")
    page.wait_for_load_state()
    page.goto(f"{live_server}{card_url(lead.id)}")
    badge = page.locator("[data-status]")
    assert badge.get_attribute("data-status") == "client" and badge.inner_text() == "Client"
    assert "client since" in page.locator("[data-section=general]").inner_text()
    save_screenshot(page, "journey-lead-becomes-client")


def test_journey_use_the_whole_card_in_spanish(live_server, browser, admin_user, make_company,
                                             make_invoice):
    from tests.language_support import english_words
    company = make_company("Lumen Labs", status="client", email="hola@lumen.example",
                           phone="+34 912 345 678")
    make_invoice(company, lines=(("2", "617.25", "21"),))
    page = browser_login(browser, live_server, admin_user.email)
    page.goto(f"{live_server}{card_url(company.id)}&lang=es")
    assert "Intercambios" in page.content() and "Modificar" in page.content()
    assert "1.234,50" in page.locator("[data-kpi=revenue]").inner_text()
    # Every form of the card, in Spanish, and back: address, contact, exchange.
    page.click("[data-action=add-address]")
    assert "Dirección" in page.content()
    page.fill("input[name=label]", "Sede")
    page.fill("input[name=line1]", "Calle Mayor 1")
    page.click("[data-card-form] [data-action=save]")
    page.wait_for_url(lambda url: "/admin/company/card/?id=" in url)
    assert "Dirección añadida." in page.content()
    page.click("[data-action=add-contact]")
    page.fill("input[name=first_name]", "Ana")
    page.fill("input[name=last_name]", "Ruiz")
    page.click("[data-card-form] [data-action=save]")
    page.wait_for_url(lambda url: "/admin/company/card/?id=" in url)
    assert "Contacto añadido." in page.content()
    page.goto(f"{live_server}/admin/company/card/exchange/?id={company.id}&kind=call")
    page.fill("input[name=title]", "Llamada de renovación")
    page.click("[data-card-form] [data-action=save], form button[data-action=save]")
    page.wait_for_url(lambda url: "/admin/company/card/?id=" in url)
    assert "Registrado: Llamada telefónica." in page.content()
    allowed = ("Lumen Labs", "Back office de clientes", "Llamada de renovación", "Ana Ruiz",
               "Calle Mayor 1", "hola@lumen.example", "Admin")
    from tests.language_support import context_of
    html = page.content()
    assert english_words(html, allowed=allowed) == [], context_of(
        html, english_words(html, allowed=allowed), allowed)
    save_screenshot(page, "journey-card-in-spanish")
