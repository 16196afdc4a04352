"""Company rules the admin forms rely on: what blocks a delete, what goes with it, default
comments, and where a merged-away company now lives."""
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, or_, select

from ..errors import Refusal
from ..extensions import db
from ..models import (
    Address, CommentTemplate, Company, Contact, CustomFieldValue, Document,
    Exchange, Invoice, Merge, Opportunity, Order, Quote,
)

# Rows that keep the books: a company holding any of them is merged, never deleted.
BLOCKING = (("quotes", Quote), ("orders", Order), ("invoices", Invoice))
# Rows the database deletes with the company (ON DELETE CASCADE).
CASCADING = (("addresses", Address), ("contacts", Contact), ("exchanges", Exchange),
             ("opportunities", Opportunity), ("documents", Document),
             ("custom field values", CustomFieldValue))


def _counts(company_ids: list[int], kinds) -> dict[int, dict[str, int]]:
    """{company_id: {kind: count}} in one grouped query per kind."""
    result: dict[int, dict[str, int]] = {cid: {} for cid in company_ids}
    for label, model in kinds:
        rows = db.session.execute(
            select(model.company_id, func.count()).where(model.company_id.in_(company_ids))
            .group_by(model.company_id)).all()
        for company_id, count in rows:
            result[company_id][label] = count
    return result


def deletion_blockers(company_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per company, the sales documents (and merge records) that forbid deleting it."""
    result = _counts(company_ids, BLOCKING)
    rows = db.session.execute(
        select(Merge.kept_id, Merge.absorbed_id)
        .where(or_(Merge.kept_id.in_(company_ids), Merge.absorbed_id.in_(company_ids)))).all()
    for kept, absorbed in rows:
        for cid in (kept, absorbed):
            if cid in result:
                result[cid]["merge records"] = result[cid].get("merge records", 0) + 1
    return result


def deletion_consequences(company_ids: list[int]) -> dict[int, dict[str, int]]:
    """Per company, what the database deletes along with it."""
    return _counts(company_ids, CASCADING)


def describe_counts(counts: dict[str, int]) -> str:
    """'2 invoices and 1 quote' from {'invoices': 2, 'quotes': 1}."""
    parts = [f"{n} {label if n != 1 else _singular(label)}" for label, n in counts.items() if n]
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def _singular(label: str) -> str:
    if label.endswith("ies"):
        return label[:-3] + "y"
    if label.endswith("sses"):
        return label[:-2]
    return label[:-1] if label.endswith("s") else label


def merge_url(company_id: int) -> str:
    # A plain path: services know no endpoints, and this URL is part of the contract.
    return f"/admin/company/merge/?id={company_id}"


def deletion_refusal(company: Company, blockers: dict[str, int]) -> Markup:
    """Why the company cannot be deleted, with the way out: the merge."""
    # Reviewed (bandit B704): our sentence; the name is escaped, the rest are counts and an id.
    return Markup(_(  # nosec B704
        "“%(name)s” cannot be deleted: it has %(what)s, which must stay in the books. "
        'If it is a duplicate, <a href="%(url)s">merge it</a> with the card to keep instead.',
        name=Markup.escape(company.name), what=describe_counts(blockers),
        url=merge_url(company.id)))


def delete_company(company: Company) -> None:
    """Delete a company and what cascades with it, unless it holds sales documents or merge
    records: those must stay, and a duplicate is merged instead."""
    blockers = deletion_blockers([company.id])[company.id]
    if blockers:
        raise Refusal(deletion_refusal(company, blockers))
    db.session.delete(company)


def default_comments() -> str:
    """The body of the default comment template, which pre-fills a new company's comments."""
    body = db.session.scalar(select(CommentTemplate.body).where(CommentTemplate.is_default)
                             .order_by(CommentTemplate.id).limit(1))
    return body or ""


def live_company(company_id: int) -> tuple[Company | None, Company | None]:
    """(company, absorber): the absorber is the live company a merged-away one now lives in.

    Follows chains (A merged into B, B later into C leads to C); a loop stops where it closes.
    """
    company = db.session.get(Company, company_id)
    if company is None or company.merged_into_id is None:
        return company, None
    target, seen = company, {company.id}
    while target.merged_into_id is not None and target.merged_into_id not in seen:
        seen.add(target.merged_into_id)
        target = db.session.get(Company, target.merged_into_id)
    return company, target
