"""Exports that stream: rows read in batches and written as they come, CSV or XLSX, each cell
neutralised so a spreadsheet never runs it as a formula."""
import csv
import tempfile
from collections.abc import Iterator

from flask import Response, flash, redirect, stream_with_context
from flask_admin import expose
from flask_admin.babel import gettext
from flask_admin.helpers import get_redirect_target
from openpyxl import Workbook
from werkzeug.utils import secure_filename

from .formatting import neutralise_formula

BATCH_SIZE = 500
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
XLSX_CHUNK = 64 * 1024


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
        columns = [name for name, _label in self._export_columns]
        yield [str(label) for _name, label in self._export_columns]
        # yield_per: rows (and their selectin-loaded relations) arrive one batch at a time; the
        # session holds unchanged rows weakly, so a written batch is freed.
        for model in self._export_query().yield_per(self.export_batch_size):
            yield [self.get_export_value(model, name) for name in columns]

    def get_export_value(self, model, name):
        return neutralise_formula(super().get_export_value(model, name))

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
        for cells in self.export_rows():
            yield writer.writerow(["" if cell is None else cell for cell in cells])

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
