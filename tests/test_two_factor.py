"""Two-factor login: enrolment on My account (QR code, confirmation, recovery codes shown once
and stored hashed), the login's second step, single-use recovery codes, the throttled code step,
and the setting that makes it mandatory for administrators."""
import re

import pyotp
import pytest
from sqlalchemy import select

from admin_app.extensions import db
from admin_app.models import RecoveryCode, User
from admin_app.services.settings import set_setting
from tests.auth_support import next_code, reaches_admin
from tests.conftest import TEST_PASSWORD, login


def _codes_in(html: str) -> list[str]:
    return re.findall(r"<code class=\"h5\">([0-9a-f]{5}-[0-9a-f]{5})</code>", html)


def _enrol(client, user) -> tuple[str, list[str]]:
    """Turn two-factor login on through the account page; (secret, recovery codes)."""
    assert client.post("/admin/account/two-factor/start/").status_code == 302
    page = client.get("/admin/account/").get_data(as_text=True)
    secret = re.search(r"data-totp-secret>([A-Z2-7]+)<", page).group(1)
    response = client.post("/admin/account/two-factor/confirm/",
                           data={"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    return secret, _codes_in(response.get_data(as_text=True))


@pytest.fixture
def enrolled(app, make_user):
    """A user with two-factor login on: (user, secret, recovery codes)."""
    user = make_user("second@example.com", role="user")
    client = app.test_client()
    login(client, user.email)
    secret, codes = _enrol(client, user)
    client.post("/logout")
    return user, secret, codes


def _password_step(app, email):
    client = app.test_client()
    response = login(client, email)
    assert response.status_code == 302 and response.location.endswith("/login/two-factor")
    return client


def test_the_account_page_offers_set_up_to_every_logged_in_user(user_client):
    html = user_client.get("/admin/account/").get_data(as_text=True)
    assert 'data-two-factor="off"' in html and 'data-action="start-two-factor"' in html
    assert 'data-action="logout-everywhere"' in html and 'data-action="change-password"' in html
    assert 'href="/admin/account/"' in user_client.get("/admin/").get_data(as_text=True)


def test_enrolment_shows_a_qr_code_as_inline_svg_and_needs_a_valid_code(user_client,
                                                                        normal_user):
    user_client.post("/admin/account/two-factor/start/")
    html = user_client.get("/admin/account/").get_data(as_text=True)
    assert 'data-two-factor="pending"' in html
    assert re.search(r"data-totp-qr><svg [^>]*class=\"segno\"", html)
    refused = user_client.post("/admin/account/two-factor/confirm/", data={"code": "000000"})
    assert refused.status_code == 400 and "does not match" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert not db.session.get(User, normal_user.id).has_two_factor


def test_enrolment_shows_ten_recovery_codes_once_and_stores_only_their_hashes(app, enrolled):
    user, secret, codes = enrolled
    assert len(codes) == 10 and len(set(codes)) == 10
    stored = db.session.scalars(select(RecoveryCode.code_hash)
                                .where(RecoveryCode.user_id == user.id)).all()
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h for code in codes for h in stored)
    client = app.test_client()
    client.post("/login", data={"email": user.email, "password": TEST_PASSWORD})
    client.post("/login/two-factor", data={"code": next_code(secret)})
    page = client.get("/admin/account/").get_data(as_text=True)
    assert 'data-recovery-codes-left="10"' in page and not any(c in page for c in codes)


def test_a_password_alone_never_reaches_the_admin(app, enrolled):
    user, _secret, _codes = enrolled
    client = _password_step(app, user.email)
    assert not reaches_admin(client)
    assert client.get("/admin/account/").status_code == 302
    assert client.get("/login/two-factor").status_code == 200


def test_the_code_completes_the_login_and_cannot_be_used_twice(app, enrolled):
    user, secret, _codes = enrolled
    client = _password_step(app, user.email)
    code = next_code(secret)
    response = client.post("/login/two-factor", data={"code": code})
    assert response.status_code == 302 and response.location.endswith("/admin/")
    assert reaches_admin(client)
    again = _password_step(app, user.email)
    assert again.post("/login/two-factor", data={"code": code}).status_code == 401
    assert not reaches_admin(again)


def test_a_wrong_code_is_refused_and_audited(app, enrolled):
    from admin_app.models import AuditLog
    user, _secret, _codes = enrolled
    client = _password_step(app, user.email)
    response = client.post("/login/two-factor", data={"code": "123456"})
    assert response.status_code == 401
    assert "not valid" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditLog).where(AuditLog.action == "login_fail",
                                                    AuditLog.entity_id == user.id))


