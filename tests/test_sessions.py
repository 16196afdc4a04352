"""Login sessions the server can end: a password change, a role change, "log out everywhere" and
logout end them, the remember cookie included; idle and absolute timeouts apply."""
from datetime import timedelta

from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import LoginSession, User
from admin_app.models.base import utcnow
from config import ProductionConfig
from tests.auth_support import (
    client_with_cookie, cookie, login_remembered, reaches_admin, user_form,
)
from tests.conftest import TEST_PASSWORD, login


def _sessions_of(user) -> int:
    return db.session.scalar(select(func.count()).select_from(LoginSession)
                             .where(LoginSession.user_id == user.id))


def _remembered_user(app, user):
    """A logged-in client with "keep me logged in", and a thief's client holding only its
    remember cookie (which works, before anything is revoked)."""
    browser = app.test_client()
    assert login_remembered(browser, user.email).status_code == 302
    token = cookie(browser, "remember_token")
    assert token and token.startswith(f"{user.id}:")
    thief = client_with_cookie(app, "remember_token", token)
    assert reaches_admin(thief)
    return browser, token


def test_a_login_opens_a_session_whose_token_is_in_the_cookie_not_in_the_table(app, normal_user):
    browser, token = _remembered_user(app, normal_user)
    secret = token.split("|")[0].split(":", 1)[1]
    hashes = db.session.scalars(select(LoginSession.token_hash)).all()
    assert len(hashes) == 1 and secret not in hashes[0]


def test_password_changed_by_an_admin_ends_the_users_sessions_and_remember_cookie(
        app, admin_client, normal_user):
    browser, token = _remembered_user(app, normal_user)
    form = user_form(normal_user, password="brand-new-pass", password_confirm="brand-new-pass")
    assert admin_client.post(f"/admin/user/edit/?id={normal_user.id}",
                             data=form).status_code == 302
    assert not reaches_admin(browser)
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))
    assert _sessions_of(normal_user) == 0
    assert reaches_admin(admin_client)  # the admin's own session is untouched
    assert login(app.test_client(), normal_user.email, "brand-new-pass").status_code == 302


def test_own_password_change_keeps_this_browser_and_ends_the_others(app, normal_user):
    here, elsewhere = app.test_client(), app.test_client()
    login(here, normal_user.email)
    login_remembered(elsewhere, normal_user.email)
    token = cookie(elsewhere, "remember_token")
    response = here.post("/admin/account/password/", data={
        "current_password": TEST_PASSWORD, "new_password": "another-pass-1",
        "new_password_confirm": "another-pass-1"})
    assert response.status_code == 302
    assert reaches_admin(here)
    assert not reaches_admin(elsewhere)
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))
    assert _sessions_of(normal_user) == 1


def test_own_password_change_needs_the_current_password(user_client, normal_user):
    old_hash = normal_user.password_hash
    response = user_client.post("/admin/account/password/", data={
        "current_password": "not-it", "new_password": "another-pass-1",
        "new_password_confirm": "another-pass-1"})
    assert response.status_code == 400
    assert "current password is wrong" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, normal_user.id).password_hash == old_hash
    assert reaches_admin(user_client)


def test_role_change_ends_the_users_sessions(app, admin_client, normal_user):
    browser, token = _remembered_user(app, normal_user)
    assert admin_client.post(f"/admin/user/edit/?id={normal_user.id}",
                             data=user_form(normal_user, role="admin")).status_code == 302
    assert not reaches_admin(browser)
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))


def test_an_edit_that_changes_neither_password_nor_role_keeps_the_sessions(app, admin_client,
                                                                          normal_user):
    browser, _token = _remembered_user(app, normal_user)
    assert admin_client.post(f"/admin/user/edit/?id={normal_user.id}",
                             data=user_form(normal_user, full_name="Uma Renamed")
                             ).status_code == 302
    assert reaches_admin(browser)


def test_log_out_everywhere_ends_every_session_this_one_included(app, normal_user):
    here = app.test_client()
    login(here, normal_user.email)
    laptop, token = _remembered_user(app, normal_user)
    response = here.post("/admin/account/logout-everywhere/")
    assert response.status_code == 302 and response.location.endswith("/login")
    assert not reaches_admin(here)
    assert not reaches_admin(laptop)
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))
    assert _sessions_of(normal_user) == 0


