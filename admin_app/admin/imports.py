"""The import pages at /admin/import/ (admins): upload, preview with the column mapping, confirm,
follow the progress, download the report, undo."""
import csv
import io

from flask import Response, abort, flash, jsonify, redirect, request, stream_with_context
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from ..errors import Refusal
from ..extensions import db
from ..formats import number
from ..ids import parse_id
from ..models import ImportBatch
from ..services.imports.files import FileRefused, SheetInfo, iter_rows
from ..services.imports.mapping import (
    ADDRESS_FIELDS, COMPANY_FIELDS, CONTACT_FIELDS, field_labels,
)
from ..services.imports.preview import FATES, analyse, max_rows
from ..services.imports.runs import (
    apply_import, change_options, receive_upload, report_file, start_import,
)
from ..services.imports.sample import sample_csv
from ..services.imports.undo import summarise, undo_import
from ..services.imports.workspace import open_workspace
from ..services.jobs import background_enabled, enqueue
from ..services.settings import get_setting
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .formatting import neutralise_formula

PAGE_SIZE = 100
HISTORY_SIZE = 20


def _max_bytes() -> int:
    try:
        return max(1, int(get_setting("import_max_mb"))) * 1024 * 1024
    except (TypeError, ValueError):
        return 20 * 1024 * 1024


