"""Merge pages on the company view, the possible-duplicates page, and the create-form warning."""
from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_admin import expose
from flask_admin.helpers import get_redirect_target, is_form_submitted
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from wtforms import BooleanField

from ..extensions import db
from ..models import Company, Merge
from ..services.duplicate_cache import (
    SCORE_CHOICES, age_text, cached_scan, duration_text, forget_ignored_pair,
)
from ..services.duplicates import REASON_LABELS, find_duplicate_candidates, ignore_pair
from ..services.merge import MergeError, merge_companies, preview, undo_merge
from .args import MAX_PAGE, int_arg, int_args, parse_int, without_nul
from .base import SecureBaseView
from .links import company_url

PAGE_SIZE = 50
GROUPS_SHOWN = 20


def _require_admin() -> None:
    # The company view is open to every user; merging is not.
    if not current_user.is_admin:
        abort(403)


def _user():
    return current_user._get_current_object()


class MergeViewMixin:
    """Adds /admin/company/merge/ (search, preview, merge), its search and the undo."""

    @expose("/merge/", methods=("GET", "POST"))
    def merge_view(self):
        _require_admin()
        kept = db.session.get(Company, int_arg("id", request.values) or 0)
        if kept is None:
            flash("Choose the company to keep: that company was not found.", "error")
            return redirect(self.get_url(".index_view"))
        absorb_id = int_arg("absorb", request.values)
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
                                     .order_by(Merge.created_at.desc(), Merge.id.desc())).all()
        return self.render("admin/merge/merge.html", kept=kept, absorbed=absorbed, preview=shown,
                           problem=problem, suggestions=suggestions, history=history,
                           reason_labels=REASON_LABELS, card_url=company_url(kept.id))

    def _merge(self, kept: Company, absorbed: Company | None):
        choices = {k.removeprefix("choice_"): v for k, v in request.form.items()
                   if k.startswith("choice_")}
        try:
            if absorbed is None:
                raise MergeError("Choose the duplicate to absorb.")
            merge = merge_companies(kept, absorbed, _user(), choices,
                                    note=request.form.get("note", "").strip()[:2000] or None)
            db.session.commit()
        except (MergeError, SQLAlchemyError) as exc:
            db.session.rollback()
            message = str(exc) if isinstance(exc, MergeError) else (
                "The merge failed and nothing was changed. Please try again.")
            flash(message, "error")
            return redirect(self.get_url(".merge_view", id=kept.id,
                                         absorb=absorbed.id if absorbed else None))
        moved = sum(len(ids) for ids in merge.moved.values())
        flash(f"“{absorbed.name}” was merged into “{kept.name}”: {moved} linked records moved. "
              "An admin can undo it from the merge page or the Merges list.", "success")
        return redirect(company_url(kept.id))

    @expose("/merge/search/")
    def merge_search_view(self):
        _require_admin()
        kept_id = int_arg("id", request.args)
        term = without_nul(request.args.get("q", "")).strip()
        if len(term) < 2:
            return jsonify(results=[])
        like = f"%{term.replace('%', '').replace('_', '')}%"
        matches = [Company.name.ilike(like), Company.email.ilike(like),
                   Company.legal_id.ilike(like), Company.phone.ilike(like)]
        if (number := parse_int(term)) is not None:
            matches.append(Company.id == number)
        rows = db.session.scalars(
            select(Company).where(Company.merged_into_id.is_(None), Company.id != (kept_id or 0),
                                  or_(*matches)).order_by(Company.name, Company.id).limit(20))
        return jsonify(results=[{
            "id": c.id, "name": c.name, "status": c.status, "email": c.email or "",
            "legal_id": c.legal_id or "", "phone": c.phone or "",
            "preview_url": self.get_url(".merge_view", id=kept_id, absorb=c.id),
        } for c in rows])

    @expose("/merge/undo/", methods=("POST",))
    def merge_undo_view(self):
        _require_admin()
        back = get_redirect_target("next") or url_for("merge.index_view")
        merge = db.session.get(Merge, int_arg("merge_id", request.form) or 0)
        if merge is None:
            flash("That merge was not found.", "error")
            return redirect(back)
        try:
            warnings = undo_merge(merge, _user())
            db.session.commit()
        except (MergeError, SQLAlchemyError) as exc:
            db.session.rollback()
            flash(str(exc) if isinstance(exc, MergeError) else
                  "The undo failed and nothing was changed. Please try again.", "error")
            return redirect(back)
        flash(f"Merge undone: “{merge.absorbed.name}” is a separate company again and its "
              "records moved back.", "success")
        for warning in warnings:
            flash(warning, "warning")
        return redirect(back)


