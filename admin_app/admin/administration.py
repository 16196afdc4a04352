"""Administration: staff accounts, the audit log and the merge history (admins only)."""
import json

from flask import url_for
from flask_admin.contrib.sqla.filters import FilterEqual, IntEqualFilter
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import inspect, select
from werkzeug.routing import BuildError
from wtforms import PasswordField
from wtforms.validators import EqualTo, Length, Optional, ValidationError

from ..extensions import db
from ..models import AuditLog, User
from ..models.audit import AUDIT_ACTIONS
from ..services.users import find_user_by_email, hash_password
from . import validators as v
from .base import AdminOnlyModelView, ReadOnlyModelView
from .company import USER_OPTIONS
from .formatting import LazyOptions
from .links import company_url
from .merge import undo_formatter

ROLE_CHOICES = [("user", "User"), ("admin", "Administrator")]
PASSWORD_HELP = "At least 8 characters. Stored as an argon2 hash; nobody can read it back."


def _password_fields(required: bool) -> dict:
    first = v.required("password") if required else Optional()
    return {
        "password": PasswordField(
            "Password" if required else "New password",
            [first, Length(min=8, message="The password must have at least 8 characters.")],
            description=PASSWORD_HELP if required else "Leave empty to keep the current one.",
            render_kw={"autocomplete": "new-password"}),
        "password_confirm": PasswordField(
            "Repeat the password",
            [EqualTo("password", message="The two passwords differ.")],
            render_kw={"autocomplete": "new-password"}),
    }


def _other_active_admins(user: User) -> int:
    # Locked on PostgreSQL so two admins cannot demote each other at the same moment.
    rows = db.session.scalars(select(User.id).where(
        User.role == "admin", User.is_active, User.id != user.id).with_for_update()).all()
    return len(rows)


class UserView(AdminOnlyModelView):
    column_list = ["email", "full_name", "role", "is_active", "last_login_at", "created_at"]
    column_labels = {"is_active": "Active", "last_login_at": "Last login"}
    column_searchable_list = ["email", "full_name"]
    column_choices = {"role": ROLE_CHOICES}
    column_filters = [FilterEqual(User.role, "Role", options=ROLE_CHOICES), "is_active",
                      "last_login_at"]
    column_default_sort = "email"
    column_exclude_list = column_details_exclude_list = ["password_hash"]
    column_details_list = ["email", "full_name", "role", "is_active", "last_login_at",
                           "created_at"]
    column_export_list = ["id", "email", "full_name", "role", "is_active", "last_login_at",
                          "created_at"]
    form_columns = ["email", "full_name", "role", "is_active"]
    form_choices = {"role": ROLE_CHOICES}
    form_args = {"email": {"validators": v.email(required_=True)},
                 "full_name": {"label": "Full name", "validators": [v.required("full name")]},
                 "is_active": {"label": "Active",
                               "description": "An inactive user cannot log in."}}

    def get_create_form(self):
        return type("UserCreateForm", (super().get_create_form(),), _password_fields(True))

    def get_edit_form(self):
        return type("UserEditForm", (super().get_edit_form(),), _password_fields(False))

    def on_model_change(self, form, model, is_created):
        if not is_created:
            self._keep_an_admin(model)
        model.email = model.email.strip().lower()
        other = find_user_by_email(model.email)
        if other is not None and other is not model:
            raise ValidationError(f"Another user already has the email {model.email}.")
        if form.password.data:
            model.password_hash = hash_password(form.password.data)
            model._audit_extra = {"password": ["(hidden)", "(changed)"]}
        super().on_model_change(form, model, is_created)

    def _keep_an_admin(self, user: User) -> None:
        history = inspect(user).attrs
        was_role = history.role.history.deleted[0] if history.role.history.deleted else user.role
        was_active = (history.is_active.history.deleted[0] if history.is_active.history.deleted
                      else user.is_active)
        if was_role == "admin" and was_active and not (user.is_admin and user.is_active):
            if not _other_active_admins(user):
                raise ValidationError(f"{user} is the last active administrator: make another "
                                      "user an active administrator first.")

    def on_model_delete(self, model):
        super().on_model_delete(model)
        if model.id == current_user.id:
            raise ValidationError("You cannot delete your own account.")
        if model.is_admin and model.is_active and not _other_active_admins(model):
            raise ValidationError(f"{model} is the last active administrator and cannot be "
                                  "deleted.")


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
    column_labels = {"at": "When", "entity_type": "Entity", "entity_id": "ID"}
    column_default_sort = [("at", True), ("id", True)]
    column_searchable_list = ["summary"]
    column_filters = [
        FilterEqual(AuditLog.action, "Action", options=[(a, a) for a in AUDIT_ACTIONS]),
        FilterEqual(AuditLog.entity_type, "Entity", options=LazyOptions(_entity_types)),
        IntEqualFilter(AuditLog.user_id, "User", options=USER_OPTIONS),
        IntEqualFilter(AuditLog.entity_id, "Entity ID"),
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
        return "Words of the summary"


class MergeView(ReadOnlyModelView):
    admin_only = True
    column_list = ["created_at", "kept", "absorbed", "user", "undone_at", "undone_by"]
    column_labels = {"created_at": "Merged on", "kept": "Kept card", "absorbed": "Absorbed card",
                     "undone_at": "Undone on"}
    column_default_sort = ("created_at", True)
    column_filters = ["created_at", "undone_at"]
    column_details_list = ["created_at", "kept", "absorbed", "user", "note", "moved",
                           "undone_at", "undone_by"]
    column_formatters = {"undone_at": undo_formatter}
    column_formatters_detail = {"moved": lambda v_, c, m, n: ", ".join(
        f"{k}: {len(ids)}" for k, ids in (m.moved or {}).items())}