def test_a_recovery_code_logs_in_once(app, enrolled):
    user, _secret, codes = enrolled
    client = _password_step(app, user.email)
    assert client.post("/login/two-factor", data={"code": codes[3].upper()}).status_code == 302
    assert reaches_admin(client)
    again = _password_step(app, user.email)
    assert again.post("/login/two-factor", data={"code": codes[3]}).status_code == 401
    assert not reaches_admin(again)


def test_the_code_step_is_throttled(app, enrolled):
    user, secret, _codes = enrolled
    client = _password_step(app, user.email)
    for _ in range(app.config["TWO_FACTOR_FAILURE_LIMIT"]):
        assert client.post("/login/two-factor", data={"code": "000000"}).status_code == 401
    blocked = client.post("/login/two-factor", data={"code": next_code(secret)})
    assert blocked.status_code == 429 and "Retry-After" in blocked.headers
    assert not reaches_admin(client)


def test_an_abandoned_password_step_expires(app, enrolled):
    user, secret, _codes = enrolled
    client = _password_step(app, user.email)
    with client.session_transaction() as session:
        pending = dict(session["two_factor_pending"])
        pending["since"] -= app.config["TWO_FACTOR_PENDING_SECONDS"] + 1
        session["two_factor_pending"] = pending
    response = client.post("/login/two-factor", data={"code": next_code(secret)})
    assert response.status_code == 302 and response.location.endswith("/login")
    assert not reaches_admin(client)


def test_the_second_step_without_a_password_step_goes_back_to_login(client):
    response = client.get("/login/two-factor")
    assert response.status_code == 302 and response.location.endswith("/login")


def test_new_recovery_codes_need_the_password_and_replace_the_old(app, enrolled):
    user, secret, codes = enrolled
    client = _password_step(app, user.email)
    client.post("/login/two-factor", data={"code": next_code(secret)})
    refused = client.post("/admin/account/recovery-codes/", data={"codes-password": "nope"})
    assert refused.status_code == 400
    response = client.post("/admin/account/recovery-codes/",
                           data={"codes-password": TEST_PASSWORD})
    fresh = _codes_in(response.get_data(as_text=True))
    assert len(fresh) == 10 and not set(fresh) & set(codes)
    other = _password_step(app, user.email)
    assert other.post("/login/two-factor", data={"code": codes[0]}).status_code == 401
    assert other.post("/login/two-factor", data={"code": fresh[0]}).status_code == 302


def test_turning_it_off_needs_the_password(app, enrolled):
    user, secret, _codes = enrolled
    client = _password_step(app, user.email)
    client.post("/login/two-factor", data={"code": next_code(secret)})
    assert client.post("/admin/account/two-factor/disable/",
                       data={"disable-password": "nope"}).status_code == 400
    assert client.post("/admin/account/two-factor/disable/",
                       data={"disable-password": TEST_PASSWORD}).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor
    assert login(app.test_client(), user.email).location.endswith("/admin/")


# --- mandatory for administrators -------------------------------------------------------------

@pytest.fixture
def two_factor_required(app):
    set_setting("admin_two_factor_required", True)
    db.session.commit()


