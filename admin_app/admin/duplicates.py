"""Duplicates: the possible-duplicates page, and the warning on the company create form."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_admin.helpers import get_redirect_target, is_form_submitted
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from markupsafe import Markup
from wtforms import BooleanField

from ..extensions import db
from ..formats import number
from ..ids import parse_id
from ..models import Company
from ..services.duplicate_cache import (
    SCORE_CHOICES, age_text, cached_scan, duration_text, forget_ignored_pair,
)
from ..services.duplicate_refresh import scan_for_page, start_full_scan
from ..services.duplicates import find_duplicate_candidates, ignore_pair, reason_text
from ..services.jobs import background_enabled
from ..services.merge import MergeError, merge_companies
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .links import company_url

PAGE_SIZE = 50
GROUPS_SHOWN = 20

class DuplicateWarningMixin:
    """On the create form, lists look-alike companies and asks to confirm before saving."""

    def get_create_form(self):
        base = super().get_create_form()
        return type(base.__name__, (base,), {"create_anyway": BooleanField(
            _l("Create anyway: these are not the same company"))})

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
            flash(ngettext("%(num)d existing company looks like this one (listed at the bottom "
                           "of the form). Open it instead, or tick “Create anyway” and save "
                           "again.",
                           "%(num)d existing companies look like this one (listed at the bottom "
                           "of the form). Open one instead, or tick “Create anyway” and save "
                           "again.", len(candidates)), "warning")
        return False


def _candidates_html(candidates) -> Markup:
    items = Markup("").join(
        Markup('<li><a href="{}" target="_blank">{}</a> — {}</li>').format(
            company_url(company.id), company.name,
            ", ".join(reason_text(kind, detail) for kind, detail in pair.reasons))
        for company, pair in candidates)
    return Markup('<span class="text-warning font-weight-bold">{}</span>'
                  '<ul class="mb-0 pl-3" data-duplicate-candidates>{}</ul>').format(
                      _("Possible duplicates:"), items)


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
        cached, progress = scan_for_page()
        if cached is None:  # the first scan is running in the background
            return self.render("admin/merge/duplicates.html", result=None, pairs=[], page=1,
                               pages=1, min_score=min_score, reason_text=reason_text,
                               scan=None, score_choices=SCORE_CHOICES, progress=progress)
        shown = cached.page(min_score, parse_id(request.args.get("page")) or 1, PAGE_SIZE, GROUPS_SHOWN)
        return self.render("admin/merge/duplicates.html", result=shown, pairs=shown.pairs,
                           page=shown.page, pages=shown.pages, min_score=min_score,
                           reason_text=reason_text, scan=cached, score_choices=SCORE_CHOICES,
                           scan_age=age_text(cached.computed_at),
                           scan_took=duration_text(cached.seconds), progress=progress)

    @expose("/rescan/", methods=("POST",))
    def rescan(self):
        if background_enabled():
            start_full_scan()
            flash(_("A full scan of every company has started; this page shows its progress."),
                  "info")
            return redirect(self.get_url(".index", min_score=_min_score(request.form)))
        cached = cached_scan(force=True)
        found = cached.page(_min_score(request.form), 1, PAGE_SIZE, 0).pair_count
        flash(ngettext("Rescanned %(companies)s companies in %(took)s: %(num)d possible pair at "
                       "this minimum score.",
                       "Rescanned %(companies)s companies in %(took)s: %(num)d possible pairs "
                       "at this minimum score.", found, companies=number(cached.companies),
                       took=duration_text(cached.seconds)), "success")
        return redirect(self.get_url(".index", min_score=_min_score(request.form)))

    @expose("/ignore/", methods=("POST",))
    def ignore(self):
        first, second = parse_id(request.form.get("low")), parse_id(request.form.get("high"))
        companies = [db.session.get(Company, i or 0) for i in (first, second)]
        if None in companies or first == second:
            flash(_("That pair of companies was not found."), "error")
        else:
            with unit_of_work() as work:
                ignore_pair(first, second, current_user._get_current_object())
                work.after_commit(forget_ignored_pair, *sorted((first, second)))
            if work.committed:
                flash(_("“%(first)s” and “%(second)s” will no longer be suggested as duplicates.",
                        first=companies[0].name, second=companies[1].name), "success")
        return redirect(get_redirect_target("next") or self.get_url(".index"))

    @expose("/merge-group/", methods=("POST",))
    def merge_group(self):
        kept = db.session.get(Company, parse_id(request.form.get("kept")) or 0)
        ids = {i for i in map(parse_id, request.form.getlist("member")) if i}
        absorbed = [db.session.get(Company, i) for i in sorted(ids - {kept.id if kept else 0})]
        with unit_of_work() as work:
            if kept is None or not absorbed or None in absorbed:
                raise MergeError(_("Choose the company to keep and at least one other to absorb."))
            for company in absorbed:  # one transaction: all of the group or none of it
                merge_companies(kept, company, current_user._get_current_object(),
                                note=_("Group merge"))
        if not work.committed:
            return redirect(self.get_url(".index"))
        flash(ngettext("%(num)d company was merged into “%(name)s”. The merge can be undone "
                       "from the Merges list.",
                       "%(num)d companies were merged into “%(name)s”. Each merge can be undone "
                       "from the Merges list.", len(absorbed), name=kept.name), "success")
        return redirect(company_url(kept.id))
