"""The data-quality page at /admin/data-quality/ (admins): counts of problems, each linking to
the list filtered on the same condition."""
from flask import url_for
from flask_admin import expose

from ..services.data_quality import (
    COMPANY_CHECKS, DUPLICATE_MIN_SCORE, company_counts, contact_mismatch_count, duplicate_pairs,
    stale_before,
)
from ..services.office_counts import quality_sums
from .base import SecureBaseView
from .quality_filters import COMPANY_FILTER_ARG, CONTACT_FILTER_ARG, CONTACT_MISMATCH


class DataQualityView(SecureBaseView):
    """What needs cleaning, counted; each count opens the records concerned."""

    admin_only = True

    @expose("/", methods=("GET",))
    def index(self):
        tallies = quality_sums(stale_before())
        counts = company_counts(tallies=tallies)
        checks = [{"key": check.key, "label": check.label, "count": counts[check.key],
                   "url": url_for("company.index_view", **{COMPANY_FILTER_ARG: check.key})}
                  for check in COMPANY_CHECKS]
        contacts = {"count": contact_mismatch_count(tallies),
                    "url": url_for("contact.index_view", **{CONTACT_FILTER_ARG: CONTACT_MISMATCH})}
        return self.render("admin/data_quality.html", checks=checks, contacts=contacts,
                           duplicates=duplicate_pairs(), min_score=DUPLICATE_MIN_SCORE)