def test_mandatory_mode_sends_an_admin_without_it_to_enrolment_only(app, admin_user,
                                                                    two_factor_required):
    client = app.test_client()
    login(client, admin_user.email)
    for url in ("/admin/", "/admin/company/", "/admin/user/", "/admin/settings/"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/admin/account/"), url
    page = client.get("/admin/account/").get_data(as_text=True)
    assert "data-two-factor-required" in page
    _enrol(client, admin_user)
    assert client.get("/admin/company/").status_code == 200


def test_mandatory_mode_leaves_users_who_are_not_admins_alone(user_client, two_factor_required):
    assert user_client.get("/admin/company/").status_code == 200


def test_an_admin_cannot_turn_it_off_while_it_is_mandatory(app, admin_user):
    client = app.test_client()
    login(client, admin_user.email)
    secret, _codes = _enrol(client, admin_user)
    set_setting("admin_two_factor_required", True)
    db.session.commit()
    response = client.post("/admin/account/two-factor/disable/",
                           data={"disable-password": TEST_PASSWORD})
    assert response.status_code == 400 and "required for administrators" in response.get_data(
        as_text=True)
    db.session.expire_all()
    assert db.session.get(User, admin_user.id).has_two_factor


def test_the_setting_is_on_the_settings_page(admin_client):
    html = admin_client.get("/admin/settings/").get_data(as_text=True)
    assert 'name="admin_two_factor_required"' in html
    response = admin_client.post("/admin/settings/", data={"section": "security",
                                                           "admin_two_factor_required": "y"})
    assert response.status_code == 302
    from admin_app.services.settings import forget_cached, get_setting
    forget_cached()
    assert get_setting("admin_two_factor_required") is True


# --- lost phone ---------------------------------------------------------------------------------

def test_an_admin_resets_the_two_factor_login_of_a_user_who_lost_the_phone(app, admin_client,
                                                                            enrolled):
    user, secret, _codes = enrolled
    phone_session = _password_step(app, user.email)
    phone_session.post("/login/two-factor", data={"code": next_code(secret)})
    response = admin_client.post("/admin/user/action/", data={
        "action": "reset_two_factor", "rowid": [str(user.id)]}, follow_redirects=True)
    assert "Two-factor login reset for 1 of 1 users" in response.get_data(as_text=True)
    assert not reaches_admin(phone_session)
    assert db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user.id)
                              ).all() == []
    assert login(app.test_client(), user.email).location.endswith("/admin/")


def test_the_reset_is_also_a_command(app, enrolled):
    user, _secret, _codes = enrolled
    result = app.test_cli_runner().invoke(args=["reset-two-factor", user.email.upper()])
    assert result.exit_code == 0 and "reset" in result.output
    db.session.expire_all()
    assert not db.session.get(User, user.id).has_two_factor
    missing = app.test_cli_runner().invoke(args=["reset-two-factor", "nobody@example.com"])
    assert missing.exit_code != 0 and "No user has the email" in missing.output


def test_the_user_list_shows_who_uses_two_factor_and_never_the_secret(admin_client, enrolled):
    user, secret, _codes = enrolled
    html = admin_client.get("/admin/user/").get_data(as_text=True)
    assert "Two-factor since" in html and secret not in html
    details = admin_client.get(f"/admin/user/details/?id={user.id}").get_data(as_text=True)
    assert secret not in details
    export = admin_client.get("/admin/user/export/csv/").get_data(as_text=True)
    assert secret not in export


@pytest.mark.parametrize("hostile", ["１２３４５６", "12345\x00", "' OR 1=1 --", "x" * 40,
                                     "٣٣٣٣٣٣", "=HYPERLINK(1)"])
def test_hostile_codes_are_refused_cleanly(app, enrolled, hostile):
    user, _secret, _codes = enrolled
    client = _password_step(app, user.email)
    response = client.post("/login/two-factor", data={"code": hostile})
    assert response.status_code in (400, 401)
    assert not reaches_admin(client)
