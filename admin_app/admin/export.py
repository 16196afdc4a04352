"""Exports that stream: rows read in batches and written as they come, CSV or XLSX, each cell
neutralised so a spreadsheet never runs it as a formula."""
import csv
import tempfile
from collections.abc import Callable, Iterator
from operator import attrgetter
from typing import Any

from flask import Response, flash, redirect, stream_with_context
from flask_admin import expose
from flask_admin.babel import gettext
from flask_admin.helpers import get_redirect_target
from flask_admin.model.base import BaseModelView
from openpyxl import Workbook
from werkzeug.utils import secure_filename

from ..collector import gc_paused
from .formatting import neutralise_formula

BATCH_SIZE = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_CHUNK = 64 * 1024
CSV_CHUNK = 32 * 1024


def _attribute(name: str) -> Callable[[Any, str], Any]:
    get = attrgetter(name)

    def value(model, _name):
        try:
            return get(model)
        except AttributeError:
            return None
    return value


class _Echo:
    """A file-like object whose write returns the text, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


class SafeExportMixin:
    """The list's export, filtered, searched and sorted like the list, read `BATCH_SIZE` rows
    at a time (relations eager-loaded per batch) so memory stays flat whatever the row count."""

    export_batch_size = BATCH_SIZE

    def _export_query(self):
        """The list's query as the request's search, filters and sort shape it, unpaged."""
        args = self._get_list_extra_args()
        sort = self._get_column_by_idx(args.sort)
        _count, query = self.get_list(0, sort[0] if sort else None, args.sort_desc, args.search,
                                      args.filters, execute=False, page_size=0)
        return query

    def export_rows(self) -> Iterator[list]:
        """The header, then each row's cells, computed batch by batch."""
        cells = [self.export_cell(name) for name, _label in self._export_columns]
        yield [str(label) for _name, label in self._export_columns]
        with gc_paused():
            # yield_per: rows (and their selectin-loaded relations) arrive one batch at a time;
            # the session holds unchanged rows weakly, so a written batch is freed.
            for model in self._export_query().yield_per(self.export_batch_size):
                yield [cell(model) for cell in cells]

    def get_export_value(self, model, name):
        return neutralise_formula(super().get_export_value(model, name))

    def export_cell(self, name: str) -> Callable[[Any], Any]:
        """The function of a row giving its `name` cell, as get_export_value gives it, with what
        Flask-Admin looks up again for every cell (the formatter, the translated choices, the
        type formatter) looked up once per export: per cell, those cost more than the value."""
        formatter = self.column_formatters_export.get(name)
        field_value = self._get_field_value
        if type(self)._get_field_value is BaseModelView._get_field_value:
            field_value = _attribute(name)  # rec_getattr without splitting the name every time
        choices = {value: str(label)
                   for value, label in self._column_choices_map.get(name, {}).items()}
        type_formatters = list(self.column_type_formatters_export.items())
        by_type: dict[type, Callable | None] = {}

        def cell(model):
            value = formatter(self, None, model, name) if formatter else field_value(model, name)
            if choices:
                return neutralise_formula(choices.get(value) or value)
            kind = type(value)
            if kind not in by_type:
                by_type[kind] = next((f for t, f in type_formatters if isinstance(value, t)), None)
            if by_type[kind] is not None:
                value = by_type[kind](self, value, name)
            return neutralise_formula(value)
        return cell

    @expose("/export/<export_type>/")
    def export(self, export_type: str):
        if not self.can_export or export_type not in self.export_types:
            flash(gettext("Permission denied."), "error")
            return redirect(get_redirect_target() or self.get_url(".index_view"))
        filename = secure_filename(self.get_export_name(export_type))
        headers = {"Content-Disposition": f"attachment;filename={filename}"}
        if export_type == "xlsx":
            return Response(stream_with_context(self._xlsx_chunks()), headers=headers,
                            mimetype=XLSX_TYPE)
        return Response(stream_with_context(self._csv_lines()), headers=headers,
                        mimetype="text/csv")

    def _csv_lines(self) -> Iterator[str]:
        writer = csv.writer(_Echo())
        rows = self.export_rows()
        yield writer.writerow(next(rows))  # the header at once: the download starts
        lines, size = [], 0
        for cells in rows:
            line = writer.writerow(["" if cell is None else cell for cell in cells])
            lines.append(line)
            size += len(line)
            if size >= CSV_CHUNK:
                yield "".join(lines)
                lines, size = [], 0
        if lines:
            yield "".join(lines)

    def _xlsx_chunks(self) -> Iterator[bytes]:
        # openpyxl's write-only mode keeps rows on disk; the zip is read back in chunks.
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(title="Export")
        for cells in self.export_rows():
            sheet.append([cell if isinstance(cell, (int, float)) or cell is None else str(cell)
                          for cell in cells])
        with tempfile.TemporaryFile() as file:
            workbook.save(file)
            file.seek(0)
            while chunk := file.read(XLSX_CHUNK):
                yield chunk
