"""Data-quality checks on companies and contacts, each one SQL condition: the data-quality page
counts it in one query and the lists filter with the very same condition."""
from dataclasses import dataclass
from datetime import timedelta
from typing import Callable, Iterable

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, literal, or_, select

from ..extensions import db
from ..models import Address, Company, Contact, Exchange
from ..models.base import utcnow
from .duplicate_cache import fresh_cached_scan

STALE_AFTER_DAYS = 365
DUPLICATE_MIN_SCORE = 80


def _missing(column):
    return or_(column.is_(None), func.trim(column) == "")


def _no_email():
    return _missing(Company.email)


def _no_phone():
    return _missing(Company.phone)


def _unreachable():
    return _missing(Company.email) & _missing(Company.phone)


def _invalid_email():
    # The shape every address has (something@something.tld, no space, one @); the same test as
    # a regular expression would take, written with LIKE so both databases run it.
    return ~_missing(Company.email) & or_(
        ~Company.email.like("%_@_%._%"), Company.email.like("% %"), Company.email.like("%@%@%"))


def _bad_spanish_id():
    return Company.legal_id_check == "es_bad"


def _bad_french_id():
    return Company.legal_id_check == "fr_bad"


def _no_main_address():
    return ~exists().where(Address.company_id == Company.id, Address.is_main.is_(True))


def _stale_lead():
    cutoff = utcnow() - timedelta(days=STALE_AFTER_DAYS)
    return (Company.status == "lead") & (Company.updated_at < cutoff) & ~exists().where(
        Exchange.company_id == Company.id, Exchange.occurred_at >= cutoff)


def contact_domain_mismatch():
    """Contacts whose email is not at their company's email domain (free mail excluded)."""
    return exists().where(
        Company.id == Contact.company_id, Company.email_domain != "",
        ~_missing(Contact.email),
        ~func.lower(Contact.email).like(literal("%@") + Company.email_domain))


@dataclass(frozen=True)
class Check:
    key: str
    label: object
    condition: Callable
    # A test on other tables (NOT EXISTS …): counted by a statement of its own, which the
    # database answers with one anti-join, not a subquery per company of a shared pass.
    other_tables: bool = False


COMPANY_CHECKS = (
    Check("no_email", _l("Companies without an email"), _no_email),
    Check("no_phone", _l("Companies without a phone"), _no_phone),
    Check("unreachable", _l("Companies with neither email nor phone"), _unreachable),
    Check("invalid_email", _l("Companies with an invalid email"), _invalid_email),
    Check("bad_es_id", _l("Invalid Spanish NIF/CIF check digit"), _bad_spanish_id),
    Check("bad_fr_id", _l("Invalid French SIREN/SIRET check digits"), _bad_french_id),
    Check("no_main_address", _l("Companies without a main address"), _no_main_address,
          other_tables=True),
    Check("stale_lead", _l("Leads untouched for a year"), _stale_lead, other_tables=True),
)
CHECKS_BY_KEY = {check.key: check for check in COMPANY_CHECKS}


def live():
    return Company.merged_into_id.is_(None)


def company_count(check: Check) -> int:
    """One query: live companies failing the check."""
    return company_counts([check])[check.key]


def company_counts(checks: Iterable[Check] = COMPANY_CHECKS) -> dict[str, int]:
    """How many live companies fail each check. The tests on the company row alone share one
    pass over the companies (a statement each read the whole table once per check)."""
    checks = list(checks)
    counts = {}
    row_checks = [check for check in checks if not check.other_tables]
    if row_checks:
        row = db.session.execute(
            select(*(func.count().filter(check.condition()) for check in row_checks))
            .select_from(Company).where(live())).one()
        counts.update({check.key: count or 0 for check, count in zip(row_checks, row)})
    for check in checks:
        if check.other_tables:
            counts[check.key] = db.session.scalar(select(func.count()).select_from(Company)
                                                  .where(live(), check.condition())) or 0
    return counts


def contact_mismatch_count() -> int:
    """One query: contacts whose email is not at their company's domain."""
    return db.session.scalar(select(func.count()).select_from(Contact)
                             .where(contact_domain_mismatch())) or 0


def duplicate_pairs(min_score: int = DUPLICATE_MIN_SCORE) -> int | None:
    """Possible duplicate pairs from the cached scan; None when it must be run again."""
    cached = fresh_cached_scan()
    return cached.page(min_score, 1, 1, 0).pair_count if cached is not None else None
