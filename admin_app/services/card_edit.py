"""Changes made from the client card: contacts and photos, exchanges, documents, comments,
account manager. Each function flushes; the view commits once."""
import hashlib
import io
import secrets
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Company, Contact, Document, Exchange, User
from ..storage import discard, storage
from . import audit
from .contacts import keep_single_billing_contact
from .card import CardError
from .exchanges import check_exchange
from .html import sanitize_html
from .settings import upload_limit_bytes
from .uploads import (  # noqa: F401  (human_size: imported from here by the views)
    UploadRefused, clean_name, clean_text, detected_type, human_size, read_limited,
)

PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
PHOTO_BOX = (400, 400)
MAX_PHOTO_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
CHUNK = 64 * 1024


def upload_root() -> Path:
    """The local upload folder (backups and import workspaces; stored files go through storage)."""
    return Path(current_app.config["UPLOAD_DIR"])


def discard_file(relative: str | None) -> None:
    """Remove a stored upload (after a rollback, or when a photo is replaced)."""
    discard(relative)


def store_photo(upload: FileStorage) -> str:
    """Check an uploaded photo, re-encode it as a small JPEG under a random name; its path."""
    limit = current_app.config.get("MAX_PHOTO_BYTES", 2 * 1024 * 1024)
    data = upload.stream.read(limit + 1)
    if not data:
        raise CardError(_("The photo file is empty."))
    if len(data) > limit:
        raise CardError(_("The photo is larger than %(size)s.", size=human_size(limit)))
    try:
        with Image.open(io.BytesIO(data)) as probe:
            if probe.format not in PHOTO_FORMATS:
                raise CardError(_("The photo must be a JPEG, PNG, GIF or WebP image."))
            if probe.width * probe.height > MAX_PHOTO_PIXELS:
                raise CardError(_("The photo has too many pixels."))
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image = ImageOps.exif_transpose(image)
            image.thumbnail(PHOTO_BOX)
            rgb = image.convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError,
            Image.DecompressionBombError) as exc:
        if isinstance(exc, CardError):
            raise
        raise CardError(_("The photo is not a readable image.")) from None
    relative = f"photos/{secrets.token_hex(16)}.jpg"
    encoded = io.BytesIO()
    # Re-encoding drops whatever else the file carried (metadata, scripts in comments).
    rgb.save(encoded, "JPEG", quality=85, optimize=True)
    storage().save(relative, encoded.getvalue())
    return relative


def save_contact(company: Company, values: dict, contact: Contact | None = None,
                 photo: str | None = None, remove_photo: bool = False) -> Contact:
    """Create or update a contact; the billing contact is unique within the company."""
    creating = contact is None
    if creating:
        contact = Contact(company_id=company.id)
        db.session.add(contact)
    for key in ("first_name", "last_name", "email", "job_title", "phone"):
        value = (values.get(key) or "").strip()
        setattr(contact, key, value or ("" if key in ("first_name", "last_name") else None))
    if not contact.last_name:
        raise CardError(_("The last name is required."))
    if photo:
        contact.photo = photo
    elif remove_photo:
        contact.photo = None
    contact.is_billing_contact = bool(values.get("is_billing_contact"))
    db.session.flush()
    keep_single_billing_contact(contact)
    audit.record("create" if creating else "update", contact,
                 changes=audit.snapshot(contact) if creating else None,
                 summary=f"Contact {contact.full_name} of {company.name}")
    return contact


def record_exchange(company: Company, author: User | None, values: dict) -> Exchange:
    """Record a call, meeting, email or note; emails are recorded here, not sent."""
    occurred_at: datetime | None = values.get("occurred_at")
    if occurred_at is None:
        raise CardError(_("The date of the exchange is required."))
    raw_contact = str(values.get("contact_id") or "")
    kind, title = values.get("kind"), (values.get("title") or "").strip()
    exchange = Exchange(
        company_id=company.id, author_id=author.id if author else None, kind=kind, title=title[:200],
        body=(values.get("body") or "").strip() or None, occurred_at=occurred_at,
        callback_at=values.get("callback_at"),
        contact_id=(int(raw_contact) if raw_contact.isdigit() else 0)
        if raw_contact not in ("", "None") else None)
    if kind == "meeting":
        exchange.starts_at, exchange.ends_at = occurred_at, values.get("ends_at")
        exchange.location = (values.get("location") or "").strip()[:200] or None
    check_exchange(exchange)
    if kind == "email" and exchange.contact_id:
        exchange.email_to = db.session.get(Contact, exchange.contact_id).email
    db.session.add(exchange)
    db.session.flush()
    audit.record("create", exchange, summary=f"{kind.title()} with {company.name}: {title}"[:300])
    return exchange


def store_document(company: Company | None, user: User | None, upload: FileStorage,
                   title: str = "", replaces: Document | None = None) -> Document:
    """Record an upload and write its file under a random name outside static; with no company
    it is a shared document (Configuration > My documents).

    The type comes from the bytes and must match the name; the file is written only once the
    row is flushed (valid), so a refused row leaves no file. The caller removes the file if its
    transaction is rolled back: `work.on_rollback(discard_file, document.file)`."""
    original = clean_name(upload.filename)
    if not original:
        raise UploadRefused(_("Choose a file to upload."))
    data = read_limited(upload.stream, upload_limit_bytes())  # Settings > Documents
    if not data:
        raise UploadRefused(_("The file is empty."))
    content_type = detected_type(data, original)
    relative = f"documents/{secrets.token_hex(16)}"
    document = Document(company_id=company.id if company else None,
                        title=clean_text(title, 200) or original[:200],
                        original_name=original, file=relative, content_type=content_type,
                        size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                        uploaded_by_id=user.id if user else None)
    db.session.add(document)
    db.session.flush()
    audit.record("create", document, summary=f"Document {original} for {company.name}"
                 if company else f"Shared document {original}")
    write_file(relative, data)
    return document


def write_file(relative: str, data: bytes) -> None:
    """Write a stored file whole (the storage never shows a half-written file)."""
    storage().save(relative, data)


def update_comments(company: Company, html: str | None) -> None:
    """Store sanitised comments (only harmless markup survives)."""
    clean = sanitize_html(html)
    if clean != (company.comments or ""):
        audit.record("update", company, changes={"comments": [company.comments, clean]},
                     summary=f"Comments of {company.name}")
        company.comments = clean
        db.session.flush()


def set_account_manager(company: Company, user_id: int | None) -> None:
    """Put an active user in charge of the company (or nobody)."""
    if user_id is not None:
        user = db.session.get(User, user_id)
        if user is None or (not user.is_active and user_id != company.account_manager_id):
            raise CardError(_("Choose an active user as account manager."))
    if user_id != company.account_manager_id:
        audit.record("update", company,
                     changes={"account_manager_id": [company.account_manager_id, user_id]},
                     summary=f"Account manager of {company.name}")
        company.account_manager_id = user_id
        db.session.flush()
