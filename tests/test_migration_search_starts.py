"""Migration 0016s on a SQLite database that already holds companies: they are indexed again
with a space before each value, so a two-letter word finds them through the FTS table, and the
downgrade gives back the table 0012s made."""
import pytest
from flask_migrate import downgrade, upgrade
from sqlalchemy import text

from admin_app.extensions import db
from admin_app.services.search import search_companies


@pytest.fixture
def old_database(database_at_revision):
    return database_at_revision("0015c")


def _fts(query: str) -> set[int]:
    return {row[0] for row in db.session.execute(
        text("SELECT rowid FROM companies_search WHERE companies_search MATCH :q"), {"q": query})}


def _check_index() -> None:
    db.session.execute(text("INSERT INTO companies_search(companies_search, rank) "
                            "VALUES ('integrity-check', 1)"))
    db.session.commit()


def test_upgrade_indexes_existing_companies_from_the_start_of_each_value(old_database):
    for id_, name in ((1, "Umbra Textiles"), (2, "Lumen Labs"), (3, "Acme Umbrella")):
        db.session.execute(text(
            "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, "
            "legal_id_key, created_at, updated_at) VALUES (:id, :name, 'lead', '', '', '', '', "
            "'2026-01-01', '2026-01-01')"), {"id": id_, "name": name})
    db.session.commit()
    assert _fts('" um"') == {3}  # before: a value's start is no trigram

    upgrade()

    assert _fts('" um"') == {1, 3}
    assert [c.name for c in search_companies("um")] == ["Acme Umbrella", "Umbra Textiles"]
    db.session.execute(text("UPDATE companies SET name = 'Penumbra' WHERE id = 1"))
    db.session.commit()
    assert _fts('" um"') == {3}
    _check_index()

    downgrade(revision="0015c")

    assert _fts('"umbr"') == {1, 3}  # Penumbra, Umbrella
    _check_index()
