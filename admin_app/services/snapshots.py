"""Documents frozen at issue: what the buyer, the seller, the currency, the terms and the lines
were when a quote, order, invoice or credit note was issued, and the PDF produced then.

The PDF of an issued document is rendered from its snapshot only, and the one produced at issue
is archived (outside static, with its SHA-256): downloading it again gives the same bytes,
whatever happened to the company or the settings since.
"""
import hashlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, case, event, exists, insert, select, update
from sqlalchemy.orm import Session, selectinload

from ..extensions import db
from ..models import CreditNote, DocumentSnapshot, Invoice, Order, Quote
from ..storage import StorageKeyError, discard, storage
from .settings import get_setting

log = logging.getLogger(__name__)

KINDS = {Quote: "quote", Order: "order", Invoice: "invoice", CreditNote: "credit"}
SELLER_KEYS = ("company_name", "company_address", "company_legal_id", "company_vat_number",
               "company_email", "company_iban", "company_footer", "company_logo")
ADDRESS_FIELDS = ("contact_name", "line1", "line2", "postal_code", "city", "country")
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate", "total_excl_tax", "total_tax")
ARCHIVE_DIR = "issued"
WRITTEN = "archived_pdfs"  # session.info key: files written in the current transaction


def kind_of(document) -> str:
    return KINDS[type(document)]


def billing_address(company, prefer_quote: bool = False):
    """The address a document is made out to: the quote default for quotes, then the billing
    default, then the main address, then any."""
    addresses = list(company.addresses)
    flags = (["is_quote_default"] if prefer_quote else []) + ["is_billing_default", "is_main"]
    for flag in flags:
        found = next((a for a in addresses if getattr(a, flag)), None)
        if found is not None:
            return found
    return addresses[0] if addresses else None


def _text(value) -> str | None:
    return None if value is None else str(value)


def _dates(document) -> dict[str, str | None]:
    names = {"quote": ("issue_date", "valid_until"), "order": ("order_date",),
             "invoice": ("issue_date", "due_date"), "credit": ("issue_date",)}[kind_of(document)]
    return {name: _text(getattr(document, name)) for name in names}


def build(document, bodies: dict[str, str] | None = None) -> dict[str, Any]:
    """The document as it reads now, in plain JSON values (Decimals and dates as text).
    `bodies`: the default document texts, read once by a caller freezing many documents."""
    from .templates import document_texts  # the templating layer imports the models late

    company = document.company
    address = billing_address(company, prefer_quote=isinstance(document, Quote))
    contact = next((c for c in company.contacts if c.is_billing_contact), None)
    kind = kind_of(document)
    data = {
        "kind": kind, "number": document.number, "status": document.status,
        "dates": _dates(document),
        "currency": get_setting("currency"),
        "payment_terms_days": get_setting("payment_terms_days"),
        "buyer": {
            "name": company.name, "legal_id": company.legal_id,
            "vat_number": getattr(company, "vat_number", None),
            "address": ({f: getattr(address, f) for f in ADDRESS_FIELDS}
                        if address is not None else None),
            "contact": ({"name": contact.full_name, "email": contact.email,
                         "phone": contact.phone} if contact is not None else None),
        },
        "seller": {key: get_setting(key) for key in SELLER_KEYS},
        "lines": [{f: _text(getattr(line, f)) for f in LINE_FIELDS} for line in document.lines],
        "totals": {f: _text(getattr(document, f))
                   for f in ("total_excl_tax", "total_tax", "total_incl_tax")},
        "notes": document.notes,
        "texts": (document_texts(document, bodies) if kind in ("quote", "invoice")
                  else {"notes": "", "footer": ""}),
    }
    if isinstance(document, CreditNote):
        invoice = document.invoice
        data["invoice"] = {"number": invoice.number, "issue_date": _text(invoice.issue_date)}
        data["reason"] = document.reason
    return data


def snapshot_row(document) -> DocumentSnapshot | None:
    if document.id is None:
        return None
    return db.session.scalar(select(DocumentSnapshot).where(
        DocumentSnapshot.kind == kind_of(document), DocumentSnapshot.document_id == document.id))


def snapshot_of(document) -> dict[str, Any]:
    """The stored snapshot of an issued document, else the document as it reads now (drafts)."""
    row = snapshot_row(document)
    return row.data if row is not None else build(document)


