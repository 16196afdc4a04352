"""Reading an uploaded spreadsheet: what it is (judged by its content, never by its name), its
encoding and delimiter, and its rows one at a time so that a 50,000-row file never sits in memory.

CSV: UTF-8, UTF-8 with a BOM, UTF-16 with a BOM and Windows-1252 are read; the delimiter is
sniffed among , ; tab and |. XLSX: the first sheet, through openpyxl's read-only streaming; a
formula cell is read as its text ("=A1+1"), so it is imported as text and never evaluated.
"""
import codecs
import csv
import hashlib
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from pathlib import Path
# Reviewed (bandit B405): only the exception class, to catch a broken workbook; openpyxl parses
# through defusedxml (pinned in requirements.txt), which it uses whenever it is installed.
from xml.etree.ElementTree import ParseError  # nosec B405

from flask_babel import gettext as _
from openpyxl.utils.exceptions import InvalidFileException

from ...errors import Refusal

SAMPLE_BYTES = 64 * 1024
MAX_COLUMNS = 200
# A cell longer than this is cut: no column of ours holds more, and the row reports the error.
MAX_CELL = 10_000
DELIMITERS = ",;\t|"
XLSX_ERRORS = (InvalidFileException, zipfile.BadZipFile, ParseError, KeyError, OSError,
               ValueError, IndexError)


class FileRefused(Refusal):
    """The file cannot be read as a spreadsheet; the message says why."""


@dataclass
class SheetInfo:
    kind: str  # "csv" or "xlsx"
    encoding: str | None = None
    delimiter: str | None = None
    headers: list[str] | None = None

    def describe(self) -> str:
        """What was detected, for the preview page."""
        if self.kind == "xlsx":
            return _("Excel workbook (first sheet)")
        names = {",": _("comma"), ";": _("semicolon"), "\t": _("tab"), "|": _("vertical bar")}
        encodings = {"utf-8": "UTF-8", "utf-8-sig": _("UTF-8 with BOM"), "utf-16": "UTF-16",
                     "cp1252": "Windows-1252"}
        return _("CSV, %(encoding)s, %(delimiter)s-separated",
                 encoding=encodings.get(self.encoding or "", self.encoding),
                 delimiter=names.get(self.delimiter or ",", self.delimiter))


def file_hash(path: Path) -> str:
    """SHA-256 of the file, recorded with the import."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path) -> SheetInfo:
    """The file's kind, encoding, delimiter and header row; FileRefused when it is none of ours."""
    with open(path, "rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if not head.strip():
        raise FileRefused(_("The file is empty."))
    if head.startswith(b"PK\x03\x04"):
        info = SheetInfo("xlsx")
    elif head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FileRefused(_("This is an old Excel (.xls) file: save it as .xlsx or CSV and "
                            "upload it again."))
    else:
        info = _inspect_csv(path, head)
    rows = iter_rows(path, info, with_header=True)
    try:
        headers = next((row for _number, row in rows if any(row)), None)
    finally:
        rows.close()
    if not headers:
        raise FileRefused(_("The file has no header row: the first line must name the columns."))
    if len(headers) > MAX_COLUMNS:
        raise FileRefused(_("The file has %(count)d columns; at most %(max)d are read.",
                            count=len(headers), max=MAX_COLUMNS))
    info.headers = [h or _("Column %(number)d", number=i + 1) for i, h in enumerate(headers)]
    return info


def _inspect_csv(path: Path, head: bytes) -> SheetInfo:
    encoding = _encoding(path, head)
    # A stray NUL in text is dropped from its cell; many of them mean a binary file.
    if encoding != "utf-16" and head.count(b"\x00") > max(2, len(head) // 100):
        raise FileRefused(_("This file is not a CSV or XLSX spreadsheet (it holds binary data). "
                            "Export the list as CSV or XLSX and upload that."))
    lines = head.decode(encoding, errors="replace").splitlines()
    if len(head) == SAMPLE_BYTES and len(lines) > 1:
        lines.pop()  # cut short by the sample's size
    return SheetInfo("csv", encoding, _delimiter([line for line in lines[:50] if line.strip()]))


def _encoding(path: Path, head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        with open(path, "rb") as handle:
            for chunk in iter(lambda: handle.read(1024 * 1024), b""):
                decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"  # what Excel writes on Windows in western Europe
    return "utf-8"


def _delimiter(lines: list[str]) -> str:
    try:
        return csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        first = lines[0] if lines else ""
        return max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","


def iter_rows(path: Path, info: SheetInfo, with_header: bool = False
              ) -> Iterator[tuple[int, list[str]]]:
    """(row number as a spreadsheet shows it, cells as text) for every row after the header
    (the header too with `with_header`); blank rows are passed over."""
    reader = _xlsx_rows(path) if info.kind == "xlsx" else _csv_rows(path, info)
    header_seen = False
    for number, raw in enumerate(reader, start=1):
        cells = [_clean(c) for c in raw]
        while cells and cells[-1] == "":
            cells.pop()
        if not cells:
            continue
        if not header_seen:
            header_seen = True
            if not with_header:
                continue
        yield number, cells


def _clean(value: str) -> str:
    # PostgreSQL refuses NUL in text; a cell of ours never needs one.
    text = value.replace("\x00", "").strip()
    return text[:MAX_CELL]


def _csv_rows(path: Path, info: SheetInfo) -> Iterator[list[str]]:
    errors = "replace" if info.encoding == "cp1252" else "strict"
    with open(path, encoding=info.encoding, errors=errors, newline="") as handle:
        reader = csv.reader(handle, delimiter=info.delimiter or ",")
        try:
            yield from reader
        except (csv.Error, UnicodeDecodeError) as exc:
            raise FileRefused(_("The file could not be read past line %(line)d: %(error)s",
                                line=reader.line_num, error=str(exc))) from None


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    from openpyxl import load_workbook
    # A file object, not the path: openpyxl would judge the file by its name's extension.
    with open(path, "rb") as handle:
        try:
            workbook = load_workbook(handle, read_only=True, data_only=False)
        except XLSX_ERRORS as exc:
            raise _not_xlsx(exc) from None
        try:
            for row in workbook.worksheets[0].iter_rows(values_only=True):
                yield [_cell_text(v) for v in row[:MAX_COLUMNS]]
        except XLSX_ERRORS as exc:
            raise _not_xlsx(exc) from None
        finally:
            workbook.close()


def _not_xlsx(exc: Exception) -> FileRefused:
    return FileRefused(_("This file is not a readable XLSX workbook (%(error)s). Export the list "
                         "as CSV or XLSX and upload that.", error=str(exc)[:200]))


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))  # phone numbers and IDs typed as numbers
    return str(value)


def write_csv(rows, encoding: str = "utf-8-sig", delimiter: str = ",") -> bytes:
    """A small CSV in memory (tests and the sample file)."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)
