"""Verifying a file: does it match a signed document, as the original or as its signed copy?"""
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import or_, select
from werkzeug.datastructures import FileStorage

from ..extensions import db
from ..models import Document, SignatureRequest
from .uploads import CHUNK


@dataclass
class Match:
    """A signed request the file matches, and as what (the original or the signed copy)."""

    request: SignatureRequest
    as_copy: bool

    @property
    def evidence(self) -> dict:
        return json.loads(self.request.evidence or "{}")


@dataclass
class Verification:
    sha256: str
    name: str
    matches: list[Match]


def verify_upload(upload: FileStorage) -> Verification:
    """Hash the file as it streams in (any size the server accepts) and look it up."""
    digest = hashlib.sha256()
    while chunk := upload.stream.read(CHUNK):
        digest.update(chunk)
    return verify_hash(digest.hexdigest(), upload.filename or "")


def verify_hash(sha256: str, name: str = "") -> Verification:
    rows = db.session.scalars(
        select(SignatureRequest).join(Document, Document.id == SignatureRequest.document_id)
        .where(SignatureRequest.status == "signed",
               or_(SignatureRequest.signed_sha256 == sha256, Document.sha256 == sha256))
        .order_by(SignatureRequest.decided_at.desc())).all()
    return Verification(sha256, name, [Match(r, r.signed_sha256 == sha256) for r in rows])