def freeze(document, archive: bool = True) -> DocumentSnapshot:
    """Store the document's snapshot (once) and archive the PDF rendered from it. Flushes."""
    row = snapshot_row(document)
    if row is None:
        db.session.flush()
        row = DocumentSnapshot(kind=kind_of(document), document_id=document.id,
                               data=build(document))
        db.session.add(row)
        db.session.flush()
    if document.currency is None:
        document.currency = row.data.get("currency")
    if archive and row.pdf_sha256 is None and row.kind != "order":
        _archive(row)
    return row


def _archive(row: DocumentSnapshot) -> None:
    from .pdf import render  # pdf renders snapshots; it imports this module

    data = render(row.data)
    digest = hashlib.sha256(data).hexdigest()
    relative = f"{ARCHIVE_DIR}/{row.kind}-{row.document_id}-{digest[:16]}.pdf"
    # Written before the commit (never a snapshot pointing at nothing); a rollback removes it.
    storage().save(relative, data)
    db.session.info.setdefault(WRITTEN, []).append(relative)
    row.pdf_path, row.pdf_sha256 = relative, digest


@event.listens_for(Session, "after_commit")
def _keep_archives(session) -> None:
    session.info.pop(WRITTEN, None)


@event.listens_for(Session, "after_rollback")
def _discard_archives(session) -> None:
    for relative in session.info.pop(WRITTEN, ()):
        discard(relative)


def archived_pdf(document) -> bytes | None:
    """The PDF archived at issue, if its file is there and still has its SHA-256."""
    row = snapshot_row(document)
    if row is None or not row.pdf_path:
        return None
    try:
        data = storage().read(row.pdf_path)
    except (OSError, StorageKeyError):
        log.warning("The archived PDF of %s %s is missing: %s", row.kind, row.document_id,
                    row.pdf_path)
        return None
    if hashlib.sha256(data).hexdigest() != row.pdf_sha256:
        log.error("The archived PDF of %s %s does not match its SHA-256", row.kind,
                  row.document_id)
        return None
    return data


def freeze_unfrozen(batch: int = 1000,
                    progress: Callable[[int, int], None] | None = None) -> int:
    """Freeze every numbered document that has no snapshot yet (bulk-loaded demo data), in the
    order it was issued, and register its invoices: the same snapshots and register records as
    an issue, without the PDF (it is archived on first download). Flushes; the count frozen.

    Built for a million documents: the ids to freeze are read once, in order (a keyset walk
    re-sorted every remaining document for each batch: quadratic without an index on the issue
    time), then frozen in batches with their relations loaded per batch, one insert per batch.
    `progress(done, total)` is told after each batch.
    """
    from ..models import Company
    from .register import record_many_in_register
    from .templates import default_document_bodies

    bodies = default_document_bodies()
    done = 0
    to_freeze = {model: _unfrozen_ids(model) for model in (Quote, Order, Invoice)}
    total = sum(len(ids) for ids in to_freeze.values())
    for model, ids in to_freeze.items():
        kind = KINDS[model]
        options = [selectinload(model.lines),
                   selectinload(model.company).selectinload(Company.addresses),
                   selectinload(model.company).selectinload(Company.contacts)]
        if model is Invoice:  # the texts may show the balance
            options += [selectinload(Invoice.payments), selectinload(Invoice.credit_notes),
                        selectinload(Invoice.credit_uses)]
        for start in range(0, len(ids), batch):
            chunk = ids[start:start + batch]
            position = {document_id: n for n, document_id in enumerate(chunk)}
            documents = sorted(db.session.scalars(
                select(model).where(model.id.in_(chunk)).options(*options)).all(),
                key=lambda d: position[d.id])
            frozen = [(document, build(document, bodies)) for document in documents]
            # Core statements: the unit of work would re-examine every loaded object.
            db.session.execute(insert(DocumentSnapshot), [
                {"kind": kind, "document_id": d.id, "data": data} for d, data in frozen])
            db.session.execute(
                update(model).where(model.id.in_(chunk), model.currency.is_(None))
                .values(currency=frozen[0][1].get("currency")))
            if model is Invoice:
                record_many_in_register(frozen)
            done += len(documents)
            if progress is not None:
                progress(done, total)
    return done


def _unfrozen_ids(model) -> list[int]:
    """The numbered documents of `model` without a snapshot, in the order they are frozen.
    Invoices enter the register in the order they were issued; those without an issue time
    (none in the demo) follow, by id."""
    unfrozen = and_(model.number.is_not(None), ~exists().where(
        DocumentSnapshot.kind == KINDS[model], DocumentSnapshot.document_id == model.id))
    order = ([case((model.issued_at.is_(None), 1), else_=0), model.issued_at, model.id]
             if model is Invoice else [model.id])
    return list(db.session.scalars(select(model.id).where(unfrozen).order_by(*order)))
