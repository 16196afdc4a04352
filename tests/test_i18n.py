"""English by default; Spanish and French catalogues for our own strings."""
import pytest


@pytest.mark.parametrize("lang, heading, button", [
    ("en", "Client back office", "Log in"),
    ("es", "Back office de clientes", "Iniciar sesión"),
    ("fr", "Back-office clients", "Se connecter"),
])
def test_login_page_speaks_the_browser_language(client, lang, heading, button):
    html = client.get("/login", headers={"Accept-Language": lang}).get_data(as_text=True)
    assert heading in html and button in html


def test_language_chosen_with_lang_parameter_is_remembered(client):
    client.get("/login?lang=fr")
    assert "Se connecter" in client.get("/login").get_data(as_text=True)


def test_dashboard_is_translated(admin_client):
    html = admin_client.get("/admin/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Mis clientes" in html


def test_logout_button_is_translated(admin_client):
    html = admin_client.get("/admin/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Se déconnecter" in html
