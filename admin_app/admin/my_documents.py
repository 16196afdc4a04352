"""Configuration > My documents (/admin/my-documents/): shared documents, which belong to no
company: upload, list, replace with a new version, download any version, delete."""
from flask import abort, flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from ..ids import parse_id
from ..services.card_edit import discard_file, human_size
from ..services.shared_documents import (
    delete_shared, delete_version, replace_shared, shared_document, shared_documents,
    upload_shared,
)
from ..storage import send
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .card_forms import DocumentForm


def _upload_or_none():
    """The posted file, or None (with a message) when there is none or it is too large."""
    try:
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        flash(_("The file is too large."), "error")
        return None
    if upload is None or not upload.filename:
        flash(_("Choose a file to upload."), "error")
        return None
    return upload


class MyDocumentsView(SecureBaseView):
    """Shared documents, offered as attachments to any email; admins manage them."""

    admin_only = True

    def _back(self):
        return redirect(url_for(".index"))

    @expose("/", methods=("GET",))
    def index(self):
        return self.render("admin/my_documents.html", documents=shared_documents(),
                           form=DocumentForm(), human_size=human_size)

    @expose("/upload/", methods=("POST",))
    def upload(self):
        upload = _upload_or_none()
        if upload is not None:
            with unit_of_work() as work:
                document = upload_shared(current_user, upload, request.form.get("title", ""))
                work.on_rollback(discard_file, document.file)
            if work.committed:
                flash(_("“%(name)s” uploaded.", name=document.original_name), "success")
        return self._back()

    @expose("/replace/", methods=("POST",))
    def replace(self):
        document = shared_document(parse_id(request.form.get("id")))
        if document is None:
            abort(404)
        upload = _upload_or_none()
        if upload is not None:
            with unit_of_work() as work:
                new = replace_shared(document, current_user, upload, request.form.get("title"))
                work.on_rollback(discard_file, new.file)
            if work.committed:
                flash(_("“%(title)s” replaced: version %(version)s. The previous version stays "
                        "below it.", title=new.title, version=new.version), "success")
        return self._back()

    @expose("/delete/", methods=("POST",))
    def delete(self):
        """Delete a shared document with its versions, or (`version=1`) one older version."""
        document = shared_document(parse_id(request.form.get("id")))
        if document is None:
            abort(404)
        name = document.title or document.original_name
        with unit_of_work() as work:
            if request.form.get("version"):
                work.after_commit(discard_file, delete_version(document))
            else:
                for stored in delete_shared(document):
                    work.after_commit(discard_file, stored)
        if work.committed:
            flash(_("Deleted “%(name)s”.", name=name), "success")
        return self._back()

    @expose("/download/", methods=("GET",))
    def download(self):
        document = shared_document(parse_id(request.args.get("id")))
        if document is None:
            abort(404)
        return send(document.file, as_attachment=True, download_name=document.original_name,
                    mimetype=document.content_type)
