"""The merge of a duplicate into the company kept, at /admin/company/merge/?id=KEPT: find it,
preview both side by side, merge; and the undo of a merge."""
from flask import abort, flash, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.ajax import QueryAjaxModelLoader
from flask_admin.helpers import get_redirect_target
from flask_admin.model.fields import AjaxSelectField
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup
from sqlalchemy import select
from sqlalchemy.orm import undefer

from ..extensions import db
from ..ids import parse_id
from ..models import Company, Merge
from ..services.duplicates import find_duplicate_candidates, reason_text
from ..services.search import search_companies
from ..services.merge import MergeError, merge_companies, preview, undo_merge
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .company_pages import (
    card_url, company_or_none, follow_merge_message, live_company_or_redirect,
)
from .links import company_url


class MergeCandidateLoader(QueryAjaxModelLoader):
    """Live companies other than the kept one (`?id=`), by name, email, legal ID, phone or #id."""

    def __init__(self):
        super().__init__("absorb", db, Company, fields=["name", "email", "legal_id", "phone"],
                         page_size=20, minimum_input_length=2,
                         placeholder=_l("Type a name, email, phone, legal ID or #id"))

    def format(self, model):
        if model is None:
            return None
        details = " · ".join(filter(None, [f"#{model.id}", model.status, model.email,
                                           model.phone, model.legal_id]))
        return model.id, f"{model.name} ({details})"

    def get_list(self, term, offset=0, limit=20):
        term = (term or "").replace("\x00", "").strip()
        if len(term) < 2:
            return []
        kept_id = parse_id(request.args.get("id")) or 0
        limit = min(limit or 20, 50)
        number = parse_id(term.removeprefix("#"))
        by_number = []
        if number and not offset:
            by_number = search_companies(None, exclude_id=kept_id, limit=1,
                                         extra=Company.id == number)
        found = search_companies(term, exclude_id=kept_id, offset=offset or 0, limit=limit)
        return by_number + [company for company in found if company not in by_number]


CANDIDATES = MergeCandidateLoader()


class FindDuplicateForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search that changes nothing

    absorb = AjaxSelectField(CANDIDATES, _l("Company to absorb"), allow_blank=True)


class CompanyMergeView(SecureBaseView):
    """Admins only: a merge moves every record of one company to another."""

    admin_only = True

    def is_visible(self) -> bool:
        return False

    @expose("/", methods=("GET", "POST"))
    def index(self):
        if company_or_none() is None:
            flash(_("Choose the company to keep: that company was not found."), "error")
            return redirect(url_for("company.index_view"))
        kept, moved = live_company_or_redirect("company_merge.index",
                                               follow_merge_message("merge"))
        if moved:
            return moved
        absorb_id = parse_id(request.values.get("absorb"))
        absorbed = db.session.get(Company, absorb_id) if absorb_id else None
        if request.method == "POST":
            return self._merge(kept, absorbed)
        shown, problem = None, None
        if absorb_id:
            try:
                shown = preview(kept, absorbed)
            except MergeError as exc:
                problem = str(exc)
        suggestions = [] if absorb_id else find_duplicate_candidates(
            kept.name, kept.legal_id, kept.email, kept.phone, exclude_id=kept.id)
        history = db.session.scalars(select(Merge).where(Merge.kept_id == kept.id)
                                     .options(undefer(Merge.moved))  # counted in the table
                                     .order_by(Merge.created_at.desc(), Merge.id.desc())).all()
        search = FindDuplicateForm(formdata=None)
        return self.render("admin/merge/merge.html", kept=kept, absorbed=absorbed, preview=shown,
                           problem=problem, suggestions=suggestions, history=history,
                           reason_text=reason_text, card_url=card_url(kept), search=search)

    def _merge(self, kept: Company, absorbed: Company | None):
        choices = {k.removeprefix("choice_"): v for k, v in request.form.items()
                   if k.startswith("choice_")}
        with unit_of_work() as work:
            if absorbed is None:
                raise MergeError(_("Choose the duplicate to absorb."))
            merge = merge_companies(kept, absorbed, current_user._get_current_object(), choices,
                                    note=request.form.get("note", "").strip()[:2000] or None)
        if not work.committed:
            return redirect(self.get_url(".index", id=kept.id,
                                         absorb=absorbed.id if absorbed else None))
        moved = sum(len(ids) for ids in merge.moved.values())
        flash(_("“%(absorbed)s” was merged into “%(kept)s”: %(moved)s linked records moved. An "
                "admin can undo it from the merge page or the Merges list.",
                absorbed=absorbed.name, kept=kept.name, moved=moved), "success")
        return redirect(company_url(kept.id))

    @expose("/ajax/lookup/")
    def ajax_lookup(self):
        """Flask-Admin's ajax lookup for the "company to absorb" picker."""
        if request.args.get("name") != "absorb":
            abort(404)
        found = CANDIDATES.get_list(request.args.get("query"),
                                    parse_id(request.args.get("offset")),
                                    parse_id(request.args.get("limit")) or 20)
        return [CANDIDATES.format(company) for company in found]

    @expose("/undo/", methods=("POST",))
    def undo(self):
        back = get_redirect_target("next") or url_for("merge.index_view")
        merge = db.session.get(Merge, parse_id(request.form.get("merge_id")) or 0)
        if merge is None:
            flash(_("That merge was not found."), "error")
            return redirect(back)
        with unit_of_work() as work:
            warnings = undo_merge(merge, current_user._get_current_object())
        if work.committed:
            flash(_("Merge undone: “%(name)s” is a separate company again and its records moved "
                    "back.", name=merge.absorbed.name), "success")
            for warning in warnings:
                flash(warning, "warning")
        return redirect(back)


def undo_formatter(view, context, model, name) -> Markup:
    """The Merges list's "undone" column: the date, or an Undo button."""
    if model.undone_at:
        return Markup("{:%Y-%m-%d %H:%M}").format(model.undone_at)
    # Reviewed (bandit B704): the output of an autoescaping template.
    return Markup(render_template("admin/merge/_undo_button.html", m=model))  # nosec B704
