"""What the client portal does with a token: find the signer's pending requests, sign one (with
its evidence and a signed copy) or decline it. Nothing here needs a logged-in user."""
import hashlib
import json
import secrets
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select

from ..errors import Refusal
from ..extensions import db
from ..models import SignatureRequest
from ..models.base import utcnow
from . import audit
from ..storage import StorageKeyError, storage
from .card_edit import write_file
from .signatures import expire_if_due, hash_token, notify_manager
from .signing import certificate_page, sign_pdf, with_certificate_page
from .uploads import clean_text

MAX_TOKEN = 100
MAX_REASON = 2000


class PortalGone(Exception):
    """A link that leads nowhere: 404 (unknown) or 410 (expired, used or withdrawn)."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


@dataclass
class Decision:
    """What a sign or decline changed: outbox ids to deliver, a file to remove on rollback."""

    outbox_ids: list[int]
    written: str | None = None


def find_request(token: str | None) -> SignatureRequest:
    """The request a portal token opens; PortalGone when it opens nothing (any more)."""
    if not token or len(token) > MAX_TOKEN:
        raise PortalGone(404)
    request = db.session.scalar(select(SignatureRequest)
                                .where(SignatureRequest.token_hash == hash_token(token)))
    if request is None:
        raise PortalGone(404)
    expire_if_due(request.document)
    if request.status != "pending":
        raise PortalGone(410)
    return request


def awaiting(request: SignatureRequest) -> list[SignatureRequest]:
    """The documents this signer still has to sign in this company, the token's own first."""
    others = []
    if request.contact_id is not None:
        others = db.session.scalars(select(SignatureRequest).where(
            SignatureRequest.contact_id == request.contact_id,
            SignatureRequest.status == "pending", SignatureRequest.id != request.id,
            SignatureRequest.expires_at > utcnow()).order_by(SignatureRequest.id)).all()
    return [request, *(r for r in others if r.document.company_id == request.document.company_id)]


def one_of(request: SignatureRequest, request_id: int | None) -> SignatureRequest:
    """A request among those the token shows; PortalGone(404) for any other id."""
    for candidate in awaiting(request):
        if candidate.id == request_id:
            return candidate
    raise PortalGone(404)


def read_original(request: SignatureRequest) -> bytes:
    """The document's bytes as the portal shows them; a Refusal when they changed since upload."""
    document = request.document
    try:
        data = storage().read(document.file)
    except (OSError, StorageKeyError):
        raise Refusal(_("This document cannot be shown right now. Please contact us.")) from None
    if document.sha256 and hashlib.sha256(data).hexdigest() != document.sha256:
        raise Refusal(_("This document cannot be shown right now. Please contact us."))
    return data


def _reason(text: str | None) -> str:
    """A decline reason: several lines allowed, other control and bidi characters dropped."""
    lines = (clean_text(line, MAX_REASON) for line in (text or "").splitlines())
    return "\n".join(line for line in lines if line)[:MAX_REASON]


def _evidence(request: SignatureRequest, name: str, ip: str | None, agent: str | None,
              digest: str, decision: str) -> dict:
    return {"decision": decision, "signer_name": name, "signer_email": request.signer_email,
            "time_utc": utcnow().strftime("%Y-%m-%dT%H:%M:%SZ"), "ip": (ip or "")[:64],
            "user_agent": clean_text(agent, 200), "document_sha256": digest,
            "document": request.document.original_name, "request": request.id}


def sign(request: SignatureRequest, typed_name: str | None, consent: bool, ip: str | None,
         agent: str | None) -> Decision:
    """Sign: the typed full name and the consent are required; the evidence is kept and a signed
    copy made (PDF: original + certificate page; other files: a certificate), both signed."""
    name = clean_text(typed_name, 150)
    if not name:
        raise Refusal(_("Type your full name to sign."))
    if not consent:
        raise Refusal(_("Tick the box to confirm that you agree to sign electronically."))
    original = read_original(request)
    digest = hashlib.sha256(original).hexdigest()
    evidence = _evidence(request, name, ip, agent, digest, "signed")
    signed = _signed_copy(request, original, evidence)
    relative = f"documents/signed-{secrets.token_hex(16)}.pdf"
    request.status, request.decided_at = "signed", utcnow()
    request.signer_name, request.evidence = name, json.dumps(evidence, ensure_ascii=False)
    request.signed_file, request.signed_sha256 = relative, hashlib.sha256(signed).hexdigest()
    document = request.document
    document.signature_status, document.signed_at = "signed", request.decided_at
    document.signer_name, document.signer_email = name, request.signer_email
    document.signature_evidence, document.signature_token = request.evidence, None
    db.session.flush()
    audit.record("update", document, summary=f"{document.original_name} signed by "
                                              f"{name} <{request.signer_email}>"[:300])
    outbox_ids = notify_manager(request)
    write_file(relative, signed)  # last: a refused row leaves no file behind
    return Decision(outbox_ids, relative)


def decline(request: SignatureRequest, reason: str | None, ip: str | None,
            agent: str | None) -> Decision:
    """Decline with a reason; the link stops working and the account manager is told."""
    reason = _reason(reason)
    if not reason:
        raise Refusal(_("Say in a few words why you decline."))
    digest = hashlib.sha256(read_original(request)).hexdigest()
    evidence = _evidence(request, request.signer_name, ip, agent, digest, "declined")
    request.status, request.decided_at, request.decline_reason = "declined", utcnow(), reason
    request.evidence = json.dumps(evidence, ensure_ascii=False)
    document = request.document
    document.signature_status, document.signature_token = "declined", None
    document.signature_evidence = request.evidence
    db.session.flush()
    audit.record("update", document, summary=f"{document.original_name}: signature declined by "
                                              f"{request.signer_email}"[:300])
    return Decision(notify_manager(request))


def evidence_lines(evidence: dict, title: str) -> list[tuple[str, str]]:
    """The certificate page's lines: who, when, from where, and the original's fingerprint."""
    return [(_("Document"), title), (_("Signed by"), evidence["signer_name"]),
            (_("Email"), evidence["signer_email"]),
            (_("Date and time (UTC)"), evidence["time_utc"]),
            (_("IP address"), evidence["ip"] or "—"),
            (_("Browser"), evidence["user_agent"] or "—"),
            (_("SHA-256 of the original document"), evidence["document_sha256"]),
            (_("Request"), f"#{evidence['request']}")]


def _signed_copy(request: SignatureRequest, original: bytes, evidence: dict) -> bytes:
    document = request.document
    page = certificate_page(evidence_lines(evidence, document.original_name),
                            _("Certificate of electronic signature"))
    combined = None
    if document.content_type == "application/pdf":
        combined = with_certificate_page(original, page)
    return sign_pdf(combined or page, _("Signed by %(name)s", name=evidence["signer_name"]))
