"""Migration 0004t on a database that already holds data: nothing that references email
templates or documents loses its link (a SQLite table rebuild would fire their ON DELETE)."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from admin_app.extensions import db


@pytest.fixture
def old_database(database_at_revision):
    return database_at_revision("0003")


def _rows(sql: str):
    return [tuple(row) for row in db.session.execute(text(sql)).all()]


def test_upgrade_keeps_template_links_and_attachments(old_database):
    statements = [
        "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
        "legal_id_key, created_at, updated_at) VALUES (1, 'Acme', 'client', 'acme', '', '', '', "
        "'2026-01-01', '2026-01-01')",
        "INSERT INTO email_templates (id, name, subject, body) VALUES (7, 'Chaser', 'Hi', 'Hello')",
        "INSERT INTO comment_templates (id, name, body, is_default) VALUES "
        "(1, 'A', '', 1), (2, 'B', '', 1)",
        "INSERT INTO documents (id, company_id, title, original_name, file, content_type, "
        "size_bytes, created_at, signature_status) VALUES "
        "(3, NULL, 'Terms', 'terms.pdf', 'documents/t', 'application/pdf', 5, '2026-01-01', "
        "'none')",
        "INSERT INTO exchanges (id, company_id, kind, title, body, occurred_at, created_at, "
        "send_invitation, email_status, email_template_id) VALUES (5, 1, 'email', 'Sent', "
        "'Text', '2026-01-02', '2026-01-02', 0, 'sent', 7)",
        "INSERT INTO exchange_attachments (exchange_id, document_id) VALUES (5, 3)",
    ]
    for statement in statements:
        db.session.execute(text(statement))
    db.session.commit()

    upgrade(revision="0004t")

    assert _rows("SELECT email_template_id, title, body FROM exchanges") == [(7, "Sent", "Text")]
    assert _rows("SELECT exchange_id, document_id FROM exchange_attachments") == [(5, 3)]
    assert _rows("SELECT purpose, is_default FROM email_templates") == [("exchange", 0)]
    assert _rows("SELECT id FROM comment_templates WHERE is_default") == [(1,)]
    assert _rows("SELECT version, previous_version_id FROM documents") == [(1, None)]
    assert _rows("PRAGMA foreign_keys") == [(1,)]

    downgrade(revision="0003")
    assert _rows("SELECT name FROM email_templates") == [("Chaser",)]
    assert _rows("SELECT email_template_id FROM exchanges") == [(7,)]
    assert _rows("SELECT exchange_id, document_id FROM exchange_attachments") == [(5, 3)]
    assert _rows("PRAGMA foreign_keys") == [(1,)]