class DuplicateWarningMixin:
    """On the create form, lists look-alike companies and asks to confirm before saving."""

    def get_create_form(self):
        base = super().get_create_form()
        return type(base.__name__, (base,), {"create_anyway": BooleanField(
            "Create anyway: these are not the same company")})

    def validate_form(self, form):
        if "create_anyway" not in form:
            return super().validate_form(form)
        valid = super().validate_form(form)
        candidates = []
        if is_form_submitted():
            data = {name: form[name].data if name in form else None
                    for name in ("name", "legal_id", "email", "phone")}
            candidates = find_duplicate_candidates(**data)
        confirmed = form.create_anyway.data
        if not candidates or confirmed:
            del form["create_anyway"]
            return valid
        form.create_anyway.description = _candidates_html(candidates)
        if valid:
            flash(f"{len(candidates)} existing compan{'y looks' if len(candidates) == 1 else 'ies look'} "
                  "like this one (listed at the bottom of the form). Open it instead, or tick "
                  "“Create anyway” and save again.", "warning")
        return False


def _candidates_html(candidates) -> Markup:
    items = Markup("").join(
        Markup('<li><a href="{}" target="_blank">{}</a> — {}</li>').format(
            company_url(company.id), company.name,
            ", ".join(f"{REASON_LABELS[kind]} ({detail})" for kind, detail in pair.reasons))
        for company, pair in candidates)
    return Markup('<span class="text-warning font-weight-bold">Possible duplicates:</span>'
                  '<ul class="mb-0 pl-3" data-duplicate-candidates>{}</ul>').format(items)


def undo_formatter(view, context, model, name) -> Markup:
    """The Merges list's "undone" column: the date, or an Undo button."""
    if model.undone_at:
        return Markup("{:%Y-%m-%d %H:%M}").format(model.undone_at)
    return Markup(render_template("admin/merge/_undo_button.html", m=model))


def _min_score(values) -> int:
    try:
        return max(0, min(100, int(values.get("min_score", 80))))
    except ValueError:
        return 80


class DuplicatesView(SecureBaseView):
    """Possible duplicate pairs and groups, to merge or ignore."""

    admin_only = True

    @expose("/", methods=("GET",))
    def index(self):
        min_score = _min_score(request.args)
        cached = cached_scan()
        page = int_arg("page", request.args, default=1, maximum=MAX_PAGE)
        shown = cached.page(min_score, page, PAGE_SIZE, GROUPS_SHOWN)
        return self.render("admin/merge/duplicates.html", result=shown, pairs=shown.pairs,
                           page=shown.page, pages=shown.pages, min_score=min_score,
                           reason_labels=REASON_LABELS, scan=cached, score_choices=SCORE_CHOICES,
                           scan_age=age_text(cached.computed_at),
                           scan_took=duration_text(cached.seconds))

    @expose("/rescan/", methods=("POST",))
    def rescan(self):
        cached = cached_scan(force=True)
        found = cached.page(_min_score(request.form), 1, PAGE_SIZE, 0).pair_count
        flash(f"Rescanned {cached.companies:,} companies in {duration_text(cached.seconds)}: "
              f"{found:,} possible pair{'' if found == 1 else 's'} at this minimum score.", "success")
        return redirect(self.get_url(".index", min_score=_min_score(request.form)))

    @expose("/ignore/", methods=("POST",))
    def ignore(self):
        first, second = int_arg("low", request.form), int_arg("high", request.form)
        companies = [db.session.get(Company, i or 0) for i in (first, second)]
        if None in companies or first == second:
            flash("That pair of companies was not found.", "error")
        else:
            ignore_pair(first, second, _user())
            db.session.commit()
            forget_ignored_pair(*sorted((first, second)))
            flash(f"“{companies[0].name}” and “{companies[1].name}” will no longer be suggested "
                  "as duplicates.", "success")
        return redirect(get_redirect_target("next") or self.get_url(".index"))

    @expose("/merge-group/", methods=("POST",))
    def merge_group(self):
        kept = db.session.get(Company, int_arg("kept", request.form) or 0)
        ids = set(int_args("member", request.form))
        absorbed = [db.session.get(Company, i) for i in sorted(ids - {kept.id if kept else 0})]
        try:
            if kept is None or not absorbed or None in absorbed:
                raise MergeError("Choose the company to keep and at least one other to absorb.")
            for company in absorbed:  # one transaction: all of the group or none of it
                merge_companies(kept, company, _user(), note="Group merge")
            db.session.commit()
        except (MergeError, SQLAlchemyError) as exc:
            db.session.rollback()
            flash(str(exc) if isinstance(exc, MergeError) else
                  "The group merge failed and nothing was changed.", "error")
            return redirect(self.get_url(".index"))
        flash(Markup("{} companies were merged into “{}”. Each merge can be undone from the "
                     "Merges list.").format(len(absorbed), kept.name), "success")
        return redirect(company_url(kept.id))
