"""Imports of companies and their contacts: receiving a file, starting the import the user
confirmed, and applying its previewed plan in batches (one transaction each) with a report."""
import csv
import logging
import re
from itertools import islice
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select

from ...errors import Refusal
from ...extensions import db
from ...models import ImportBatch, User
from ...models.base import utcnow
from ...unit_of_work import UnitOfWork, retried, unit_of_work
from .apply import Applier, Outcome
from .files import FileRefused, file_hash, inspect_file
from .mapping import (
    clean_mapping, field_labels, guess_mapping, remember_mapping, remembered_mapping,
)
from .preview import DEFAULT_THRESHOLD
from .workspace import Workspace, discard, new_workspace, open_workspace, remove_abandoned

log = logging.getLogger(__name__)

BATCH = 500
ON_MATCH = ("fill", "overwrite", "skip")
REPORT_HEADERS = ["Row", "Result", "Company ID", "Company", "Details"]


def receive_upload(stream: IO[bytes], filename: str, user: User, max_bytes: int) -> Workspace:
    """Keep an uploaded file in a new workspace with what was detected and a first mapping
    (the one remembered for these headers, else guessed); FileRefused when it is unusable."""
    remove_abandoned(set(db.session.scalars(select(ImportBatch.token))))
    workspace = new_workspace()
    try:
        with open(workspace.upload_path, "wb") as target:
            copied = _copy_limited(stream, target, max_bytes)
        if copied == 0:
            raise FileRefused(_("Choose a CSV or XLSX file to import."))
        info = inspect_file(workspace.upload_path)
    except Refusal:
        discard(workspace)
        raise
    labels = field_labels()
    mapping = remembered_mapping(info.headers, labels)
    workspace.write_state(
        status="analysing", filename=_display_name(filename), user_id=user.id,
        kind=info.kind, encoding=info.encoding, delimiter=info.delimiter, detected=info.describe(),
        headers=info.headers, mapping=mapping or guess_mapping(info.headers),
        mapping_source="remembered" if mapping else "guessed", threshold=DEFAULT_THRESHOLD,
        on_match="fill", file_hash=file_hash(workspace.upload_path), size=copied)
    return workspace


def _copy_limited(stream: IO[bytes], target: IO[bytes], max_bytes: int) -> int:
    copied = 0
    for chunk in iter(lambda: stream.read(1024 * 1024), b""):
        copied += len(chunk)
        if copied > max_bytes:
            raise FileRefused(_("The file is larger than %(size)s MB, the most one import takes "
                                "(Settings: import_max_mb). Split it into smaller files.",
                                size=max_bytes // (1024 * 1024)))
        target.write(chunk)
    return copied


def _display_name(filename: str) -> str:
    name = re.split(r"[\\/]", filename or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()
    return name[:255] or "upload"


def change_options(workspace: Workspace, mapping: list, threshold, on_match: str) -> None:
    """Another mapping or matching option for the preview, which must then run again."""
    state = workspace.read_state()
    try:
        threshold = max(50, min(100, int(threshold)))
    except (TypeError, ValueError):
        threshold = DEFAULT_THRESHOLD
    mapping = clean_mapping(mapping, state["headers"], field_labels())
    if not any(mapping):
        raise Refusal(_("Map at least one column to a field."))
    workspace.write_state(mapping=mapping, mapping_source="edited", threshold=threshold,
                          on_match=on_match if on_match in ON_MATCH else "fill",
                          status="analysing", digest=None)


def start_import(workspace: Workspace, digest: str, user: User) -> ImportBatch:
    """Record the confirmed import of exactly the previewed plan; the caller commits, then
    runs `apply_import` (inline or on RQ). Flushes only."""
    state = workspace.read_state()
    if state.get("import_id"):
        raise Refusal(_("This file was already imported."))
    if state.get("status") != "ready":
        raise Refusal(_("The preview is not ready yet; wait for it to finish."))
    if not digest or digest != state.get("digest"):
        raise Refusal(_("The preview changed since this page was shown (another tab?). Review "
                        "it again, then confirm."))
    batch = ImportBatch(
        token=workspace.token, filename=state["filename"], file_hash=state["file_hash"],
        user_id=user.id, status="running", total_rows=state["total"],
        options={key: state.get(key) for key in ("headers", "mapping", "threshold", "on_match",
                                                   "detected", "counts")})
    db.session.add(batch)
    remember_mapping(state["headers"], state["mapping"], user)
    db.session.flush()
    return batch


def apply_import(batch_id: int) -> None:
    """Apply a recorded import's plan, one transaction per batch of rows, counting as it goes;
    a batch the database refuses is retried row by row so that only the bad rows fail."""
    batch = db.session.get(ImportBatch, batch_id)
    if batch is None or batch.status != "running":
        return
    workspace = open_workspace(batch.token)
    headers = (batch.options or {}).get("headers") or []
    try:
        if workspace is None:
            raise Refusal(_("The import's file is gone from the server."))
        workspace.write_state(import_id=batch_id)
        with open(workspace.report_path, "w", encoding="utf-8", newline="") as handle:
            report = csv.writer(handle)
            report.writerow(REPORT_HEADERS + headers)
            lines = workspace.plan_lines()
            while chunk := list(islice(lines, BATCH)):
                for outcome in _apply_chunk(batch_id, chunk):
                    report.writerow(outcome.report_row())
        _finish(batch_id, "done", None)
    except Exception as exc:  # recorded on the import so the page says it stopped, and why
        if not isinstance(exc, Refusal):
            log.exception("import %s failed", batch_id)
        db.session.rollback()
        _finish(batch_id, "failed", str(exc) if isinstance(exc, Refusal) else
                _("The import stopped unexpectedly; the technical log has the details. The "
                  "rows counted as done were imported."))


def _applied(batch_id: int, lines: list[dict]) -> tuple[list[Outcome] | None, UnitOfWork]:
    """`lines` applied and counted in one transaction, run again while it collides with
    another writer (two imports adding the same new words to the search index deadlock; the
    database aborts one of them, and the same rows then go through)."""
    def step() -> list[Outcome]:
        outcomes = Applier(db.session.get(ImportBatch, batch_id)).apply(lines)
        _count(batch_id, outcomes)
        return outcomes
    return retried(step)


def _apply_chunk(batch_id: int, lines: list[dict]) -> list[Outcome]:
    outcomes, _work = _applied(batch_id, lines)
    if outcomes is not None:
        return outcomes
    outcomes = []
    for line in lines:
        done, work = _applied(batch_id, [line])
        if done is None:
            done = [Outcome.failed(line, str(work.error))]
            with unit_of_work(flash_errors=False):
                _count(batch_id, done)
        outcomes.extend(done)
    return outcomes


def _count(batch_id: int, outcomes: list[Outcome]) -> None:
    batch = db.session.get(ImportBatch, batch_id)
    batch.processed_rows += len(outcomes)
    for outcome in outcomes:
        attribute = {"create": "created_count", "update": "updated_count",
                     "skip": "skipped_count"}.get(outcome.fate, "error_count")
        setattr(batch, attribute, getattr(batch, attribute) + 1)
    db.session.flush()


def _finish(batch_id: int, status: str, message: str | None) -> None:
    with unit_of_work(flash_errors=False):
        batch = db.session.get(ImportBatch, batch_id)
        batch.status, batch.message, batch.finished_at = status, message, utcnow()


def report_file(batch: ImportBatch) -> Path | None:
    """The import's report as written (the view neutralises formulas on the way out)."""
    workspace = open_workspace(batch.token)
    if workspace is None or not workspace.report_path.exists():
        return None
    return workspace.report_path
