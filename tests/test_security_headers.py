"""Every response carries a strict, nonce-based Content-Security-Policy and the hardening headers;
pages of a logged-in user are never cached."""
import html
import re

from tests.conftest import TEST_PASSWORD
from tests.page_crawl import crawl, seed_site, start_urls

SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)
# An event-handler attribute inside a tag (onclick=, onsubmit=...), escaped templates included.
HANDLER_ATTRIBUTE = re.compile(r"<[a-zA-Z][^>]*?\s(on[a-z]+)\s*=", re.IGNORECASE)
SCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']\s*(javascript:[^"']*)""", re.IGNORECASE)


def parse_csp(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0]] = words[1:]
    return directives


def assert_strict_policy(policy: dict[str, list[str]], where: str) -> str | None:
    """The directives every response must have; the script nonce, if the page has one."""
    scripts = policy["script-src"]
    assert "'unsafe-inline'" not in scripts and "'unsafe-eval'" not in scripts, where
    assert "'self'" not in scripts and "*" not in scripts, where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["form-action"] == ["'self'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["default-src"] == ["'self'"], where
    nonces = [s[len("'nonce-"):-1] for s in scripts if s.startswith("'nonce-")]
    assert len(nonces) <= 1, where
    if not nonces:
        assert scripts == ["'none'"], where
    return nonces[0] if nonces else None


def assert_page_obeys_its_policy(page_html: str, nonce: str | None, where: str) -> None:
    for attributes in SCRIPT_TAG.findall(page_html):
        assert f'nonce="{nonce}"' in attributes, f"{where}: <script{attributes}> without the nonce"
    for text in (page_html, html.unescape(page_html)):
        assert not HANDLER_ATTRIBUTE.findall(text), \
            f"{where}: inline event handlers {set(HANDLER_ATTRIBUTE.findall(text))}"
    for target in SCRIPT_URL.findall(page_html):
        # Flask-Admin's do-nothing links; static/behaviours.js cancels their clicks.
        assert target == "javascript:void(0)", f"{where}: {target}"


def test_every_page_of_the_site_sends_a_strict_policy_and_obeys_it(app, admin_client,
                                                                   admin_user):
    ids = seed_site(admin_user, TEST_PASSWORD)
    pages = crawl(admin_client, start_urls(app, ids))
    html_pages = {url: r for url, r in pages.items() if r.mimetype == "text/html"}
    assert len(html_pages) > 120, sorted(pages)
    reached = {url.split("?")[0] for url in html_pages}
    for must in ("/admin/", "/admin/company/card/", "/admin/company/merge/", "/admin/pipeline/",
                 "/admin/company/edit/", "/admin/invoice/details/", "/admin/duplicates/",
                 "/admin/company/card/comments/", "/admin/company/card/exchange/"):
        assert must in reached, must
    nonces = set()
    for url, response in pages.items():
        assert response.status_code < 500, url
        nonce = assert_strict_policy(parse_csp(response.headers["Content-Security-Policy"]), url)
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["Referrer-Policy"] == "same-origin", url
        assert response.headers["Cache-Control"] == "no-store", url
        if url in html_pages and response.status_code == 200:
            assert_page_obeys_its_policy(response.get_data(as_text=True), nonce, url)
            if nonce:
                nonces.add(nonce)
    # A fresh nonce for every page: a nonce seen once cannot be reused by an injected script.
    assert len(nonces) == len([u for u, r in html_pages.items()
                               if r.status_code == 200 and "nonce=" in r.get_data(as_text=True)])


def test_login_page_has_the_policy_and_runs_no_script(client):
    response = client.get("/login")
    policy = parse_csp(response.headers["Content-Security-Policy"])
    assert assert_strict_policy(policy, "/login") is None
    assert response.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached_pages_may_not(admin_client):
    assert admin_client.get("/admin/").headers["Cache-Control"] == "no-store"
    for url in ("/static/behaviours.js", "/admin/static/vendor/jquery.min.js"):
        response = admin_client.get(url)
        assert response.status_code == 200
        assert "no-store" not in response.headers.get("Cache-Control", ""), url


def test_a_company_name_in_a_confirmation_is_data_not_code(admin_client, make_company):
    kept = make_company("Kept SA")
    twin = make_company("Twin'); alert(1); ('")
    page = admin_client.get(f"/admin/company/merge/?id={kept.id}&absorb={twin.id}")
    text = page.get_data(as_text=True)
    assert 'data-confirm="Merge “Twin&#39;); alert(1); (&#39;” into “Kept SA”?"' in text
