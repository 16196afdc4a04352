"""Signature requests: a card document sent to one of the company's contacts, who opens it in
the client portal with a personal link and signs or declines it.

The link's token is random (secrets.token_urlsafe) and only its SHA-256 is stored; it expires
after Settings > Documents > portal link validity, and works no more once the request is
signed, declined, cancelled or re-sent (re-sending rotates it). Every email goes through the
outbox, so it leaves only after the commit."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import inspect, select

from ..errors import Refusal
from ..extensions import db
from ..models import Contact, Document, EmailTemplate, Exchange, SignatureRequest, User
from ..models.base import utcnow
from . import audit
from .calendar import local_now
from .html import sanitize_html
from .mail_message import Draft, build, sender_address
from .outbox import queue
from .settings import get_setting
from .template_vars import build_context
from .templates import groups_for, render_email

PURPOSE = "signature_request"
OPEN_STATUSES = ("none", "declined", "expired")  # a document in these may be sent for signature


class SignatureRefusal(Refusal):
    """A signature action refused, with the reason for the user."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


def can_request(document: Document) -> bool:
    return document.company_id is not None and document.signature_status in OPEN_STATUSES


def signers_of(document: Document) -> list[Contact]:
    """The company's contacts who can receive the request (those with an email)."""
    return [c for c in document.company.contacts if c.email] if document.company else []


def refuse_locked_edit(document: Document) -> None:
    """A signed document (or one out for signature) keeps its company and file: the evidence
    names them. Called by every edit path before the flush."""
    if document.signature_status not in ("pending", "signed"):
        return
    state = inspect(document)
    if any(state.attrs[name].history.has_changes()
           for name in ("company_id", "company", "file", "sha256", "original_name")):
        raise SignatureRefusal(_("A signed document (or one out for signature) cannot be moved "
                                 "or replaced."))


def open_request(document: Document) -> SignatureRequest | None:
    """The pending request of a document, if any."""
    return db.session.scalar(select(SignatureRequest).where(
        SignatureRequest.document_id == document.id, SignatureRequest.status == "pending"))


def request_signature(document: Document, contact_id: int | None,
                      user: User | None) -> tuple[SignatureRequest, list[int]]:
    """Ask a contact of the document's company to sign it; (request, outbox ids to deliver)."""
    if document.company_id is None:
        raise SignatureRefusal(_("Only a document of a client card can be sent for signature."))
    expire_if_due(document)
    if document.signature_status == "signed":
        raise SignatureRefusal(_("This document is already signed."))
    if document.signature_status == "pending":
        raise SignatureRefusal(_("A signature request is already pending: re-send or cancel it."))
    contact = db.session.get(Contact, contact_id or 0)
    if contact is None or contact.company_id != document.company_id:
        raise SignatureRefusal(_("Choose the signer among the company's contacts."))
    if not contact.email:
        raise SignatureRefusal(_("%(name)s has no email address: add one to the contact first.",
                                 name=contact.full_name))
    request = SignatureRequest(document=document, contact=contact,
                               requested_by_id=user.id if user else None,
                               signer_name=contact.full_name[:150], signer_email=contact.email,
                               expires_at=utcnow())
    db.session.add(request)
    token = _rotate(request)
    document.signature_status = "pending"
    document.signature_requested_at = request.sent_at
    document.signer_name, document.signer_email = request.signer_name, request.signer_email
    document.signed_at = document.signature_evidence = None
    db.session.flush()
    outbox_ids = _send_request(request, token, user)
    audit.record("update", document, summary=f"Signature of {document.original_name} requested "
                                              f"from {contact.email}"[:300])
    return request, outbox_ids


def resend(request: SignatureRequest, user: User | None) -> list[int]:
    """Send the request again with a new link (the old one stops working) and a new expiry."""
    _check_pending(request)
    token = _rotate(request)
    request.document.signature_status = "pending"
    db.session.flush()
    audit.record("update", request.document,
                 summary=f"Signature request for {request.document.original_name} re-sent to "
                         f"{request.signer_email}"[:300])
    return _send_request(request, token, user)


