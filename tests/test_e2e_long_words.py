"""In a real browser: names and titles as long as their columns allow, without a space, wrap on
the card and in the lists instead of making the page wider than the window."""
from datetime import datetime

from admin_app.extensions import db
from admin_app.models import Contact, Exchange
from tests.conftest import TEST_PASSWORD

WIDTH = 1280


def _log_in(page, live_server, user):
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")


def test_long_unbroken_words_wrap_on_the_card_and_in_the_lists(live_server, browser, admin_user,
                                                               make_company):
    company = make_company("N" * 200, email="x" * 240 + "@example.com",
                           website="https://example.com/" + "p" * 230)
    contact = Contact(company=company, first_name="F" * 100, last_name="L" * 100,
                      job_title="J" * 120)
    db.session.add_all([contact, Exchange(company=company, contact=contact, kind="call",
                                          title="T" * 200, body="B" * 2000,
                                          occurred_at=datetime(2024, 1, 2, 10))])
    db.session.commit()
    page = browser.new_page(viewport={"width": WIDTH, "height": 900})
    _log_in(page, live_server, admin_user)
    for path in (f"/admin/company/card/?id={company.id}", "/admin/company/", "/admin/contact/",
                 "/admin/exchange/", f"/admin/company/details/?id={company.id}",
                 f"/admin/company/card/contact/?id={company.id}&contact={contact.id}"):
        page.goto(f"{live_server}{path}")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= WIDTH, f"{path} is {width}px wide"
