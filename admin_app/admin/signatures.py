"""Signatures from the back office: send a card document for signature, re-send or cancel the
request, download the signed copy, and (admins) verify that a file is one that was signed."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from ..delivery import deliver_after_commit
from ..extensions import db
from ..ids import parse_id
from ..models import Document, SignatureRequest
from ..services.signatures import (
    can_request, cancel, expire_if_due, open_request, request_signature, resend, signers_of,
)
from ..services.settings import get_setting
from ..services.verification import verify_upload
from ..storage import send
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .company_pages import card_url


def _card_document() -> Document:
    document = db.session.get(Document, parse_id(request.values.get("doc")) or 0)
    if document is None or document.company_id is None:
        abort(404)
    return document


def _request_row() -> SignatureRequest:
    row = db.session.get(SignatureRequest, parse_id(request.values.get("req")) or 0)
    if row is None:
        abort(404)
    return row


class SignatureView(SecureBaseView):
    """/admin/signatures/: the request form and the actions on a request."""

    def is_visible(self) -> bool:
        return False  # reached from the card's documents

    @expose("/")
    def index(self):
        return redirect(url_for("document.index_view"))

    @expose("/request/", methods=("GET", "POST"))
    def request_form(self):
        """`?doc=ID`: choose the signer among the company's contacts (field `contact`)."""
        document = _card_document()
        company, back = document.company, card_url(document.company, "documents")
        with unit_of_work(flash_errors=False) as work:
            expire_if_due(document)
        if request.method == "POST":
            with unit_of_work() as work:
                _row, outbox_ids = request_signature(
                    document, parse_id(request.form.get("contact")), current_user)
                work.after_commit(deliver_after_commit, outbox_ids)
            if work.committed:
                flash(_("Signature request sent to %(email)s.", email=_row.signer_email),
                      "success")
                return redirect(back)
        return self.render("admin/signatures/request.html", document=document, company=company,
                           contacts=signers_of(document), card_url=back,
                           allowed=can_request(document), pending=open_request(document),
                           selected=parse_id(request.form.get("contact")),
                           link_days=get_setting("portal_link_days"))

    @expose("/resend/", methods=("POST",))
    def resend_request(self):
        row = _request_row()
        with unit_of_work() as work:
            work.after_commit(deliver_after_commit, resend(row, current_user))
        if work.committed:
            flash(_("Signature request sent again to %(email)s; the previous link no longer "
                    "works.", email=row.signer_email), "success")
        return redirect(card_url(row.document.company, "documents"))

    @expose("/cancel/", methods=("POST",))
    def cancel_request(self):
        row = _request_row()
        with unit_of_work() as work:
            cancel(row)
        if work.committed:
            flash(_("Signature request cancelled; its link no longer works."), "success")
        return redirect(card_url(row.document.company, "documents"))

    @expose("/signed/")
    def signed_copy(self):
        """`?req=ID`: the signed copy (PDF) or the signature certificate of a signed request."""
        row = _request_row()
        if row.status != "signed" or not row.signed_file:
            abort(404)
        stem = row.document.original_name.rsplit(".", 1)[0] or "document"
        return send(row.signed_file, as_attachment=True, mimetype="application/pdf",
                    download_name=f"{stem} (signed).pdf")


class VerifyView(SecureBaseView):
    """/admin/signatures/verify/ (admins): is this file one we signed, or its signed copy?"""

    admin_only = True

    @expose("/", methods=("GET", "POST"))
    def index(self):
        result = None
        if request.method == "POST":
            upload = request.files.get("file")
            if upload is None or not upload.filename:
                flash(_("Choose the file to verify."), "error")
            else:
                result = verify_upload(upload)
        return self.render("admin/signatures/verify.html", result=result)
