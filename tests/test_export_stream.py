"""Exports stream: the filtered rows exactly, read in batches, CSV and XLSX alike."""
import csv
import io

from openpyxl import load_workbook
from sqlalchemy import insert

from admin_app.extensions import db
from admin_app.models import Address, Company

ROWS = 20_000


def _seed(count: int) -> None:
    db.session.execute(insert(Company), [
        {"name": f"{'Zebra' if n % 4 == 0 else 'Plain'} {n:05d}", "status": "client",
         "email": '=HYPERLINK("http://evil.example")' if n == 8 else f"c{n}@example.com"}
        for n in range(count)])
    db.session.flush()
    first = db.session.query(Company.id).order_by(Company.id).first()[0]
    db.session.execute(insert(Address), [
        {"company_id": first + n, "line1": "1 Main St", "city": f"City {n}", "is_main": True}
        for n in range(0, count, 4)])
    db.session.commit()


def test_a_searched_csv_export_carries_exactly_the_matching_rows(admin_client):
    _seed(ROWS)
    response = admin_client.get("/admin/company/export/csv/?search=zebra")
    assert response.status_code == 200 and response.is_streamed
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert header[:2] == ["ID", "Name"]
    assert len(rows) == ROWS // 4
    assert {row[1] for row in rows} == {f"Zebra {n:05d}" for n in range(0, ROWS, 4)}
    assert [row[1] for row in rows] == sorted(row[1] for row in rows)  # the list's sort
    by_name = {row[1]: row for row in rows}
    assert by_name["Zebra 00008"][3].startswith("'=HYPERLINK")
    assert by_name["Zebra 00012"][header.index("City")] == "City 12"


def test_the_export_reads_rows_in_batches_and_sends_the_header_first(admin_client,
                                                                        count_queries):
    _seed(2_000)
    with count_queries() as statements:
        response = admin_client.get("/admin/company/export/csv/", buffered=False)
        chunks = iter(response.response)
        assert next(chunks).startswith(b"ID,Name")
        before_rows = len(statements)
        body = [next(chunks)] + list(chunks)
    response.close()
    # The rows come in chunks of many rows (one write per row costs the server more than it).
    assert b"".join(body).count(b"\n") == 2_000 and 1 < len(body) < 2_000
    company_reads = [s for s in statements[before_rows:] if "FROM companies" in s]
    address_reads = [s for s in statements[before_rows:] if "FROM addresses" in s]
    # One streaming SELECT of the companies, their addresses loaded once per batch of 500.
    assert len(company_reads) <= 2
    assert 1 <= len(address_reads) <= 2_000 // 500 + 1


def test_xlsx_export_streams_the_same_rows_formula_safe(admin_client):
    _seed(2_000)
    response = admin_client.get("/admin/company/export/xlsx/?search=zebra")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert header[:2] == ["ID", "Name"] and len(rows) == 500
    emails = {row[3] for row in rows}
    assert "'=HYPERLINK(\"http://evil.example\")" in emails
    assert not any(isinstance(cell, str) and cell.startswith("=") for row in rows for cell in row)


def test_an_unknown_export_type_is_refused_with_a_message(admin_client):
    response = admin_client.get("/admin/company/export/pdf/")
    assert response.status_code == 302
