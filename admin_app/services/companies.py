"""Company rules the admin forms rely on: what blocks a delete, what goes with it, default
comments, where a merged-away company now lives, and that nothing is attached to it."""
from functools import cache

from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.interfaces import MANYTOONE

from ..errors import Refusal
from ..extensions import db
from ..models import (
    Address, CommentTemplate, Company, Contact, CustomFieldValue, Document,
    Exchange, Invoice, Merge, Opportunity, Order, Quote,
)
from .merge import company_foreign_keys

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
    """Per company, the sales documents, signed documents and merge records that forbid
    deleting it."""
    result = _counts(company_ids, BLOCKING)
    # Documents signed (or out for signature) are evidence: the company stays with them.
    for company_id, count in db.session.execute(
            select(Document.company_id, func.count())
            .where(Document.company_id.in_(company_ids),
                   Document.signature_status.in_(("pending", "signed")))
            .group_by(Document.company_id)).all():
        result[company_id]["signed documents"] = count
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


def refuse_rows_on_merged_companies(session: Session, _context=None, _instances=None) -> None:
    """Before every flush: a row (contact, address, exchange, quote, invoice, document…) may not
    be attached to a merged-away company, whichever form, action or script attaches it.

    The merge and its undo move rows with UPDATE statements, which do not pass here."""
    with session.no_autoflush:
        for row in [*session.new, *session.dirty]:
            for company in _newly_attached_companies(session, row):
                if company.merged_into_id is not None:
                    raise Refusal(merged_company_message(company))


def merged_company_message(company: Company) -> str:
    _company, kept = live_company(company.id)
    return _("“%(name)s” was merged into “%(kept)s”: attach records to “%(kept)s” instead.",
             name=company.name, kept=kept.name if kept else "?")


def _newly_attached_companies(session: Session, row):
    """The companies a new row points to, or that a changed row now points to."""
    links = _company_links(type(row))
    if not links:
        return
    state = inspect(row)
    for column_key, relation_key in links:
        relation_changed = relation_key and state.attrs[relation_key].history.has_changes()
        if relation_changed:
            company = state.dict.get(relation_key)
        elif state.pending or state.attrs[column_key].history.has_changes():
            company_id = state.dict.get(column_key)
            company = session.get(Company, company_id) if company_id else None
        else:
            continue
        if company is not None:
            yield company


@cache
def _company_links(model) -> tuple[tuple[str, str | None], ...]:
    """(column attribute, many-to-one relation or None) of each foreign key a row of `model`
    uses to belong to a company (merge bookkeeping excluded: it names tombstones on purpose)."""
    mapper = inspect(model)
    owned = {column for table, column in company_foreign_keys() if table in mapper.tables}
    links = []
    for column in owned:
        relation = next((r.key for r in mapper.relationships
                         if r.direction is MANYTOONE and column in r.local_columns), None)
        links.append((mapper.get_property_by_column(column).key, relation))
    return tuple(links)
