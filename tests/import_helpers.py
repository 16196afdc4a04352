"""Helpers for the import tests: files written in memory, a preview and an import run through
the services, and a count of every table (to prove a dry run writes nothing)."""
import io

from sqlalchemy import func, select

from admin_app.extensions import db
from admin_app.models import ImportBatch
from admin_app.services.imports.files import write_csv
from admin_app.services.imports.preview import analyse
from admin_app.services.imports.runs import (
    apply_import, change_options, receive_upload, start_import,
)
from admin_app.unit_of_work import unit_of_work

HEADERS = ["Name", "Email", "Phone", "Legal ID", "Website", "Status", "City"]


def csv_bytes(rows, headers=HEADERS, encoding="utf-8", delimiter=",") -> bytes:
    return write_csv([headers, *rows], encoding=encoding, delimiter=delimiter)


def xlsx_bytes(rows, headers=HEADERS) -> bytes:
    from openpyxl import Workbook
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def preview(content: bytes, user, filename="companies.csv", mapping=None, threshold=90,
            on_match="fill"):
    """Upload and preview a file as `user`; returns (workspace, state)."""
    workspace = receive_upload(io.BytesIO(content), filename, user, 50 * 1024 * 1024)
    if mapping is not None or threshold != 90 or on_match != "fill":
        state = workspace.read_state()
        change_options(workspace, mapping if mapping is not None else state["mapping"],
                       threshold, on_match)
    analyse(workspace.token)
    return workspace, workspace.read_state()


def lines(workspace) -> dict[int, dict]:
    """The preview's rows by row number."""
    return {line["r"]: line for line in workspace.plan_lines()}


def run_import(workspace, user) -> ImportBatch:
    """Confirm the previewed plan and apply it inline."""
    with unit_of_work(flash_errors=False) as work:
        batch = start_import(workspace, workspace.read_state()["digest"], user)
    assert work.committed, work.error
    apply_import(batch.id)
    db.session.expire_all()
    return db.session.get(ImportBatch, batch.id)


def table_counts() -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}
