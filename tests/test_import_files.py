"""Reading import files: encodings, delimiters, XLSX, and files whose name lies."""
import io
import zipfile

import pytest

from admin_app.services.imports.files import FileRefused, inspect_file, iter_rows
from tests.import_helpers import csv_bytes, xlsx_bytes

ROWS = [["Café Nuñez", "hola@cafe.example", "+34 912 345 678", "B64717838", "", "lead", "Málaga"],
        ["Société Générale d'Études", "", "", "", "", "client", "Orléans"]]


def _read(tmp_path, content: bytes, name="file.csv"):
    path = tmp_path / name
    path.write_bytes(content)
    info = inspect_file(path)
    return info, [cells for _number, cells in iter_rows(path, info)]


@pytest.mark.parametrize("encoding, detected", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp1252", "cp1252"), ("utf-16", "utf-16")])
def test_each_encoding_reads_accents_back(tmp_path, encoding, detected):
    info, rows = _read(tmp_path, csv_bytes(ROWS, encoding=encoding))
    assert info.encoding == detected
    assert info.headers[0] == "Name"  # no BOM left on the first header
    assert rows[0][0] == "Café Nuñez" and rows[1][0] == "Société Générale d'Études"
    assert rows[1][6] == "Orléans"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_the_delimiter_is_detected(tmp_path, delimiter):
    info, rows = _read(tmp_path, csv_bytes(ROWS, delimiter=delimiter))
    assert info.delimiter == delimiter
    assert rows[0][:3] == ROWS[0][:3]


def test_quoted_cells_keep_their_delimiters_and_line_breaks(tmp_path):
    content = csv_bytes([["Acme, Inc.", "a@acme.example", "", "", "", "", "Line one\nline two"]])
    _info, rows = _read(tmp_path, content)
    assert rows == [["Acme, Inc.", "a@acme.example", "", "", "", "", "Line one\nline two"]]


def test_xlsx_cells_come_back_as_text_and_formulas_stay_text(tmp_path):
    from datetime import date
    content = xlsx_bytes([["=HYPERLINK(\"http://evil.example\",\"x\")", "a@b.example",
                           34912345678, 732829320, "", "lead", date(2024, 5, 1)]])
    info, rows = _read(tmp_path, content, "list.xlsx")
    assert info.kind == "xlsx"
    assert rows == [['=HYPERLINK("http://evil.example","x")', "a@b.example", "34912345678",
                     "732829320", "", "lead", "2024-05-01"]]


def test_blank_rows_are_passed_over_and_row_numbers_stay_the_spreadsheets(tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_bytes(b"Name,Email\r\n\r\nAcme,a@acme.example\r\n,\r\nBeta,b@beta.example\r\n")
    info = inspect_file(path)
    assert [(n, cells[0]) for n, cells in iter_rows(path, info)] == [(3, "Acme"), (5, "Beta")]


def test_an_xlsx_named_csv_is_read_as_xlsx(tmp_path):
    info, rows = _read(tmp_path, xlsx_bytes(ROWS), "lies.csv")
    assert info.kind == "xlsx" and rows[0][0] == "Café Nuñez"


def test_a_csv_named_xlsx_is_read_as_csv(tmp_path):
    info, rows = _read(tmp_path, csv_bytes(ROWS), "lies.xlsx")
    assert info.kind == "csv" and rows[0][0] == "Café Nuñez"


@pytest.mark.parametrize("content, message", [
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary data"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(200), "old Excel"),
    (b"", "empty"),
    (b"   \r\n  ", "empty"),
])
def test_files_that_are_not_spreadsheets_are_refused_with_a_reason(tmp_path, content, message):
    path = tmp_path / "companies.csv"
    path.write_bytes(content)
    with pytest.raises(FileRefused, match=message):
        inspect_file(path)


def test_a_zip_that_is_not_a_workbook_is_refused(tmp_path):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    path = tmp_path / "report.xlsx"
    path.write_bytes(buffer.getvalue())
    with pytest.raises(FileRefused, match="not a readable XLSX"):
        info = inspect_file(path)
        list(iter_rows(path, info))


def test_a_stray_nul_byte_in_text_is_dropped_from_its_cell(tmp_path):
    info, rows = _read(tmp_path, "Name,City\r\nAc\x00me,Lyon\r\n".encode("utf-8-sig"))
    assert rows == [["Acme", "Lyon"]]


def test_workbooks_are_parsed_through_defusedxml():
    # An upload is untrusted XML: openpyxl must refuse entity expansion (billion laughs).
    import openpyxl.xml
    assert openpyxl.xml.DEFUSEDXML
