"""Every list that exports to CSV sends every row, and no cell a spreadsheet would run as a
formula, whatever column (related rows included) the text comes from."""
import csv
import io
import re

from flask_admin.contrib.sqla import ModelView

from admin_app.admin.formatting import FORMULA_TRIGGERS
from admin_app.extensions import db
from admin_app.models import Contact, Exchange
from admin_app.models.base import utcnow
from hostile_support import FORMULAS, get_as_a_server_would, seed_every_kind

PLAIN_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _exportable_views(app) -> list:
    return [view for view in app.extensions["admin"][0]._views
            if isinstance(view, ModelView) and view.can_export and "csv" in view.export_types]


def _export(client, view) -> list[list[str]] | str:
    """The CSV's rows, or what went wrong."""
    response = get_as_a_server_would(client, f"/admin/{view.endpoint}/export/csv/")
    if isinstance(response, Exception) or response.status_code != 200:
        return f"{view.endpoint}: {response!r}"
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_every_export_sends_every_row_with_no_cell_a_spreadsheet_would_run(
        app, admin_client, admin_user):
    seed_every_kind(admin_user, payloads=FORMULAS)
    views = _exportable_views(app)
    assert len(views) >= 15
    problems = []
    for view in views:
        exported = _export(admin_client, view)
        if isinstance(exported, str):
            problems.append(exported)
            continue
        header, *rows = exported
        expected = view.get_query().count()
        if not expected or len(rows) != expected:
            problems.append(f"{view.endpoint}: {len(rows)} rows exported of {expected}")
        cells = [cell for row in rows for cell in row]
        if not any(payload in cell for cell in cells for payload in FORMULAS):
            problems.append(f"{view.endpoint}: no payload reached the export")
        problems += [f"{view.endpoint}: {header[i]} = {cell!r}" for row in rows
                     for i, cell in enumerate(row)
                     if cell.startswith(FORMULA_TRIGGERS) and not PLAIN_NUMBER.match(cell)]
    assert not problems, "\n".join(problems)


def test_a_related_row_named_like_a_formula_is_quoted_in_the_export(
        admin_client, make_company):
    company = make_company("Acme")
    contact = Contact(company=company, last_name='=HYPERLINK("http://evil.example")')
    db.session.add(Exchange(company=company, contact=contact, kind="call", title="Call",
                            occurred_at=utcnow()))
    db.session.commit()
    text = admin_client.get("/admin/exchange/export/csv/").get_data(as_text=True)
    assert '\'=HYPERLINK(""http://evil.example"")' in text
    assert ',=HYPERLINK' not in text


def test_the_payment_export_reads_invoices_and_companies_with_the_rows_not_one_by_one(
        admin_client, make_company, make_invoice, count_queries):
    for n in range(6):
        make_invoice(make_company(f"Client {n}"), payments=[("10", utcnow().date())])
    with count_queries() as statements:
        text = admin_client.get("/admin/payment/export/csv/").get_data(as_text=True)
    assert all(f"Client {n}" in text for n in range(6))
    # User and session, the settings (two-factor rule), count and rows with their relations.
    assert len(statements) <= 5
