"""Administration: staff accounts, the audit log and the merge history (admins only)."""
import json

from flask import flash, url_for
from flask_admin.actions import action
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.routing import BuildError
from wtforms import PasswordField
from wtforms.validators import EqualTo, Length, Optional

from ..extensions import db
from ..models import AuditLog, User
from ..models.audit import AUDIT_ACTIONS
from ..services.two_factor import reset_for
from ..services.users import delete_account, save_account
from .validators import InUserLanguage
from ..unit_of_work import unit_of_work
from . import validators as v
from .base import AdminOnlyModelView, ReadOnlyModelView
from .company import USER_OPTIONS
from .formatting import LazyOptions
from .links import company_url
from .merge import undo_formatter

ROLE_CHOICES = [("user", _l("User")), ("admin", _l("Administrator"))]
# Reviewed (bandit B105): help text shown under the field, not a password.
PASSWORD_HELP = "At least 8 characters. Stored as an argon2 hash; nobody can read it back."  # nosec B105


def _password_fields(required: bool) -> dict:
    first = v.required(_l("password")) if required else Optional()
    return {
        "password": PasswordField(
            "Password" if required else "New password",
            [first, InUserLanguage(Length(min=8, message=_l(
                "The password must have at least 8 characters.")))],
            description=PASSWORD_HELP if required else "Leave empty to keep the current one.",
            render_kw={"autocomplete": "new-password"}),
        "password_confirm": PasswordField(
            "Repeat the password",
            [InUserLanguage(EqualTo("password", message=_l("The two passwords differ.")))],
            render_kw={"autocomplete": "new-password"}),
    }


class UserView(AdminOnlyModelView):
    column_list = ["email", "full_name", "role", "is_active", "totp_enabled_at", "last_login_at",
                   "created_at"]
    column_labels = {"is_active": _l("Active"), "last_login_at": _l("Last login"),
                     "totp_enabled_at": _l("Two-factor since")}
    column_searchable_list = ["email", "full_name"]
    column_choices = {"role": ROLE_CHOICES}
    column_filters = [FilterEqual(User.role, _l("Role"), options=ROLE_CHOICES), "is_active",
                      "last_login_at"]
    column_default_sort = "email"
    column_exclude_list = column_details_exclude_list = ["password_hash", "totp_secret",
                                                         "totp_last_step"]
    column_details_list = ["email", "full_name", "role", "is_active", "totp_enabled_at",
                           "last_login_at", "created_at"]
    column_export_list = ["id", "email", "full_name", "role", "is_active", "last_login_at",
                          "created_at"]
    form_columns = ["email", "full_name", "role", "is_active"]
    form_choices = {"role": ROLE_CHOICES}
    form_args = {"email": {"validators": v.email(required_=True)},
                 "full_name": {"label": _l("Full name"), "validators": [v.required(_l("full name"))]},
                 "is_active": {"label": _l("Active"),
                               "description": _l("An inactive user cannot log in.")}}

    def get_create_form(self):
        return type("UserCreateForm", (super().get_create_form(),), _password_fields(True))

    def get_edit_form(self):
        return type("UserEditForm", (super().get_edit_form(),), _password_fields(False))

    def on_model_change(self, form, model, is_created):
        save_account(model, form.password.data or None)
        if form.password.data:
            model._audit_extra = {"password": ["(hidden)", "(changed)"]}
        super().on_model_change(form, model, is_created)

    def remove_model(self, model, work):
        delete_account(model, current_user.id)

    @action("reset_two_factor", _l("Reset two-factor login"),
            _l("Turn two-factor login off for the selected users (they lost their phone and "
               "recovery codes)? Their sessions end; they log in with the password and can set "
               "it up again."))
    def action_reset_two_factor(self, ids):
        users = self.models_for_ids(ids)
        with unit_of_work() as work:
            reset = [user for user in users if reset_for(user)]
        if work.committed:
            flash(_("Two-factor login reset for %(count)d of %(total)d users.",
                    count=len(reset), total=len(users)), "success")


def _changes_formatter(_view, _context, model, _name):
    if not model.changes:
        return ""
    rows = Markup("")
    for field, value in model.changes.items():
        if model.action == "update" and isinstance(value, list) and len(value) == 2:
            old, new = value
            rows += Markup("<tr><th>{}</th><td>{}</td><td>→</td><td>{}</td></tr>").format(
                field, _show(old), _show(new))
        else:
            rows += Markup("<tr><th>{}</th><td colspan='3'>{}</td></tr>").format(field,
                                                                                _show(value))
    return Markup("<table class='table table-sm mb-0' data-audit-changes>{}</table>").format(rows)


def _show(value) -> str:
    if value is None or value == "":
        return "∅"
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _entity_formatter(_view, _context, model, _name):
    if model.entity_id is None:
        return ""
    if model.entity_type == "Company":
        url = company_url(model.entity_id)
    else:
        try:
            url = url_for(f"{model.entity_type.lower()}.details_view", id=model.entity_id)
        except BuildError:
            return str(model.entity_id)
    return Markup('<a href="{}">{}</a>').format(url, model.entity_id)


def _entity_types():
    return [(t, t) for t in db.session.scalars(
        select(AuditLog.entity_type).group_by(AuditLog.entity_type).order_by(AuditLog.entity_type))]


class AuditLogView(ReadOnlyModelView):
    admin_only = True
    can_export = True
    column_list = ["at", "user", "action", "entity_type", "entity_id", "summary"]
    column_labels = {"at": _l("When"), "entity_type": _l("Entity"), "entity_id": _l("ID")}
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ["summary"]
    column_filters = [
        FilterEqual(AuditLog.action, _l("Action"), options=[(a, a) for a in AUDIT_ACTIONS]),
        FilterEqual(AuditLog.entity_type, _l("Entity"), options=LazyOptions(_entity_types)),
        IntEqualFilter(AuditLog.user_id, _l("User"), options=USER_OPTIONS),
        IntEqualFilter(AuditLog.entity_id, _l("Entity ID")),
        "at",
    ]
    column_details_list = ["at", "user", "action", "entity_type", "entity_id", "summary",
                           "changes"]
    column_formatters = {"entity_id": _entity_formatter}
    column_formatters_detail = {"changes": _changes_formatter, "entity_id": _entity_formatter}
    column_formatters_export = {"entity_id": lambda v_, c, m, n: m.entity_id,
                                "changes": lambda v_, c, m, n: json.dumps(m.changes, default=str)}
    column_export_list = ["at", "user", "action", "entity_type", "entity_id", "summary",
                          "changes"]

    def search_placeholder(self):
        return _("Words of the summary")


class MergeView(ReadOnlyModelView):
    admin_only = True
    column_list = ["created_at", "kept", "absorbed", "user", "undone_at", "undone_by"]
    column_labels = {"created_at": _l("Merged on"), "kept": _l("Kept card"), "absorbed": _l("Absorbed card"),
                     "undone_at": _l("Undone on")}
    column_default_sort = ("created_at", True)
    column_filters = ["created_at", "undone_at"]
    column_details_list = ["created_at", "kept", "absorbed", "user", "note", "moved",
                           "undone_at", "undone_by"]
    column_formatters = {"undone_at": undo_formatter}
    column_formatters_detail = {"moved": lambda v_, c, m, n: ", ".join(
        f"{k}: {len(ids)}" for k, ids in (m.moved or {}).items())}

    def get_empty_list_message(self) -> str:
        return _("No merge yet. Possible duplicates are merged from the Possible duplicates page.")

