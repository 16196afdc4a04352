"""The main pages fit a laptop (1280 px) and a tablet (768 px): no horizontal scroll, even with a
long name and a long e-mail address on the card."""
import pytest

from admin_app.extensions import db
from admin_app.models import Address, Contact
from tests.card_support import card_url
from tests.screens_support import horizontal_overflow, save_screenshot
from conftest import TEST_PASSWORD

LONG_NAME = "Compañía Internacional de Servicios Logísticos y Transportes Marítimos del Mediterráneo"
LONG_EMAIL = "departamento.de.contabilidad.y.facturacion.internacional@" \
             "companiainternacionaldeservicioslogisticos.example"


@pytest.fixture
def pages(make_company, make_invoice):
    kept = make_company(name=LONG_NAME, status="client", email=LONG_EMAIL)
    absorbed = make_company(name=LONG_NAME + " SL", status="lead")
    db.session.add_all([
        Address(company=kept, label="Sede", line1="Calle Mayor 1", city="Madrid", country="ES",
                is_main=True),
        Contact(company=kept, first_name="Ana", last_name="Ruiz", email=LONG_EMAIL),
    ])
    db.session.commit()
    make_invoice(kept)
    return {
        "dashboard": "/admin/", "card": card_url(kept.id), "companies": "/admin/company/",
        "contacts": "/admin/contact/", "invoices": "/admin/invoice/",
        "company-form": f"/admin/company/edit/?id={kept.id}",
        "merge-preview": f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}",
        "settings": "/admin/settings/", "templates": "/admin/templates/",
        "preferences": "/admin/preferences/",
    }


@pytest.mark.parametrize("width", [1280, 768])
def test_main_pages_have_no_horizontal_scroll(browser, live_server, pages, admin_user, width):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    too_wide = {}
    for name, url in pages.items():
        page.goto(live_server + url)
        save_screenshot(page, f"width-{width}-{name}")
        overflow = horizontal_overflow(page)
        if overflow > 0:
            too_wide[name] = overflow
    assert not too_wide, f"pages wider than {width} px (by px): {too_wide}"
