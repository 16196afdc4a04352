"""The /login and /logout pages."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Email, Length

from ..extensions import db, login_manager
from ..models import User
from ..services.audit import record
from ..services.ratelimit import hit, reset, too_many
from ..services.users import authenticate
from ..unit_of_work import unit_of_work

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to reach this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    user = db.session.get(User, int(user_id)) if user_id.isdigit() else None
    return user if user is not None and user.is_active else None


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me logged in"))


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
        keys = _failure_keys(form.email.data)
        window = current_app.config["LOGIN_FAILURE_WINDOW"]
        if any(too_many(k, current_app.config["LOGIN_FAILURE_LIMIT"], window) for k in keys):
            flash(_("Too many failed attempts. Wait %(minutes)d minutes and try again.",
                    minutes=window // 60), "danger")
            return render_template("auth/login.html", form=form, next_url=next_url), 429
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            for key in keys:
                hit(key, window)
            flash(_("Wrong email or password, or the account is disabled."), "danger")
        else:
            reset(keys[0])
            with unit_of_work() as work:
                record("login", user, summary=f"{user.email} logged in", user=user)
            if work.committed:
                login_user(user, remember=form.remember.data)
                return redirect(next_url or url_for("admin.index"))
    return render_template("auth/login.html", form=form, next_url=next_url), (
        401 if request.method == "POST" else 200
    )


def _failure_keys(email: str) -> list[str]:
    return [f"login-fail:email:{email.strip().lower()}", f"login-fail:ip:{request.remote_addr}"]


# POST only, so CSRFProtect checks the token: a link or image on another site cannot log anyone
# out. No login_required: its redirect would carry next=/logout, which a GET then refuses.
@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))
