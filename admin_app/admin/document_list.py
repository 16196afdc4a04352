"""The list of stored documents (card files and shared documents)."""
from flask_babel import lazy_gettext as _l
from flask import abort, redirect, url_for
from flask_admin import expose
from flask_admin.contrib.sqla.filters import FilterEqual
from flask_login import current_user

from ..models import Document
from ..models.documents import SIGNATURE_STATUSES
from ..services.card_edit import discard_file
from ..services.removals import remove_document
from ..services.signatures import refuse_locked_edit
from . import validators as v
from .labels import STATUS_LABELS
from .base import SecureModelView

SIGNATURE_CHOICES = [(s, STATUS_LABELS[s]) for s in SIGNATURE_STATUSES]


def human_size(size: int | None) -> str:
    size = size or 0
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class DocumentView(SecureModelView):
    column_list = ["title", "original_name", "company", "size_bytes", "version",
                   "signature_status", "uploaded_by", "created_at"]
    column_labels = {"original_name": _l("File"), "size_bytes": _l("Size"), "company": _l("Company"),
                     "signature_status": _l("Signature"), "created_at": _l("Uploaded")}
    column_sortable_list = ["title", "original_name", "size_bytes", "signature_status",
                            "created_at", ("company", "company.name")]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["title", "original_name", "signer_name", "signer_email"]
    column_choices = {"signature_status": SIGNATURE_CHOICES}
    column_filters = [FilterEqual(Document.signature_status, _l("Signature"),
                                  options=SIGNATURE_CHOICES), "created_at", "size_bytes"]
    column_formatters = {"size_bytes": lambda v_, c, m, n: human_size(m.size_bytes)}
    column_formatters_export = {"size_bytes": lambda v_, c, m, n: m.size_bytes}
    column_details_exclude_list = ["file", "signature_token", "sha256"]
    column_export_list = ["id", "title", "original_name", "company", "size_bytes",
                          "content_type", "signature_status", "signer_name", "signed_at",
                          "created_at"]
    column_descriptions = {"company": _l("Empty for a shared document (Configuration > My "
                                         "documents)."),
                           "version": _l("A shared document replaced by a new version keeps "
                                         "the older one.")}

    @property
    def can_create(self) -> bool:
        """Files arrive through an upload form: the card's, or My documents' (admins)."""
        return current_user.is_authenticated and current_user.is_admin

    @expose("/new/", methods=("GET", "POST"))
    def create_view(self):
        if not self.can_create:
            abort(403)
        return redirect(url_for("my_documents.index", _anchor="upload"))

    form_columns = ["title", "company"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10,
                                  "placeholder": _l("Empty: a shared document")}}
    form_args = {"title": {"validators": [v.required(_l("title"))]}}

    def on_model_change(self, form, model, is_created):
        refuse_locked_edit(model)

    def remove_model(self, model, work):
        work.after_commit(discard_file, remove_document(model))
