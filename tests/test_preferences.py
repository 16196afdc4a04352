"""Each user's language and time zone: the page, the order of the choices, dates in the zone."""
from datetime import datetime

from admin_app.extensions import db
from admin_app.models import AuditLog, Company

from conftest import csrf_from


def _save(client, **data):
    token = csrf_from(client.get("/admin/preferences/").get_data(as_text=True))
    return client.post("/admin/preferences/", data={"csrf_token": token, **data},
                       follow_redirects=True)


def test_every_logged_in_user_has_a_preferences_page_in_the_menu(user_client):
    html = user_client.get("/admin/").get_data(as_text=True)
    assert 'href="/admin/preferences/"' in html
    page = user_client.get("/admin/preferences/")
    assert page.status_code == 200 and 'name="language"' in page.get_data(as_text=True)


def test_preferences_page_needs_a_login(client):
    response = client.get("/admin/preferences/")
    assert response.status_code == 302 and "/login" in response.location


def test_saved_language_wins_over_the_browser_and_is_audited(user_client, normal_user):
    html = _save(user_client, language="fr", time_zone="").get_data(as_text=True)
    assert "Préférences enregistrées." in html
    assert normal_user.language == "fr" and normal_user.time_zone is None
    page = user_client.get("/admin/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Se déconnecter" in page
    assert db.session.query(AuditLog).filter_by(entity_type="User",
                                                 summary="Preferences changed").count() == 1


def test_lang_parameter_still_switches_the_page_of_a_user_with_a_saved_language(
        user_client, normal_user):
    _save(user_client, language="fr", time_zone="")
    assert "Cerrar sesión" in user_client.get("/admin/?lang=es").get_data(as_text=True)


def test_without_a_saved_language_the_session_choice_beats_the_browser(user_client):
    user_client.get("/admin/?lang=fr")
    page = user_client.get("/admin/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Se déconnecter" in page


def test_unknown_language_or_zone_is_refused_and_nothing_changes(user_client, normal_user):
    html = _save(user_client, language="xx", time_zone="").get_data(as_text=True)
    assert "Choose a language from the list." in html and normal_user.language is None
    html = _save(user_client, language="", time_zone="Mars/Olympus").get_data(as_text=True)
    assert "Choose a time zone from the list." in html and normal_user.time_zone is None


def test_dates_on_pages_follow_the_users_time_zone(user_client, normal_user, make_company):
    company = make_company(name="Zone Co")
    company.created_at = datetime(2026, 1, 15, 23, 30)  # stored in UTC
    db.session.commit()
    _save(user_client, language="en", time_zone="Asia/Tokyo")
    html = user_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "Created Jan 16, 2026" in html  # 08:30 the next day in Tokyo
    _save(user_client, language="en", time_zone="America/New_York")
    html = user_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "Created Jan 15, 2026" in html