def cancel(request: SignatureRequest) -> None:
    """Withdraw a pending request: its link stops working, the document can be sent again."""
    _check_pending(request)
    request.status, request.decided_at = "cancelled", utcnow()
    document = request.document
    document.signature_status = "none"
    document.signature_token = None
    db.session.flush()
    audit.record("update", document, summary=f"Signature request for {document.original_name} "
                                              "cancelled")


def expire_if_due(document: Document) -> None:
    """Mark a pending request whose link has expired (and its document) as expired."""
    request = open_request(document)
    if request is not None and request.expires_at <= utcnow():
        request.status = "expired"
        document.signature_status = "expired"
        document.signature_token = None
        db.session.flush()


def _check_pending(request: SignatureRequest) -> None:
    expire_if_due(request.document)
    if request.status != "pending":
        raise SignatureRefusal(_("This signature request is no longer pending."))


def _rotate(request: SignatureRequest) -> str:
    token = secrets.token_urlsafe(32)
    request.token_hash = hash_token(token)
    request.sent_at = utcnow()
    request.expires_at = request.sent_at + timedelta(days=int(get_setting("portal_link_days")))
    request.document.signature_token = request.token_hash
    return token


def portal_link(token: str) -> str:
    return url_for("portal.index", token=token, _external=True)


def _template() -> EmailTemplate | None:
    return db.session.scalar(select(EmailTemplate).where(EmailTemplate.purpose == PURPOSE)
                             .order_by(EmailTemplate.is_default.desc(), EmailTemplate.id)
                             .limit(1))


def _send_request(request: SignatureRequest, token: str, user: User | None) -> list[int]:
    """Record the email on the card and queue it; the link is added when the template forgot
    it, so the signer always gets a way in."""
    document, link = request.document, portal_link(token)
    template = _template()
    context = build_context(groups_for("email", PURPOSE), company=document.company,
                            contact=request.contact, user=user, document=document,
                            signature={"link": link, "expires_on": request.expires_at.date()})
    if template is not None:
        rendered = render_email(template.subject, template.body, context)
        subject, html = rendered["subject"], rendered["html"]
    else:
        subject, html = _("Please sign: %(title)s", title=str(document)), ""
    if link not in html:
        html += sanitize_html(str(Markup('<p><a href="{}">{}</a></p>').format(
            link, _("Open the document to sign it"))))
    exchange = Exchange(company_id=document.company_id, contact_id=request.contact_id,
                        author_id=user.id if user else None, kind="email", title=subject[:200],
                        body=html, occurred_at=local_now(), email_status="draft",
                        email_to=request.signer_email)
    db.session.add(exchange)
    db.session.flush()
    message = build(Draft(to=[request.signer_email], subject=subject, html=html,
                          reply_to=user.email if user else None),
                    sender_address(current_app.config["MAIL_DEFAULT_SENDER"]))
    return [queue(message, exchange).id]


def notify_manager(request: SignatureRequest) -> list[int]:
    """Tell the company's account manager that the document was signed or declined."""
    document = request.document
    manager = document.company.account_manager if document.company else None
    if manager is None or not manager.email or not manager.is_active:
        return []
    if request.status == "signed":
        subject = _("Signed: %(title)s", title=str(document))
        text = _("%(name)s <%(email)s> signed “%(title)s” for %(company)s.",
                 name=request.signer_name, email=request.signer_email, title=str(document),
                 company=document.company.name)
    else:
        subject = _("Declined: %(title)s", title=str(document))
        text = _("%(name)s <%(email)s> declined to sign “%(title)s” for %(company)s. "
                 "Reason: %(reason)s", name=request.signer_name, email=request.signer_email,
                 title=str(document), company=document.company.name,
                 reason=request.decline_reason or "—")
    html = sanitize_html(str(Markup("<p>{}</p>").format(text)))
    message = build(Draft(to=[manager.email], subject=subject, html=html),
                    sender_address(current_app.config["MAIL_DEFAULT_SENDER"]))
    return [queue(message, internal=True).id]
