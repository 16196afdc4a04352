"""My account (/admin/account/), for every logged-in user: change one's password, turn two-factor
login on or off, new recovery codes, the open sessions and "Log out everywhere"."""
from flask import flash, redirect, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from ..services import two_factor
from ..services.login_attempts import own_password_limits, wait_text
from ..services.ratelimit import attempt, succeeded
from ..services.sessions import is_current, live_sessions, start_session
from ..services.users import change_own_password, log_out_everywhere
from ..unit_of_work import unit_of_work
from .base import SecureBaseView


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), [DataRequired(), Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(
        _l("New password"),
        [DataRequired(), Length(min=8, max=200,
                                message=_l("The password must have at least 8 characters."))],
        render_kw={"autocomplete": "new-password"})
    new_password_confirm = PasswordField(
        _l("Repeat the new password"),
        [EqualTo("new_password", message=_l("The two passwords differ."))],
        render_kw={"autocomplete": "new-password"})


class ConfirmCodeForm(FlaskForm):
    code = StringField(_l("Code from the app"), [DataRequired(), Length(max=20)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class PasswordCheckForm(FlaskForm):
    password = PasswordField(_l("Current password"), [DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})


class AccountView(SecureBaseView):
    """The logged-in user's own account."""

    def is_visible(self) -> bool:
        return False  # reached from the user's name in the navigation bar (app_base.html)

    def _user(self):
        return current_user._get_current_object()

    def _page(self, **forms):
        user = self._user()
        secret = two_factor.pending_secret(user)
        uri = two_factor.provisioning_uri(user, secret) if secret else None
        sessions = live_sessions(user)
        return self.render(
            "admin/account.html", user=user, secret=secret,
            qr=two_factor.qr_svg(uri) if uri else None,
            required=two_factor.required_for(user),
            codes_left=two_factor.unused_recovery_codes(user) if user.has_two_factor else 0,
            sessions=[(row, is_current(row, user)) for row in sessions],
            password_form=forms.get("password_form") or PasswordChangeForm(formdata=None),
            confirm_form=forms.get("confirm_form") or ConfirmCodeForm(formdata=None),
            disable_form=forms.get("disable_form") or PasswordCheckForm(formdata=None,
                                                                          prefix="disable"),
            codes_form=forms.get("codes_form") or PasswordCheckForm(formdata=None,
                                                                      prefix="codes"))

    def _back(self, anchor: str = ""):
        return redirect(url_for(".index") + anchor)

    @expose("/", methods=("GET",))
    def index(self):
        return self._page()

    @expose("/password/", methods=("POST",))
    def password(self):
        form = PasswordChangeForm()
        if not form.validate():
            return self._page(password_form=form), 400
        refused = self._too_many_tries()
        if refused:
            return refused
        user = self._user()
        with unit_of_work() as work:
            change_own_password(user, form.current_password.data, form.new_password.data)
            # Every session ended with the old password; this browser gets a new one.
            start_session(user, remember=False)
        if not work.committed:
            return self._page(password_form=form), 400
        self._tries_ok()
        login_user(user)
        flash(_("Password changed. Your other sessions were logged out."), "success")
        return self._back("#password")

    @expose("/two-factor/start/", methods=("POST",))
    def start_two_factor(self):
        with unit_of_work():
            two_factor.start_enrolment(self._user())
        return self._back("#two-factor")

    @expose("/two-factor/confirm/", methods=("POST",))
    def confirm_two_factor(self):
        form = ConfirmCodeForm()
        if not form.validate():
            return self._page(confirm_form=form), 400
        with unit_of_work() as work:
            codes = two_factor.confirm_enrolment(self._user(), form.code.data)
        if not work.committed:
            return self._page(confirm_form=form), 400
        flash(_("Two-factor login is on."), "success")
        return self._codes(codes)

    @expose("/two-factor/disable/", methods=("POST",))
    def disable_two_factor(self):
        form = PasswordCheckForm(prefix="disable")
        if not form.validate():
            return self._page(disable_form=form), 400
        refused = self._too_many_tries()
        if refused:
            return refused
        with unit_of_work() as work:
            two_factor.disable(self._user(), form.password.data)
        if not work.committed:
            return self._page(disable_form=form), 400
        self._tries_ok()
        flash(_("Two-factor login is off."), "success")
        return self._back("#two-factor")

    @expose("/recovery-codes/", methods=("POST",))
    def recovery_codes(self):
        form = PasswordCheckForm(prefix="codes")
        if not form.validate():
            return self._page(codes_form=form), 400
        refused = self._too_many_tries()
        if refused:
            return refused
        with unit_of_work() as work:
            codes = two_factor.regenerate_recovery_codes(self._user(), form.password.data)
        if not work.committed:
            return self._page(codes_form=form), 400
        self._tries_ok()
        flash(_("New recovery codes made; the old ones no longer work."), "success")
        return self._codes(codes)

    @expose("/logout-everywhere/", methods=("POST",))
    def logout_everywhere(self):
        with unit_of_work() as work:
            log_out_everywhere(self._user())
        if not work.committed:
            return self._back("#sessions")
        logout_user()
        flash(_("You are logged out on every device, this one included."), "info")
        return redirect(url_for("auth.login"))

    def _too_many_tries(self):
        """Count one try of the current password; the 429 page when too many were wrong."""
        verdict = attempt(own_password_limits(self._user()))
        if verdict.allowed:
            return None
        flash(_("Too many failed attempts. Wait %(wait)s and try again.",
                wait=wait_text(verdict.retry_after)), "danger")
        return self._page(), 429, {"Retry-After": str(max(1, verdict.retry_after))}

    def _tries_ok(self) -> None:
        succeeded(own_password_limits(self._user())[0], forget=True)

    def _codes(self, codes: list[str]):
        """The recovery codes, shown once (the page is never cached: see security_headers)."""
        return self.render("admin/account_codes.html", codes=codes,
                           back=url_for(".index") + "#two-factor")
