from admin_app.extensions import db
from admin_app.models import AuditLog, User
from tests.conftest import TEST_PASSWORD, csrf_from, login


def test_login_page_has_email_password_and_csrf_fields(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'name="email"' in html and 'name="password"' in html
    assert csrf_from(html)


def test_admin_logs_in_and_reaches_dashboard(client, admin_user):
    response = login(client, admin_user.email)
    assert response.status_code == 302 and response.location.endswith("/admin/")
    page = client.get("/admin/").get_data(as_text=True)
    assert "My clients" in page and "Log out" in page


def test_wrong_password_is_refused_with_a_message(client, admin_user):
    response = login(client, admin_user.email, "not-the-password")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_unknown_email_is_refused_like_a_wrong_password(client):
    response = login(client, "nobody@example.com")
    assert response.status_code == 401
    assert "Wrong email or password" in response.get_data(as_text=True)


def test_inactive_user_cannot_log_in(client, make_user):
    user = make_user("gone@example.com", is_active=False)
    assert login(client, user.email).status_code == 401


def test_deactivated_user_loses_an_open_session(client, make_user):
    user = make_user("soon-gone@example.com")
    login(client, user.email)
    assert client.get("/admin/").status_code == 200
    db.session.get(User, user.id).is_active = False
    db.session.commit()
    assert client.get("/admin/").status_code == 302


def test_password_is_stored_as_argon2_hash(admin_user):
    assert admin_user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in admin_user.password_hash


def test_login_is_audited(client, admin_user):
    login(client, admin_user.email)
    assert db.session.query(AuditLog).filter_by(action="login", user_id=admin_user.id).count() == 1


def test_next_redirect_stays_on_site(client, admin_user):
    response = client.post("/login?next=/admin/company/", data={
        "email": admin_user.email, "password": TEST_PASSWORD})
    assert response.location.endswith("/admin/company/")


def test_next_redirect_to_another_site_is_ignored(client, admin_user):
    for target in ("https://evil.example/", "//evil.example/", "/\\evil.example", "javascript:x"):
        client.post("/logout")
        response = client.post("/login", query_string={"next": target}, data={
            "email": admin_user.email, "password": TEST_PASSWORD})
        assert response.status_code == 302
        assert "evil" not in response.location and response.location.endswith("/admin/")


def test_post_without_csrf_token_is_refused(client, admin_user):
    response = client.post("/login", data={"email": admin_user.email, "password": TEST_PASSWORD},
                           csrf=False)
    assert response.status_code == 400


def test_admin_form_post_without_csrf_token_is_refused(admin_client):
    response = admin_client.post("/admin/company/new/", data={"name": "No token", "status": "lead"},
                                 csrf=False)
    assert response.status_code == 400


def test_logout_form_of_the_page_ends_the_session(admin_client):
    page = admin_client.get("/admin/").get_data(as_text=True)
    assert 'action="/logout"' in page
    response = admin_client.post("/logout", data={"csrf_token": csrf_from(page)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert admin_client.get("/admin/").status_code == 302


def test_get_logout_does_not_log_out(admin_client):
    assert admin_client.get("/logout").status_code == 405
    assert admin_client.get("/admin/").status_code == 200


def test_logout_without_csrf_token_is_refused_and_keeps_the_session(admin_client):
    assert admin_client.post("/logout", csrf=False).status_code == 400
    assert admin_client.post("/logout", data={"csrf_token": "forged"}).status_code == 400
    assert admin_client.get("/admin/").status_code == 200


def test_logout_when_already_logged_out_lands_on_the_login_page(client):
    response = client.post("/logout")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_repeated_failed_logins_are_throttled_even_with_the_right_password(app, client, admin_user):
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for _ in range(limit):
        assert login(client, admin_user.email, "wrong-guess").status_code == 401
    blocked = login(client, admin_user.email)
    assert blocked.status_code == 429
    assert "Too many failed attempts" in blocked.get_data(as_text=True)
    assert client.get("/admin/").status_code == 302


def test_failed_logins_of_one_email_do_not_block_another_from_elsewhere(app, make_user):
    victim = make_user("victim@example.com")
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"]):
        login(attacker, victim.email, "wrong-guess")
    other = make_user("other@example.com")
    other_client = app.test_client()
    response = other_client.post("/login", data={"email": other.email, "password": TEST_PASSWORD},
                                 environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert response.status_code == 302
