"""Removing an address, a contact or a document from a company: what it changes, what refuses it.

Exchanges keep their history (a removed contact leaves them without a contact); a document
that is attached to a recorded email or carries a signature is kept as evidence.
"""
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from ..errors import Refusal
from ..extensions import db
from ..models import Address, Contact, Document, Exchange, exchange_attachments
from . import audit
from .addresses import ADDRESS_FLAGS


def describe(row) -> str:
    if isinstance(row, Address):
        return _("the address “%(name)s”", name=row.label or row.line1)
    if isinstance(row, Contact):
        return _("the contact %(name)s", name=row.full_name)
    return _("the document “%(name)s”", name=row.title or row.original_name)


def removal_refusal(row) -> str | None:
    """Why this row must stay, or None when it may be removed."""
    if isinstance(row, Document):
        # A request past its expiry no longer holds the document (shown_signature_status).
        if row.shown_signature_status in ("pending", "signed"):
            if row.signature_status == "signed":
                return _("“%(name)s” is signed: it is kept as evidence.", name=row.original_name)
            return _("“%(name)s” is waiting for a signature: it is kept as evidence.",
                     name=row.original_name)
        attached = db.session.scalar(select(func.count()).select_from(exchange_attachments)
                                     .where(exchange_attachments.c.document_id == row.id))
        if attached:
            return ngettext("“%(name)s” was attached to %(num)d recorded email: it stays in the "
                            "history.", "“%(name)s” was attached to %(num)d recorded emails: it "
                            "stays in the history.", attached, name=row.original_name)
    return None


def removal_consequences(row) -> list[str]:
    """What else changes when this row goes, in words for the confirmation page."""
    notes = []
    if isinstance(row, Address):
        successor = _next_main(row)
        if successor is None:
            return [_("The company will have no address.")]
        if row.is_main:
            notes.append(_("“%(name)s” becomes the main address.",
                           name=successor.label or successor.line1))
        for flag, meaning in ADDRESS_FLAGS.items():
            if flag != "is_main" and getattr(row, flag):
                notes.append(_("It is %(meaning)s: the main address is used until you choose "
                               "another.", meaning=meaning))
    elif isinstance(row, Contact):
        count = db.session.scalar(select(func.count()).select_from(Exchange)
                                  .where(Exchange.contact_id == row.id))
        if count:
            notes.append(ngettext("Its %(num)d exchange stays in the history, without a contact.",
                                  "Its %(num)d exchanges stay in the history, without a contact.",
                                  count))
        if row.is_billing_contact:
            notes.append(_("It is the billing contact: choose another one for invoices."))
    else:
        notes.append(_("The file is deleted from the server."))
    return notes


def remove_card_row(row) -> str | None:
    """Delete the row in the caller's transaction; returns the stored file to delete after commit."""
    _refuse_if_kept(row)
    successor = _next_main(row) if isinstance(row, Address) and row.is_main else None
    audit.record("delete", row, changes=audit.snapshot(row), summary=f"Removed {describe(row)}")
    stored = row.file if isinstance(row, Document) else getattr(row, "photo", None)
    db.session.delete(row)
    db.session.flush()
    if successor is not None:
        successor.is_main = True
        db.session.flush()
    return stored


def remove_document(document: Document) -> str:
    """Delete a document row (not evidence) in the caller's transaction; returns its stored
    file, to delete once the transaction is committed. A shared document's version history
    skips the removed version."""
    _refuse_if_kept(document)
    successor = db.session.scalar(select(Document).where(
        Document.previous_version_id == document.id))
    db.session.delete(document)
    if successor is not None:
        db.session.flush()  # frees the earlier version (unique) before the successor takes it
        successor.previous_version_id = document.previous_version_id
    return document.file


def _refuse_if_kept(row) -> None:
    refusal = removal_refusal(row)
    if refusal:
        raise Refusal(refusal)


def _next_main(address: Address) -> Address | None:
    return db.session.scalar(select(Address).where(Address.company_id == address.company_id,
                                                   Address.id != address.id)
                             .order_by(Address.id).limit(1))
