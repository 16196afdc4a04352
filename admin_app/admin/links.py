"""URLs to entities, shared by templates and column formatters so every company links alike."""
from flask import url_for
from markupsafe import Markup, escape


def company_url(company_id: int) -> str:
    """Where a company's name leads: its client card."""
    return url_for("card.index", id=company_id)


def company_link(company) -> Markup:
    if company is None:
        return Markup("")
    return Markup('<a href="{}">{}</a>').format(company_url(company.id), escape(company.name))
