"""Bulk edits on the company list (admins): the checked rows, or every row matching the list's
filter and search, get a new account manager, status, custom-field value or comment line, after
a review page that says how many records change."""
from urllib.parse import parse_qsl, urlsplit

from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_admin.actions import action
from flask_babel import lazy_gettext as _l
from flask_admin.helpers import get_redirect_target
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..errors import Refusal
from ..ids import parse_id
from ..models import Company
from ..services import bulk_edit
from ..services.custom_fields import active_definitions
from ..unit_of_work import unit_of_work


def _list_args(list_url: str) -> dict[str, str]:
    """The search and filters of the list a bulk edit was started from."""
    return {k: v for k, v in parse_qsl(urlsplit(list_url).query)
            if k == "search" or k.startswith("flt")}


class CompanyBulkEditMixin:
    """The "Edit selected…" action and its page, on the company list."""

    def is_action_allowed(self, name):
        if name == "bulk_edit" and not current_user.is_admin:
            return False
        return super().is_action_allowed(name)

    @action("bulk_edit", _l("Edit selected…"))
    def action_bulk_edit(self, ids):
        list_url = get_redirect_target() or self.get_url(".index_view")
        chosen = sorted({i for i in map(parse_id, ids) if i})
        return redirect(self.get_url(".bulk_edit", id=chosen, url=list_url,
                                     **_list_args(list_url)))

    def _filtered_ids(self) -> list[int]:
        """Ids of every row the list shows with its current search and filters (request.args)."""
        view_args = self._get_list_extra_args()
        _count, query = self.get_list(None, None, False, view_args.search, view_args.filters,
                                      execute=False, page_size=0)
        ids = query.with_entities(Company.id).order_by(None).limit(bulk_edit.MAX_COMPANIES + 1)
        return [row[0] for row in ids]

    @expose("/bulk-edit/", methods=("GET", "POST"))
    def bulk_edit(self):
        if not current_user.is_admin:
            abort(403)
        return_url = get_redirect_target() or self.get_url(".index_view")
        selected = sorted({i for i in map(parse_id, request.values.getlist("id")) if i})
        filtered = self._filtered_ids()
        scope = request.form.get("scope", "selected")
        ids = filtered if scope == "filtered" and filtered is not None else selected
        page = {"return_url": return_url, "selected": selected, "filtered": filtered,
                "scope": scope, "form": request.form, "narrowed": bool(_list_args(request.full_path)), "max": bulk_edit.MAX_COMPANIES,
                "users": self._users(), "definitions": active_definitions(), "plan": None}
        if request.method == "GET" or request.form.get("step") not in ("review", "apply"):
            return self.render("admin/company/bulk_edit.html", **page)
        try:
            edit = bulk_edit.read_edit(request.form.get("kind", ""), request.form.get(
                f"value_{request.form.get('kind', '')}"), request.form.get("definition"))
            companies = bulk_edit.load_companies(ids)
        except Refusal as exc:
            flash(str(exc), "error")
            return self.render("admin/company/bulk_edit.html", **page)
        if not companies:
            flash(_("No company is chosen: tick rows in the list, or choose every row matching "
                    "the filter."), "error")
            return self.render("admin/company/bulk_edit.html", **page)
        if request.form["step"] == "review":
            return self.render("admin/company/bulk_edit.html", **{
                **page, "plan": bulk_edit.plan(companies, edit), "edit": edit,
                "total": len(companies)})
        with unit_of_work() as work:
            changed = bulk_edit.apply(companies, edit)
        if not work.committed:
            return self.render("admin/company/bulk_edit.html", **page)
        flash(ngettext("%(num)d company changed: %(what)s.",
                       "%(num)d companies changed: %(what)s.", changed, what=edit.describe()),
              "success")
        return redirect(return_url)

    def _users(self):
        from .company import _active_users
        return _active_users()
