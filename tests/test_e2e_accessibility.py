"""axe-core finds no serious or critical violation on the main pages, in Chromium."""
from datetime import datetime

import pytest

from admin_app.extensions import db
from admin_app.models import Address, Contact, Exchange
from tests.a11y_support import axe_violations
from tests.card_support import card_url
from conftest import TEST_PASSWORD


@pytest.fixture
def pages(admin_user, make_company, make_invoice):
    kept = make_company(name="Alpha Logistics", status="client", email="hello@alpha.example")
    absorbed = make_company(name="Alpha Logistic", status="lead")
    db.session.add_all([
        Address(company=kept, label="Head office", line1="1 Harbour Road", city="Madrid",
                country="ES", is_main=True),
        Contact(company=kept, first_name="Ana", last_name="Ruiz", email="ana@alpha.example"),
        Exchange(company=kept, kind="call", title="Renewal", author=admin_user,
                 occurred_at=datetime(2026, 5, 1, 10, 0), callback_at=datetime(2026, 5, 9, 9, 0)),
    ])
    db.session.commit()
    invoice = make_invoice(kept)
    return {
        "my account": "/admin/account/",
        "invoice details": f"/admin/invoice/details/?id={invoice.id}",
        "credit note form": f"/admin/creditnote/credit/?invoice_id={invoice.id}",
        "verify a signed file": "/admin/signatures/verify/",
        "dashboard": "/admin/",
        "card": card_url(kept.id),
        "company list": "/admin/company/",
        "contact list": "/admin/contact/",
        "invoice list": "/admin/invoice/",
        "company form": f"/admin/company/edit/?id={kept.id}",
        "card contact form": f"/admin/company/card/contact/?id={kept.id}",
        "card exchange form": f"/admin/company/card/exchange/?id={kept.id}",
        "merge preview": f"/admin/company/merge/?id={kept.id}&absorb={absorbed.id}",
        "settings": "/admin/settings/",
        "templates": "/admin/templates/",
        "preferences": "/admin/preferences/",
    }


def test_login_page_has_no_serious_accessibility_violation(browser, live_server):
    page = browser.new_page(bypass_csp=True)
    page.goto(f"{live_server}/login")
    assert axe_violations(page) == []


def test_main_pages_have_no_serious_accessibility_violation(browser, live_server, pages,
                                                           admin_user):
    page = browser.new_page(bypass_csp=True)  # axe is injected as a script of the test's own
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", admin_user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    found = {}
    for name, url in pages.items():
        page.goto(live_server + url)
        violations = axe_violations(page)
        if violations:
            found[name] = violations
    assert not found, "\n".join(f"{name}: {v}" for name, vs in found.items() for v in vs)
