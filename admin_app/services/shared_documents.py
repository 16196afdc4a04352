"""Shared documents (Configuration > My documents): files that belong to no company, offered
as attachments to any email. Replacing one adds a version: the row it replaces stays, so an
email that carried it still links to the file that was sent."""
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from ..errors import Refusal
from ..extensions import db
from ..models import Document, User, exchange_attachments
from . import audit
from .card_edit import store_document
from .removals import removal_refusal, remove_document


@dataclass
class SharedDocument:
    """A shared document as the page shows it: its current version and the older ones."""

    current: Document
    older: list[Document] = field(default_factory=list)  # newest first
    emails: dict[int, int] = field(default_factory=dict)  # version id -> emails that carried it


def shared_documents() -> list[SharedDocument]:
    """Every shared document with its versions, in two queries."""
    rows = db.session.scalars(select(Document).where(Document.company_id.is_(None))
                              .order_by(Document.id)).all()
    successor = {row.previous_version_id: row for row in rows if row.previous_version_id}
    emails = dict(db.session.execute(
        select(exchange_attachments.c.document_id, func.count())
        .join(Document, Document.id == exchange_attachments.c.document_id)
        .where(Document.company_id.is_(None))
        .group_by(exchange_attachments.c.document_id)).all())
    by_id = {row.id: row for row in rows}
    documents = []
    for row in rows:
        if row.id in successor:
            continue  # an older version, listed under its current one
        entry, previous = SharedDocument(row), by_id.get(row.previous_version_id)
        while previous is not None:
            entry.older.append(previous)
            previous = by_id.get(previous.previous_version_id)
        entry.emails = {d.id: emails.get(d.id, 0) for d in [row, *entry.older]}
        documents.append(entry)
    return sorted(documents, key=lambda d: (d.current.title or d.current.original_name).lower())


def shared_document(document_id: int | None) -> Document | None:
    """A shared document (any version) by id; None for a company's file or no such row."""
    document = db.session.get(Document, document_id or 0)
    return document if document is not None and document.company_id is None else None


def upload_shared(user: User | None, upload: FileStorage, title: str = "") -> Document:
    return store_document(None, user, upload, title)


def replace_shared(document: Document, user: User | None, upload: FileStorage,
                   title: str = "") -> Document:
    """A new version of a shared document; the one it replaces stays readable."""
    if _successor(document) is not None:
        raise Refusal(_("This is an older version: replace the current one."))
    if document.signature_status in ("pending", "signed"):
        raise Refusal(_("A signed document (or one out for signature) cannot be replaced."))
    new = store_document(None, user, upload, (title or "").strip() or document.title)
    new.version = document.version + 1
    new.previous_version_id = document.id
    db.session.flush()
    audit.record("update", new, changes={"version": [document.version, new.version]},
                 summary=f"Shared document {new.title}: version {new.version} replaces "
                         f"{document.version}")
    return new


def delete_shared(document: Document) -> list[str]:
    """Delete a shared document with all its versions, unless one is kept as evidence (sent by
    email, signed); returns the stored files, to delete once the transaction is committed."""
    versions = [document]
    while versions[-1].previous_version_id:
        versions.append(db.session.get(Document, versions[-1].previous_version_id))
    refusals = [r for r in map(removal_refusal, versions) if r]
    if refusals:
        raise Refusal(" ".join(refusals) + " " + _("Delete the versions that no email carried one "
                                                   "by one instead."))
    for version in versions:
        audit.record("delete", version, changes=audit.snapshot(version),
                     summary=f"Deleted shared document {version.original_name} "
                             f"(version {version.version})")
        db.session.delete(version)
    db.session.flush()
    return [version.file for version in versions]


def delete_version(document: Document) -> str:
    """Delete one older version (not evidence); the history skips it. Returns its file."""
    if _successor(document) is None:
        raise Refusal(_("This is the current version: delete the document instead."))
    refusal = removal_refusal(document)
    if refusal:
        raise Refusal(refusal)
    audit.record("delete", document, changes=audit.snapshot(document),
                 summary=f"Deleted version {document.version} of shared document "
                         f"{document.title or document.original_name}")
    stored = remove_document(document)
    db.session.flush()
    return stored


def _successor(document: Document) -> Document | None:
    return db.session.scalar(select(Document).where(Document.previous_version_id == document.id))
