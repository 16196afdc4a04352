"""List filters for the data-quality checks: the company and contact lists filter on the same
SQL conditions the data-quality page counts."""
from flask_admin.babel import lazy_gettext
from flask_admin.contrib.sqla.filters import BaseSQLAFilter
from flask_babel import lazy_gettext as _l

from ..models import Company, Contact
from ..services.data_quality import CHECKS_BY_KEY, COMPANY_CHECKS, contact_domain_mismatch, live

CONTACT_MISMATCH = "domain_mismatch"
# The URL arguments of the filters below (Flask-Admin's named filter URLs: name + operation).
COMPANY_FILTER_ARG = "flt0_data_quality_is"
CONTACT_FILTER_ARG = "flt0_data_quality_is"


class CompanyQualityFilter(BaseSQLAFilter):
    """Companies failing one data-quality check."""

    def __init__(self):
        super().__init__(Company.id, _l("Data quality"),
                         options=[(c.key, c.label) for c in COMPANY_CHECKS])

    def validate(self, value) -> bool:
        return value in CHECKS_BY_KEY

    def apply(self, query, value, alias=None):
        return query.filter(live(), CHECKS_BY_KEY[value].condition())

    def operation(self):
        return lazy_gettext("is")


class ContactQualityFilter(BaseSQLAFilter):
    """Contacts whose email is not at their company's domain."""

    def __init__(self):
        super().__init__(Contact.id, _l("Data quality"), options=[
            (CONTACT_MISMATCH, _l("Email not at the company's domain"))])

    def validate(self, value) -> bool:
        return value == CONTACT_MISMATCH

    def apply(self, query, value, alias=None):
        return query.filter(contact_domain_mismatch())

    def operation(self):
        return lazy_gettext("is")
