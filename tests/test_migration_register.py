"""Migration 0010c on a database that already holds issued documents: each gets its snapshot
from the data as it stands, issued invoices enter the register in issue order, the chain
verifies, and a default payment reminder template is there."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from admin_app.extensions import db
from admin_app.services.register import verify


@pytest.fixture
def old_database(database_at_revision):
    return database_at_revision("0008x")


def _rows(sql: str):
    return [tuple(row) for row in db.session.execute(text(sql)).all()]


def test_upgrade_freezes_issued_documents_and_fills_the_register(old_database):
    statements = [
        "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
        "legal_id_key, legal_id, created_at, updated_at) VALUES (1, 'Old Client SL', 'client', "
        "'old client', '', '', '', 'B1', '2026-01-01', '2026-01-01')",
        "INSERT INTO addresses (company_id, label, line1, city, country, is_main, is_billing_default, "
        "is_delivery_default, is_quote_default) VALUES (1, 'HQ', '1 Calle', 'Madrid', 'Spain', 1, 0, 0, 0)",
        "INSERT INTO settings (key, value, updated_at) VALUES ('currency', '\"GBP\"', "
        "'2026-01-01')",
        "INSERT INTO invoices (id, number, company_id, status, issue_date, due_date, issued_at, "
        "total_excl_tax, total_tax, total_incl_tax, created_at) VALUES "
        "(2, 'INV-2026-0002', 1, 'issued', '2026-02-01', '2026-03-01', '2026-02-01', 100, 20, "
        "120, '2026-01-01'), "
        "(1, 'INV-2026-0001', 1, 'cancelled', '2026-01-15', '2026-02-15', '2026-01-15', 50, 0, "
        "50, '2026-01-01'), "
        "(3, NULL, 1, 'draft', '2026-03-01', '2026-04-01', NULL, 0, 0, 0, '2026-01-01')",
        "INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_price, "
        "tax_rate, total_excl_tax, total_tax) VALUES (2, 0, 'Work', 1, 100, 20, 100, 20), "
        "(1, 0, 'Old', 1, 50, 0, 50, 0)",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()

    upgrade(revision="0010c")

    snapshots = {row[0]: row for row in _rows(
        "SELECT document_id, kind, data FROM document_snapshots ORDER BY document_id")}
    assert set(snapshots) == {1, 2}  # numbered documents only, the draft has none
    import json
    data = snapshots[2][2] if isinstance(snapshots[2][2], dict) else json.loads(snapshots[2][2])
    assert data["buyer"]["name"] == "Old Client SL" and data["currency"] == "GBP"
    assert data["buyer"]["address"]["line1"] == "1 Calle"
    assert data["lines"][0]["unit_price"] == "100.00"
    assert _rows("SELECT number FROM register_records ORDER BY id") == [
        ("INV-2026-0001",), ("INV-2026-0002",)]  # in the order they were issued
    assert verify().intact
    assert ("payment_reminder", 1) in _rows("SELECT purpose, is_default FROM email_templates")
    db.session.rollback()

    downgrade(revision="0008x")
    assert _rows("SELECT count(*) FROM email_templates WHERE purpose = 'payment_reminder'") == [(0,)]
