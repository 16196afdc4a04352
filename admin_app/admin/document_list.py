"""The list of stored documents (card files and shared documents)."""
import logging
from pathlib import Path

from flask import current_app
from flask_admin.contrib.sqla.filters import FilterEqual

from ..errors import Refusal
from ..models import Document
from ..models.documents import SIGNATURE_STATUSES
from ..services.removals import removal_refusal
from . import validators as v
from .base import SecureModelView

log = logging.getLogger(__name__)
SIGNATURE_CHOICES = [(s, s.title()) for s in SIGNATURE_STATUSES]


def human_size(size: int | None) -> str:
    size = size or 0
    for unit in ("bytes", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class DocumentView(SecureModelView):
    column_list = ["title", "original_name", "company", "size_bytes", "signature_status",
                   "uploaded_by", "created_at"]
    column_labels = {"original_name": "File", "size_bytes": "Size", "company": "Company",
                     "signature_status": "Signature", "created_at": "Uploaded"}
    column_sortable_list = ["title", "original_name", "size_bytes", "signature_status",
                            "created_at", ("company", "company.name")]
    column_default_sort = ("created_at", True)
    column_searchable_list = ["title", "original_name", "signer_name", "signer_email"]
    column_choices = {"signature_status": SIGNATURE_CHOICES}
    column_filters = [FilterEqual(Document.signature_status, "Signature",
                                  options=SIGNATURE_CHOICES), "created_at", "size_bytes"]
    column_formatters = {"size_bytes": lambda v_, c, m, n: human_size(m.size_bytes)}
    column_formatters_export = {"size_bytes": lambda v_, c, m, n: m.size_bytes}
    column_details_exclude_list = ["file", "signature_token", "sha256"]
    column_export_list = ["id", "title", "original_name", "company", "size_bytes",
                          "content_type", "signature_status", "signer_name", "signed_at",
                          "created_at"]
    column_descriptions = {"company": "Empty for a shared document (Settings > My documents)."}
    can_create = False  # files arrive through the card's upload, which checks size and type
    form_columns = ["title", "company"]
    form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10,
                                  "placeholder": "Empty: a shared document"}}
    form_args = {"title": {"validators": [v.required("title")]}}

    def on_model_delete(self, model):
        refusal = removal_refusal(model)
        if refusal:
            raise Refusal(refusal)
        super().on_model_delete(model)

    def after_model_delete(self, model):
        # The row is gone (committed): its file goes too, so no orphan stays in the uploads.
        root = Path(current_app.config["UPLOAD_DIR"]).resolve()
        path = (root / model.file).resolve()
        try:
            if path.is_relative_to(root) and path != root:
                path.unlink(missing_ok=True)
        except OSError:
            log.warning("Could not remove the file of deleted document %s", model.id)
        super().after_model_delete(model)
