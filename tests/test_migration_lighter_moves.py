"""Migration 0027 on a database that holds rows: the sales documents' unused created_at indexes
go, PostgreSQL's last-exchange triggers still keep each company's latest exchange through a
move, and the downgrade puts everything back."""
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from admin_app.extensions import db

SALES_TABLES = ("invoices", "quotes", "orders", "credit_notes")


def _created_at_indexes() -> set[str]:
    found = set()
    for table in SALES_TABLES:
        found |= {i["name"] for i in inspect(db.engine).get_indexes(table)
                  if i["column_names"] == ["created_at"]}
    return found


def _postgresql_details() -> tuple[str, str]:
    """(the update trigger's source, the compression of merges.moved: '' is the default)"""
    source = db.session.scalar(text(
        "SELECT prosrc FROM pg_proc WHERE proname = 'companies_last_exchange_update'"))
    compression = db.session.scalar(text(
        "SELECT attcompression FROM pg_attribute WHERE attrelid = 'merges'::regclass "
        "AND attname = 'moved'"))
    return source, compression


def _latest(company_id: int):
    return db.session.scalar(text("SELECT last_exchange_at FROM companies WHERE id = :id"),
                             {"id": company_id})


def test_upgrade_drops_the_unused_indexes_and_keeps_the_latest_exchange_through_a_move(
        database_at_revision, is_postgres):
    database_at_revision("0026", on_test_server=True)
    assert _created_at_indexes() == {f"ix_{table}_created_at" for table in SALES_TABLES}
    for id_, name in ((1, "Kept"), (2, "Absorbed")):
        db.session.execute(text(
            "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
            "legal_id_key, legal_id_check, created_at, updated_at) VALUES (:id, :name, 'lead', "
            "'', '', '', '', '', '2026-01-01', '2026-01-01')"), {"id": id_, "name": name})
    for company_id, day in ((1, "2026-03-01"), (2, "2026-05-01"), (2, "2026-04-01")):
        db.session.execute(text(
            "INSERT INTO exchanges (company_id, kind, title, occurred_at, send_invitation, "
            "ics_sequence, created_at) VALUES (:c, 'call', 'Call', :day, :no, 0, :day)"),
            {"c": company_id, "day": day, "no": False})
    db.session.commit()

    upgrade()

    assert _created_at_indexes() == set()
    if is_postgres:
        source, compression = _postgresql_details()
        assert "WITH o AS" in source and "WITH n AS" in source
        assert compression == "l"  # lz4: this server has it
    # What a merge does to the history: every exchange of one company moves to the other.
    db.session.execute(text("UPDATE exchanges SET company_id = 1 WHERE company_id = 2"))
    db.session.commit()
    assert str(_latest(1))[:10] == "2026-05-01" and _latest(2) is None
    db.session.execute(text("DELETE FROM exchanges WHERE occurred_at >= '2026-04-01'"))
    db.session.commit()
    assert str(_latest(1))[:10] == "2026-03-01"

    downgrade(revision="0026")

    assert _created_at_indexes() == {f"ix_{table}_created_at" for table in SALES_TABLES}
    if is_postgres:
        source, compression = _postgresql_details()
        assert "WITH o AS" not in source and "SELECT DISTINCT company_id FROM old_rows" in source
        assert compression == ""
    db.session.execute(text("UPDATE exchanges SET company_id = 2"))
    db.session.commit()
    assert _latest(1) is None and str(_latest(2))[:10] == "2026-03-01"