def test_a_copy_of_the_session_cookie_is_refused_after_logout(app, user_client):
    copied = cookie(user_client, "session")
    assert reaches_admin(client_with_cookie(app, "session", copied))
    assert user_client.post("/logout").status_code == 302
    replay = client_with_cookie(app, "session", copied)
    response = replay.get("/admin/")
    assert response.status_code == 302 and "/login" in response.location


def test_logout_of_one_browser_keeps_the_others(app, normal_user):
    first, second = app.test_client(), app.test_client()
    login(first, normal_user.email)
    login(second, normal_user.email)
    first.post("/logout")
    assert not reaches_admin(first)
    assert reaches_admin(second)


def _age(user, **changes) -> None:
    for row in db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)):
        for name, delta in changes.items():
            setattr(row, name, utcnow() - delta)
    db.session.commit()


def test_a_session_idle_past_the_idle_timeout_is_ended(app, user_client, normal_user):
    _age(normal_user, last_seen_at=app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1))
    assert not reaches_admin(user_client)


def test_a_session_in_use_past_the_absolute_timeout_is_ended(app, user_client, normal_user):
    _age(normal_user, created_at=app.config["SESSION_ABSOLUTE_TIMEOUT"] + timedelta(minutes=1),
         last_seen_at=timedelta(seconds=5))
    assert not reaches_admin(user_client)


def test_a_remembered_session_outlives_the_short_idle_timeout_but_not_its_own(app, normal_user):
    browser, token = _remembered_user(app, normal_user)
    _age(normal_user, last_seen_at=app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=1))
    assert reaches_admin(client_with_cookie(app, "remember_token", token))
    _age(normal_user, last_seen_at=app.config["REMEMBER_IDLE_TIMEOUT"] + timedelta(minutes=1))
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))
    assert not reaches_admin(browser)


def test_use_of_a_session_is_recorded_at_most_once_a_minute(app, user_client, normal_user):
    _age(normal_user, last_seen_at=timedelta(minutes=10))
    user_client.get("/admin/")
    db.session.expire_all()
    seen = db.session.scalar(select(LoginSession.last_seen_at))
    assert utcnow() - seen < app.config["SESSION_TOUCH_INTERVAL"]


def test_deactivation_ends_the_sessions(app, admin_client, normal_user):
    browser, token = _remembered_user(app, normal_user)
    form = user_form(normal_user)
    del form["is_active"]
    assert admin_client.post(f"/admin/user/edit/?id={normal_user.id}", data=form
                             ).status_code == 302
    assert _sessions_of(normal_user) == 0
    assert not reaches_admin(client_with_cookie(app, "remember_token", token))


def test_a_forged_or_malformed_session_id_is_refused(app, normal_user):
    for forged in (str(normal_user.id), f"{normal_user.id}:", f"{normal_user.id}:guess",
                   "99999999999999999999:x", "x:y", ""):
        client = app.test_client()
        with client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = forged, True
        assert client.get("/admin/").status_code == 302


def test_remember_cookie_is_httponly_and_samesite_lax_and_secure_in_production(app, normal_user):
    response = login_remembered(app.test_client(), normal_user.email)
    header = next(h for h in response.headers.getlist("Set-Cookie")
                  if h.startswith("remember_token="))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert ProductionConfig.REMEMBER_COOKIE_SECURE and ProductionConfig.SESSION_COOKIE_SECURE


def test_logins_and_session_endings_are_audited(app, admin_client, normal_user):
    from admin_app.models import AuditLog
    browser = app.test_client()
    login(browser, normal_user.email)
    browser.post("/logout")
    admin_client.post(f"/admin/user/edit/?id={normal_user.id}",
                      data=user_form(normal_user, role="admin"))
    actions = db.session.scalars(select(AuditLog.action).where(
        AuditLog.entity_type == "User", AuditLog.entity_id == normal_user.id)).all()
    assert {"login", "logout", "security"} <= set(actions)


def test_guessing_the_current_password_on_my_account_is_throttled(app, user_client):
    wrong = {"current_password": "not-it", "new_password": "another-pass-1",
             "new_password_confirm": "another-pass-1"}
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"]):
        assert user_client.post("/admin/account/password/", data=wrong).status_code == 400
    right = dict(wrong, current_password=TEST_PASSWORD)
    blocked = user_client.post("/admin/account/password/", data=right)
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
