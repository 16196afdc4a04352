"""The /login and /logout pages, and the second step of a login with two-factor on."""
import time
from urllib.parse import urlsplit

from flask import (
    Blueprint, current_app, flash, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length

from ..extensions import db
from ..models import User
from ..services import login_attempts as attempts
from ..services.audit import record
from ..services.ratelimit import Verdict, attempt, succeeded
from ..services.sessions import end_session
from ..services.two_factor import verify
from ..services.users import authenticate, find_user_by_email
from ..unit_of_work import unit_of_work

bp = Blueprint("auth", __name__)

# The Flask-session key of a login whose password checked and whose second factor is awaited.
# It is not a Flask-Login login: current_user stays anonymous, no admin page answers.
PENDING = "two_factor_pending"


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


class SecondFactorForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The 6-digit code of your authenticator app, or one of "
                                      "your recovery codes."))


def safe_next(target: str | None) -> str | None:
    """`target` when it stays on this site (a path, no scheme, no host), else None."""
    if not target:
        return None
    target = target.strip().replace("\\", "/")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.args.get("next") or request.form.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or url_for("admin.index"))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        limits = attempts.password_limits(email)
        verdict = attempt(limits)
        if not verdict.allowed:
            attempts.record_refusal(email, verdict)
            return _throttled("auth/login.html", verdict, form=form, next_url=next_url)
        user = authenticate(email, form.password.data)
        if user is None:
            _failed(email, find_user_by_email(email), verdict, "wrong password or inactive")
            flash(_("Wrong email or password, or the account is disabled."), "danger")
        else:
            succeeded(limits[0], forget=True)
            succeeded(limits[1])
            if user.has_two_factor:
                session[PENDING] = {"user_id": user.id, "since": time.time(),
                                    "remember": bool(form.remember.data), "next": next_url}
                with unit_of_work():  # a password rehash, if authenticate made one
                    pass
                return redirect(url_for("auth.second_factor"))
            response = _log_in(user, bool(form.remember.data), next_url)
            if response is not None:
                return response
    return render_template("auth/login.html", form=form, next_url=next_url), (
        401 if request.method == "POST" else 200
    )


@bp.route("/login/two-factor", methods=["GET", "POST"])
def second_factor():
    user = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in with your password first."), "info")
        return redirect(url_for("auth.login"))
    form = SecondFactorForm()
    if form.validate_on_submit():
        limits = attempts.second_factor_limits(user)
        verdict = attempt(limits)
        if not verdict.allowed:
            attempts.record_refusal(user.email, verdict)
            return _throttled("auth/two_factor.html", verdict, form=form)
        with unit_of_work() as work:
            accepted = verify(user, form.code.data)
        if work.committed and accepted:
            succeeded(limits[0], forget=True)
            succeeded(limits[1])
            pending = session.pop(PENDING)
            response = _log_in(user, pending["remember"], safe_next(pending.get("next")))
            if response is not None:
                return response
        elif work.committed:
            _failed(user.email, user, verdict, "wrong second-factor code")
            flash(_("That code is not valid (or was already used)."), "danger")
    return render_template("auth/two_factor.html", form=form), (
        401 if request.method == "POST" else 200)


# POST only, so CSRFProtect checks the token: a link or image on another site cannot log anyone
# out. No login_required: its redirect would carry next=/logout, which a GET then refuses.
@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        with unit_of_work(flash_errors=False):
            end_session(user)
            record("logout", user, summary=f"{user.email} logged out", user=user)
    logout_user()
    session.pop(PENDING, None)
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _pending_user() -> User | None:
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or not isinstance(pending.get("user_id"), int):
        return None
    if time.time() - float(pending.get("since", 0)) > current_app.config[
            "TWO_FACTOR_PENDING_SECONDS"]:
        return None
    user = db.session.get(User, pending["user_id"])
    return user if user is not None and user.is_active and user.has_two_factor else None


def _log_in(user: User, remember: bool, next_url: str | None):
    """Open the session and log the browser in; None (message flashed) if that failed."""
    with unit_of_work() as work:
        attempts.complete_login(user, remember)
    if not work.committed:
        return None
    login_user(user, remember=remember)
    return redirect(next_url or url_for("admin.index"))


def _failed(email: str, user: User | None, verdict: Verdict, what: str) -> None:
    with unit_of_work(flash_errors=False):
        attempts.record_failure(email, user, verdict, what)


def _throttled(template: str, verdict: Verdict, **context):
    flash(_("Too many failed attempts. Wait %(wait)s and try again.",
            wait=attempts.wait_text(verdict.retry_after)), "danger")
    return (render_template(template, **context), 429,
            {"Retry-After": str(max(1, verdict.retry_after))})
