"""The base views every admin page inherits: login required, roles checked on the server."""
from flask import abort, redirect, request, url_for
from flask_admin import AdminIndexView, BaseView
from flask_admin.contrib.sqla import ModelView
from flask_login import current_user


class SecureMixin:
    """Login on every page; `admin_only` views refuse non-admins with 403 (not just a hidden menu)."""

    admin_only = False

    def is_accessible(self) -> bool:
        if not current_user.is_authenticated:
            return False
        return current_user.is_admin or not self.admin_only

    def inaccessible_callback(self, name, **kwargs):
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        abort(403)


class SecureBaseView(SecureMixin, BaseView):
    pass


class SecureIndexView(SecureMixin, AdminIndexView):
    pass


class SecureModelView(SecureMixin, ModelView):
    """A ModelView with sane defaults for a back office."""

    page_size = 25
    page_size_options = (25, 50, 100)
    can_set_page_size = True
    can_view_details = True
    details_modal = False
    create_modal = False
    edit_modal = False
    can_export = True
    export_types = ["csv"]
    named_filter_urls = True


class AdminOnlyModelView(SecureModelView):
    admin_only = True


class ReadOnlyModelView(SecureModelView):
    can_create = False
    can_edit = False
    can_delete = False
