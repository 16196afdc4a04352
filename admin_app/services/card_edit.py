"""Changes made from the client card: contacts and photos, exchanges, documents, comments,
account manager. Each function flushes; the view commits once."""
import hashlib
import io
import mimetypes
import secrets
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from flask import current_app
from PIL import Image, ImageOps, UnidentifiedImageError
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Company, Contact, Document, Exchange, User
from . import audit
from .contacts import keep_single_billing_contact
from .card import CardError
from .exchanges import check_exchange
from .html import sanitize_html
from .settings import upload_limit_bytes

PHOTO_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}
PHOTO_BOX = (400, 400)
MAX_PHOTO_PIXELS = 40_000_000  # refuse decompression bombs before decoding them
CHUNK = 64 * 1024


def human_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    return f"{max(size // 1024, 1)} KB"


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_DIR"])


def discard_file(relative: str | None) -> None:
    """Remove a stored upload (after a rollback, or when a photo is replaced)."""
    if relative:
        (upload_root() / relative).unlink(missing_ok=True)


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
    path = upload_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    # Re-encoding drops whatever else the file carried (metadata, scripts in comments).
    rgb.save(path, "JPEG", quality=85, optimize=True)
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
                   title: str = "") -> Document:
    """Save an upload under a random name outside static, size-limited, and record it; with no
    company it is a shared document (Configuration > My documents)."""
    original = Path((upload.filename or "").replace("\\", "/")).name.strip()[:255]
    if not original:
        raise CardError(_("Choose a file to upload."))
    limit = upload_limit_bytes()  # Settings > Documents, never above MAX_CONTENT_LENGTH
    relative = f"documents/{secrets.token_hex(16)}"
    path = upload_root() / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with path.open("wb") as out:
        while chunk := upload.stream.read(CHUNK):
            size += len(chunk)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                raise CardError(_("The file is larger than %(size)s.", size=human_size(limit)))
            digest.update(chunk)
            out.write(chunk)
    if size == 0:
        path.unlink(missing_ok=True)
        raise CardError(_("The file is empty."))
    content_type = mimetypes.guess_type(original)[0] or "application/octet-stream"
    document = Document(company_id=company.id if company else None, title=(title or "").strip()[:200] or original,
                        original_name=original, file=relative, content_type=content_type,
                        size_bytes=size, sha256=digest.hexdigest(),
                        uploaded_by_id=user.id if user else None)
    db.session.add(document)
    db.session.flush()
    audit.record("create", document, summary=f"Document {original} for {company.name}"
                 if company else f"Shared document {original}")
    return document


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
