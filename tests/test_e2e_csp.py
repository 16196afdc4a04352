"""In Chromium, with the Content-Security-Policy enforced: every page loads without a violation
or a script error, and the widgets that used inline handlers (confirmations, pickers, filters,
bulk actions, inline forms, the comments editor) still work."""
import pytest

from admin_app.extensions import db
from admin_app.models import Company, Contact
from tests.conftest import TEST_PASSWORD
from tests.page_crawl import crawl, seed_site, start_urls

# Registered before any page script runs (by the browser's debugging protocol, which the page's
# policy does not govern): every violation the page reports is kept for the test to read.
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__violations.push(e.violatedDirective + ' blocked ' + (e.blockedURI || 'inline') +
                           ' at ' + e.sourceFile + ':' + e.lineNumber + ' ' + e.sample);
});
"""


class Watched:
    """A logged-in page that records CSP violations, console errors and script errors."""

    def __init__(self, browser, base: str, email: str):
        self.base = base
        self.problems: list[str] = []
        self.page = browser.new_page()
        self.page.add_init_script(COLLECT_VIOLATIONS)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda e: self.problems.append(f"script error on "
                                                                 f"{self.page.url}: {e}"))
        self.goto("/login")
        self.page.fill("input[name=email]", email)
        self.page.fill("input[name=password]", TEST_PASSWORD)
        self.page.click("form button[type=submit]")
        self.page.wait_for_url(f"{base}/admin/")

    def _console(self, message) -> None:
        # The browser asks every site for /favicon.ico by itself; this one has none.
        if message.type == "error" and not message.location.get("url", "").endswith(
                "/favicon.ico"):
            self.problems.append(f"console error on {self.page.url}: {message.text}")

    def goto(self, url: str) -> None:
        self.settle()
        self.page.goto(self.base + url)

    def settle(self) -> None:
        """Collect the violations the page reported (after the tasks queued so far ran)."""
        if self.page.url.startswith("http"):
            self.page.evaluate("() => new Promise(done => setTimeout(done, 0))")
            for violation in self.page.evaluate("() => window.__violations || []"):
                self.problems.append(f"CSP violation on {self.page.url}: {violation}")
            self.page.evaluate("() => { window.__violations = []; }")

    def check(self) -> None:
        self.settle()
        assert not self.problems, "\n".join(self.problems)


@pytest.fixture
def site(admin_user):
    """Ids of the seeded site's records that the pages below need."""
    return seed_site(admin_user, TEST_PASSWORD)


def test_every_page_loads_in_chromium_without_a_policy_violation(app, live_server, browser, site,
                                                                 admin_client, admin_user):
    pages = crawl(admin_client, start_urls(app, site))  # the test client finds the pages
    one_per_path = {}
    for url, response in pages.items():
        if response.status_code == 200 and response.mimetype == "text/html":
            one_per_path.setdefault(url.split("?")[0], url)
    assert len(one_per_path) > 80
    watched = Watched(browser, live_server, admin_user.email)
    for url in sorted(one_per_path.values()):
        watched.goto(url)
    watched.check()


def test_the_policy_is_enforced_and_its_violations_are_seen(live_server, browser, admin_user):
    watched = Watched(browser, live_server, admin_user.email)
    watched.page.evaluate("""() => { const s = document.createElement('script');
        s.textContent = 'window.injected = true'; document.body.appendChild(s); }""")
    watched.settle()
    assert watched.page.evaluate("() => window.injected") is None
    assert any("script-src" in p for p in watched.problems), watched.problems


def test_widgets_work_under_the_policy(live_server, browser, site, admin_user):
    ids = site
    watched = Watched(browser, live_server, admin_user.email)
    page = watched.page
    dialogs = []

    def dismiss(dialog):
        dialogs.append(dialog.message)
        dialog.dismiss()
    page.on("dialog", dismiss)

    # The merge page's select2 picker asks the server as the user types.
    spare = db.session.get(Company, ids["spare"])
    watched.goto(f"/admin/company/merge/?id={ids['kept']}")
    page.click("#s2id_absorb")
    page.keyboard.type(spare.name[:4])
    page.locator(".select2-result-label", has_text=spare.name).first.click()
    page.click("[data-merge-search] button[type=submit]")
    page.wait_for_url(lambda url: f"absorb={spare.id}" in url)
    # Its confirmation comes from data-confirm; dismissed, nothing is merged.
    page.click("[data-merge-confirm]")
    assert dialogs and spare.name in dialogs[-1]
    db.session.expire_all()
    assert db.session.get(Company, spare.id).merged_into_id is None

    # The merge history's undo button asks first, too.
    watched.goto(f"/admin/company/merge/?id={ids['kept']}")
    page.click("[data-undo-merge]")
    assert "Undo this merge?" in dialogs[-1]

    # The card's comments editor.
    watched.goto(f"/admin/company/card/?id={ids['kept']}")
    page.click("[data-action=edit-comments]")
    editor = page.locator("[data-editor]")
    editor.wait_for()
    editor.click()
    page.keyboard.type("Typed under a strict policy")
    assert "Typed under a strict policy" in editor.inner_text()

    # A list: a filter from the "Add Filter" menu, a row's delete button, a bulk action.
    watched.goto("/admin/contact/")
    page.click("text=Add Filter")
    page.locator("a.filter").first.click()
    page.locator(".filters tr").first.wait_for()
    contacts = db.session.query(Contact).count()
    page.locator("form.icon button[data-confirm]").first.click()
    assert "delete this record" in dialogs[-1]
    page.locator("input.action-checkbox").first.check()
    page.click("text=With selected")
    page.click("[data-model-action=delete]")
    assert "delete selected" in dialogs[-1].lower()
    db.session.expire_all()
    assert db.session.query(Contact).count() == contacts

    # Inline forms: "Add Address" on the company form.
    watched.goto("/admin/company/new/")
    before = page.locator("#addresses .inline-field-list > .inline-field").count()
    page.click("#addresses-button")
    assert page.locator("#addresses .inline-field-list > .inline-field").count() == before + 1

    # A select2 picker of a model form (the contact's company).
    watched.goto("/admin/contact/new/")
    page.locator("#s2id_company").click()
    page.keyboard.type(spare.name[:4])
    page.locator(".select2-result-label", has_text=spare.name).first.wait_for()

    # The duplicates page's score filter sends itself.
    watched.goto("/admin/duplicates/")
    page.select_option("#min-score", index=0)
    page.wait_for_url(lambda url: "min_score=" in url)

    watched.goto("/admin/pipeline/")
    watched.goto("/admin/")
    watched.check()