class ImportView(SecureBaseView):
    """Import companies and their contacts from CSV or XLSX."""

    admin_only = True

    # --- upload ----------------------------------------------------------------------------
    @expose("/", methods=("GET", "POST"))
    def index(self):
        if request.method == "POST":
            return self._upload()
        history = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())
                                     .limit(HISTORY_SIZE)).all()
        return self.render("admin/imports/upload.html", history=history,
                           max_rows=max_rows(), max_mb=_max_bytes() // (1024 * 1024))

    def _upload(self):
        # The import's own limit, above the site-wide one a 50,000-row file may pass.
        request.max_content_length = _max_bytes() + 1024 * 1024
        try:
            upload = request.files.get("file")
        except RequestEntityTooLarge:
            flash(_("The file is larger than %(size)s MB, the most one import takes "
                    "(Settings: import_max_mb). Split it into smaller files.",
                    size=_max_bytes() // (1024 * 1024)), "error")
            return redirect(self.get_url(".index"))
        if upload is None or not upload.filename:
            flash(_("Choose a CSV or XLSX file to import."), "error")
            return redirect(self.get_url(".index"))
        try:
            workspace = receive_upload(upload.stream, upload.filename,
                                       current_user._get_current_object(), _max_bytes())
        except FileRefused as exc:
            flash(str(exc), "error")
            return redirect(self.get_url(".index"))
        return self._analyse(workspace.token)

    def _analyse(self, token: str):
        enqueue(analyse, token)
        return redirect(self.get_url(".preview", token=token))

    def _workspace(self, token: str):
        workspace = open_workspace(token)
        if workspace is None:
            abort(404)
        state = workspace.read_state()
        if state.get("user_id") != current_user.id:
            abort(404)
        return workspace, state

    # --- preview ---------------------------------------------------------------------------
    @expose("/<token>/", methods=("GET",))
    def preview(self, token):
        workspace, state = self._workspace(token)
        if state.get("import_id"):
            return redirect(self.get_url(".result", import_id=state["import_id"]))
        fate = request.args.get("fate") if request.args.get("fate") in FATES else None
        page = parse_id(request.args.get("page")) or 1
        rows = []
        if state.get("status") == "ready":
            rows = list(workspace.plan_lines(fate, (page - 1) * PAGE_SIZE, PAGE_SIZE))
        shown_total = (state.get("counts") or {}).get(fate) if fate else state.get("total")
        pages = max(1, -(-(shown_total or 0) // PAGE_SIZE))
        return self.render("admin/imports/preview.html", token=token, state=state, rows=rows,
                           fate=fate, page=page, pages=pages, labels=_change_labels(),
                           name_column=_column_of(state, "name"), fates=FATES)

    @expose("/<token>/status/", methods=("GET",))
    def preview_status(self, token):
        _workspace, state = self._workspace(token)
        status = state.get("status")
        return jsonify(finished=status != "analysing", done=state.get("progress", 0),
                       total=state.get("total") or 0,
                       text=_("%(rows)s rows read…", rows=number(state.get('progress', 0))))

    @expose("/<token>/mapping/", methods=("GET", "POST"))
    def mapping(self, token):
        workspace, state = self._workspace(token)
        if state.get("import_id"):
            return redirect(self.get_url(".result", import_id=state["import_id"]))
        if request.method == "POST":
            headers = state["headers"]
            chosen = [request.form.get(f"column_{i}") or None for i in range(len(headers))]
            try:
                change_options(workspace, chosen, request.form.get("threshold"),
                               request.form.get("on_match", "fill"))
            except Refusal as exc:
                flash(str(exc), "error")
                return redirect(self.get_url(".mapping", token=token))
            return self._analyse(token)
        labels = field_labels()
        groups = [(_("Company"), list(COMPANY_FIELDS)), (_("Main address"), list(ADDRESS_FIELDS)),
                  (_("Contact"), list(CONTACT_FIELDS)),
                  (_("Custom fields"), [k for k in labels if k.startswith("custom:")])]
        return self.render("admin/imports/mapping.html", token=token, state=state,
                           labels=labels, groups=groups,
                           samples=_samples(workspace, len(state["headers"])))

    @expose("/<token>/confirm/", methods=("POST",))
    def confirm(self, token):
        workspace, _state = self._workspace(token)
        with unit_of_work() as work:
            batch = start_import(workspace, request.form.get("digest", ""),
                                 current_user._get_current_object())
        if not work.committed:
            return redirect(self.get_url(".preview", token=token))
        enqueue(apply_import, batch.id)
        return redirect(self.get_url(".result", import_id=batch.id))

    # --- result ----------------------------------------------------------------------------
    def _batch(self, import_id) -> ImportBatch:
        batch = db.session.get(ImportBatch, parse_id(import_id) or 0)
        if batch is None:
            abort(404)
        return batch

    @expose("/result/<import_id>/", methods=("GET",))
    def result(self, import_id):
        batch = self._batch(import_id)
        if batch.status == "running" and not background_enabled():
            flash(_("This import stopped before it finished (the server restarted?)."), "warning")
        return self.render("admin/imports/result.html", batch=batch,
                           has_report=report_file(batch) is not None)

    @expose("/result/<import_id>/status/", methods=("GET",))
    def result_status(self, import_id):
        batch = self._batch(import_id)
        return jsonify(finished=batch.status != "running", done=batch.processed_rows,
                       total=batch.total_rows,
                       text=_("%(done)s of %(total)s rows imported…",
                              done=number(batch.processed_rows), total=number(batch.total_rows)))

    @expose("/result/<import_id>/report.csv", methods=("GET",))
    def report(self, import_id):
        batch = self._batch(import_id)
        path = report_file(batch)
        if path is None:
            abort(404)

        def rows():
            buffer = io.StringIO()
            writer = csv.writer(buffer)
            yield "\ufeff"
            with open(path, encoding="utf-8", newline="") as handle:
                for row in csv.reader(handle):
                    writer.writerow([neutralise_formula(cell) for cell in row])
                    yield buffer.getvalue()
                    buffer.seek(0)
                    buffer.truncate()

        name = f"import-{batch.id}-report.csv"
        return Response(stream_with_context(rows()), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})

    @expose("/result/<import_id>/undo/", methods=("GET", "POST"))
    def undo(self, import_id):
        batch = self._batch(import_id)
        if request.method == "POST":
            with unit_of_work() as work:
                done = undo_import(batch, current_user._get_current_object())
            if work.committed:
                message = _("Import #%(id)d undone: %(deleted)d companies deleted, %(restored)d "
                            "records returned to their previous values.", id=batch.id,
                            deleted=done["deleted"], restored=done["restored"])
                if done["kept"]:
                    message += " " + _("%(kept)d values edited since the import were kept.",
                                       kept=done["kept"])
                flash(message, "success")
            return redirect(self.get_url(".result", import_id=batch.id))
        return self.render("admin/imports/undo.html", batch=batch, summary=summarise(batch))

    @expose("/sample.csv", methods=("GET",))
    def sample(self):
        return Response(sample_csv(), mimetype="text/csv", headers={
            "Content-Disposition": 'attachment; filename="sample-import.csv"'})


def _change_labels() -> dict:
    """Labels of mapped fields and of the changes a preview lists (address.city, custom.x…)."""
    labels = field_labels()
    shown = {**labels, "account_manager_id": labels["account_manager"],
             "contact": _("New contact")}
    shown.update({f"address.{k}": v for k, v in ADDRESS_FIELDS.items()})
    shown.update({"custom." + k[len("custom:"):]: v for k, v in labels.items()
                  if k.startswith("custom:")})
    return shown


def _column_of(state: dict, field: str) -> int | None:
    mapping = state.get("mapping") or []
    return mapping.index(field) if field in mapping else None


def _samples(workspace, width: int) -> list[str]:
    """The first value of each column, to help choose its field."""
    state = workspace.read_state()
    info = SheetInfo(state["kind"], state.get("encoding"), state.get("delimiter"),
                     state["headers"])
    samples = [""] * width
    rows = iter_rows(workspace.upload_path, info)
    try:
        for _number, cells in rows:
            for index, cell in enumerate(cells[:width]):
                samples[index] = samples[index] or cell[:60]
            if all(samples):
                break
            if _number > 20:
                break
    except Refusal:
        pass
    finally:
        rows.close()
    return samples
