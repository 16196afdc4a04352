"""The navigation menu is rendered once per language, role and page, and shows exactly what a
fresh rendering would: the right items for the reader's role, the page marked active, the
reader's language."""
import re

import pytest

from tests.conftest import login

NAV = re.compile(r'<ul class="nav navbar-nav mr-auto">(.*?)</ul>\s*'
                 r'<ul class="nav navbar-nav navbar-right">', re.S)


def nav_of(html: str) -> str:
    found = NAV.search(html)
    assert found, "no main menu on the page"
    return found.group(1)


def menu_urls(html: str) -> list[str]:
    return sorted(set(re.findall(r'href="(/admin/[^"?#]*)"', nav_of(html))))


def fresh_nav(app, client, url: str) -> str:
    app.extensions["menu_html"].clear()
    return nav_of(client.get(url).get_data(as_text=True))


def test_every_menu_page_shows_the_menu_a_fresh_rendering_shows(app, admin_client, user_client):
    pages = menu_urls(admin_client.get("/admin/").get_data(as_text=True))
    assert len(pages) > 15
    for client in (admin_client, user_client):
        for url in pages:
            response = client.get(url)
            if response.status_code != 200:  # an admin page refused to the user
                continue
            remembered = nav_of(client.get(url).get_data(as_text=True))
            assert remembered == fresh_nav(app, client, url), url
            assert 'class="active' in remembered or "active " in remembered, url


def test_a_user_never_sees_the_admin_menu_an_admin_was_shown(app, admin_client, user_client):
    app.extensions["menu_html"].clear()
    admin_nav = nav_of(admin_client.get("/admin/company/").get_data(as_text=True))
    user_nav = nav_of(user_client.get("/admin/company/").get_data(as_text=True))
    admin_only = set(re.findall(r'href="(/admin/[^"]*)"', admin_nav)) - set(
        re.findall(r'href="(/admin/[^"]*)"', user_nav))
    assert admin_only, "the admin sees items the user does not"
    for url in admin_only:
        assert user_client.get(url).status_code == 403, url


def test_the_active_item_follows_the_page(admin_client):
    companies = nav_of(admin_client.get("/admin/company/").get_data(as_text=True))
    invoices = nav_of(admin_client.get("/admin/invoice/").get_data(as_text=True))
    assert re.search(r'active[^>]*href="/admin/company/"', companies)
    assert not re.search(r'active[^>]*href="/admin/company/"', invoices)
    assert re.search(r'active[^>]*href="/admin/invoice/"', invoices)


@pytest.mark.parametrize("language, word", [("es", "Empresas"), ("fr", "Sociétés")])
def test_the_menu_is_in_the_readers_language(app, admin_user, language, word):
    english = app.test_client()
    login(english, admin_user.email)
    assert "Companies" in nav_of(english.get("/admin/company/?lang=en").get_data(as_text=True))
    other = app.test_client()
    login(other, admin_user.email)
    translated = nav_of(other.get(f"/admin/company/?lang={language}").get_data(as_text=True))
    assert word in translated and "Companies" not in translated
    assert "Companies" in nav_of(english.get("/admin/company/").get_data(as_text=True))

