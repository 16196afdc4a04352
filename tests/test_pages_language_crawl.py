"""Every page an admin reaches by following links, in Spanish and in French: no English word of
the interface is left (labels, filters, descriptions, buttons, sentences around numbers). The
pages that test_pages_language.py checks by name are a few; this crawl finds the others."""
import re

import pytest

from tests.conftest import TEST_PASSWORD
from tests.language_support import context_of, english_words
from tests.page_crawl import crawl, seed_site, start_urls

# The demo data is partly English (addresses labelled "Billing", "Phone call about …" exchanges,
# the email templates' bodies), time zones have English names, and "ago" is August in Spanish.
DATA = ("Back office de clientes", "Back-office clients", "Billing", "Phone call about",
        "Meeting about", "Port of Spain", "Isle of Man")
DATA_PATTERNS = (re.compile(r"\b\d{1,2} ago\.? \d{4}\b"),)
# Pages showing what users wrote, whole: the email templates' subjects and bodies.
USER_TEXT = ("/admin/emailtemplate/?",)


@pytest.mark.parametrize("language", ["es", "fr"])
def test_no_page_reached_from_the_menu_shows_english(app, admin_client, admin_user, language):
    ids = seed_site(admin_user, TEST_PASSWORD)
    admin_client.get(f"/admin/?lang={language}")
    pages = crawl(admin_client, start_urls(app, ids))
    checked, left = 0, {}
    for url, response in pages.items():
        if response.mimetype != "text/html" or response.status_code != 200:
            continue
        if url.startswith(USER_TEXT) or url.rstrip("/") == "/admin/emailtemplate":
            continue
        page = response.get_data(as_text=True)
        for pattern in DATA_PATTERNS:
            page = pattern.sub(" ", page)
        checked += 1
        words = english_words(page, allowed=DATA)
        if words:
            left[url] = context_of(page, words, allowed=DATA)
    assert checked > 100
    assert not left, "\n".join(f"{url}: {where}" for url, where in left.items())
