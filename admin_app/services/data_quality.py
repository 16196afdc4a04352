"""Data-quality checks on companies and contacts, each one SQL condition: the lists filter with
it, and the data-quality page counts it from running tallies of the same condition (one
statement for them all, whatever the size of the database)."""
from dataclasses import dataclass
from typing import Callable, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import Date, literal_column, text

from ..models import Company, Contact
from ..models.quality_flags import COMPANY_ROW_CHECKS, TOUCH_DAY
from .duplicate_cache import fresh_cached_scan
from .office_counts import quality_sums, stale_before

DUPLICATE_MIN_SCORE = 80


def _row_check(key: str) -> Callable:
    """The check on the company's own row (models/quality_flags.py), as the lists filter it."""
    return lambda: text(COMPANY_ROW_CHECKS[key].format(r=Company.__tablename__))


def _stale_lead():
    # Tallied by the day of the last touch (models/quality_flags.py): the same text here.
    touch_day = literal_column(TOUCH_DAY.format(r=Company.__tablename__), Date)
    return (Company.status == "lead") & (touch_day < stale_before())


def contact_domain_mismatch():
    """Contacts whose email is not at their company's email domain (free mail excluded): a
    flag the triggers of models/quality_flags.py keep."""
    return Contact.domain_mismatch.is_(True)


@dataclass(frozen=True)
class Check:
    key: str
    label: object
    condition: Callable


COMPANY_CHECKS = (
    Check("no_email", _l("Companies without an email"), _row_check("no_email")),
    Check("no_phone", _l("Companies without a phone"), _row_check("no_phone")),
    Check("unreachable", _l("Companies with neither email nor phone"), _row_check("unreachable")),
    Check("invalid_email", _l("Companies with an invalid email"), _row_check("invalid_email")),
    Check("bad_es_id", _l("Invalid Spanish NIF/CIF check digit"), _row_check("bad_es_id")),
    Check("bad_fr_id", _l("Invalid French SIREN/SIRET check digits"), _row_check("bad_fr_id")),
    Check("no_main_address", _l("Companies without a main address"),
          _row_check("no_main_address")),
    Check("stale_lead", _l("Leads untouched for a year"), _stale_lead),
)
CHECKS_BY_KEY = {check.key: check for check in COMPANY_CHECKS}


def live():
    return Company.merged_into_id.is_(None)


def company_count(check: Check) -> int:
    """One query: live companies failing the check."""
    return company_counts([check])[check.key]


def company_counts(checks: Iterable[Check] = COMPANY_CHECKS,
                   tallies: dict[str, int] | None = None) -> dict[str, int]:
    """How many live companies fail each check, from the running tallies of the same
    conditions: one statement whatever the number of companies (none when `tallies` were
    read already)."""
    tallies = tallies or quality_sums(stale_before())
    return {check.key: tallies[check.key] for check in checks}


def contact_mismatch_count(tallies: dict[str, int] | None = None) -> int:
    """Contacts whose email is not at their company's domain, from the tallies (`tallies` when
    already read)."""
    return (tallies or quality_sums())["contact_mismatch"]


def duplicate_pairs(min_score: int = DUPLICATE_MIN_SCORE) -> int | None:
    """Possible duplicate pairs from the cached scan; None when it must be run again."""
    cached = fresh_cached_scan()
    return cached.page(min_score, 1, 1, 0).pair_count if cached is not None else None
