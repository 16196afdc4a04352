"""Deleting companies: a company with sales documents is merged, never deleted; an empty one goes
after a page that lists what goes with it."""
from flask_babel import lazy_gettext as _l
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_admin.actions import action
from flask_admin.helpers import get_redirect_target
from flask_admin.model.template import DeleteRowAction, LinkRowAction
from markupsafe import Markup

from ..models import Company
from ..services.companies import (
    delete_company, deletion_blockers, deletion_consequences, deletion_refusal, describe_counts,
)
from .args import int_args


class CompanyDeleteMixin:
    """Delete rules for companies, from the list, the edit page, bulk delete and direct posts."""

    def remove_model(self, model, work):
        delete_company(model)

    def refusal_of(self, model) -> Markup | None:
        blockers = deletion_blockers([model.id])[model.id]
        return deletion_refusal(model, blockers) if blockers else None

    def get_list_row_actions(self):
        actions = [a for a in super().get_list_row_actions() if not isinstance(a, DeleteRowAction)]
        if self.can_delete:
            actions.append(LinkRowAction(
                "fa fa-trash",
                lambda _action, row_id, _row: self.get_url(".delete_confirm", id=row_id,
                                                           url=request.full_path),
                title=_l("Delete…")))
        return actions

    @action("delete", _l("Delete"), None)
    def action_delete(self, ids):
        # No browser confirm(): the next page lists what would go and asks.
        return redirect(self.get_url(".delete_confirm", id=list(ids), url=request.full_path))

    @expose("/delete/confirm/", methods=("GET", "POST"))
    def delete_confirm(self):
        if not self.can_delete:
            abort(403)
        ids = int_args("id", request.values)
        return_url = get_redirect_target() or self.get_url(".index_view")
        companies = self.get_query().filter(Company.id.in_(ids)).order_by(Company.name).all()
        if not companies:
            flash(_("That company no longer exists (it may have been deleted or merged)."), "error")
            return redirect(self.get_url(".index_view"))
        found = [c.id for c in companies]
        blockers = deletion_blockers(found)
        if request.method == "POST":
            if self.delete_models(companies):
                names = ", ".join(f"“{c.name}”" for c in companies)
                flash(_("Deleted %(names)s and everything that went with it.", names=names), "success")
                return redirect(self.get_url(".index_view"))
            return redirect(self.get_url(".delete_confirm", id=found, url=return_url))
        consequences = deletion_consequences(found)
        rows = [{"company": c, "refusal": deletion_refusal(c, blockers[c.id])
                 if blockers[c.id] else None,
                 "goes_with": describe_counts(consequences[c.id])}
                for c in companies]
        return self.render("admin/company/delete_confirm.html", rows=rows, return_url=return_url,
                           deletable=all(r["refusal"] is None for r in rows))
