"""Company rules the admin forms rely on: what blocks a delete, what goes with it, default
comments, address flags, and where a merged-away company now lives."""
from sqlalchemy import func, inspect, or_, select

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
ADDRESS_FLAGS = {"is_main": "the main address", "is_billing_default": "the default for invoices",
                 "is_delivery_default": "the default for deliveries",
                 "is_quote_default": "the default for quotes"}


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


def check_address_flags(addresses: list[Address]) -> list[str]:
    """Messages for flags set on more than one address (each may be held by one address only)."""
    errors = []
    for flag, meaning in ADDRESS_FLAGS.items():
        holders = [a for a in addresses if getattr(a, flag)]
        if len(holders) > 1:
            names = ", ".join(a.label or a.line1 or "(new address)" for a in holders)
            errors.append(f"Only one address can be {meaning}; {len(holders)} are ticked: {names}.")
    return errors


def apply_address_flags(company: Company) -> None:
    """Write the flags so the partial unique indexes never see two holders mid-flush."""
    addresses = list(company.addresses)
    if addresses and not any(a.is_main for a in addresses):
        addresses[0].is_main = True  # a company with addresses always shows one under its name
    moved = any(a.id is not None and inspect(a).attrs[flag].history.has_changes()
                for a in addresses for flag in ADDRESS_FLAGS)
    if not moved:
        return
    # A flag moving from one saved address to another: clear everything first, then set.
    wanted = [(a, {f: bool(getattr(a, f)) for f in ADDRESS_FLAGS}) for a in addresses]
    for address, _flags in wanted:
        for flag in ADDRESS_FLAGS:
            setattr(address, flag, False)
    db.session.flush()
    for address, flags in wanted:
        for flag, value in flags.items():
            setattr(address, flag, value)


def take_address_flags(address: Address) -> None:
    """Give this address the flags it has ticked, taking them from the company's other addresses."""
    taken = [f for f in ADDRESS_FLAGS if getattr(address, f)]
    if not taken or address.company_id is None and address.company is None:
        return
    company_id = address.company_id or address.company.id
    with db.session.no_autoflush:  # the address must not reach the database before the others
        others = db.session.scalars(select(Address).where(
            Address.company_id == company_id, Address.id != (address.id or 0),
            or_(*[getattr(Address, f).is_(True) for f in taken]))).all()
    if not others:
        return
    # Untick here, clear the others, flush, then tick: the unique indexes never see two holders.
    for flag in taken:
        setattr(address, flag, False)
    for other in others:
        for flag in taken:
            setattr(other, flag, False)
    db.session.flush()
    for flag in taken:
        setattr(address, flag, True)
