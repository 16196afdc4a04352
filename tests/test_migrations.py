"""One Alembic history builds exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from admin_app.extensions import db
from admin_app.models.companies import SEARCH_TEXT_INDEX


def _diff(app, conn):
    """What autogenerate would add or drop, with the options `flask db migrate` uses."""
    opts = app.extensions["migrate"].configure_args  # compare_type and include_object
    return compare_metadata(MigrationContext.configure(conn, opts=opts), db.metadata)


def test_migrations_match_models(app):
    with db.engine.connect() as conn:
        diff = _diff(app, conn)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_a_missing_index_is_still_detected_on_every_database(app, is_postgres):
    # The include_object hook skips indexes declared for another database only: this proves it
    # hides nothing else, and that PostgreSQL's own trigram index is compared on PostgreSQL.
    name = SEARCH_TEXT_INDEX if is_postgres else "ix_exchanges_company_id_kind_occurred_at_id"
    with db.engine.connect() as conn:
        transaction = conn.begin()
        try:
            conn.exec_driver_sql(f"DROP INDEX {name}")
            diff = _diff(app, conn)
        finally:
            transaction.rollback()
    if not is_postgres:
        # Python's sqlite3 runs DDL outside the transaction: the rollback does not bring the
        # index back, and the card's timeline names it (services/card.py).
        index = next(i for i in db.metadata.tables["exchanges"].indexes if i.name == name)
        index.create(db.engine, checkfirst=True)
    assert [(d[0], d[1].name) for d in diff] == [("add_index", name)]


def test_postgresql_only_indexes_are_not_expected_on_sqlite(app):
    from admin_app.models.base import only_this_dialect
    trigram = next(index for index in db.metadata.tables["companies"].indexes
                   if index.name == SEARCH_TEXT_INDEX)
    assert only_this_dialect("postgresql")(trigram, trigram.name, "index", False, None)
    assert not only_this_dialect("sqlite")(trigram, trigram.name, "index", False, None)


def test_migration_history_has_a_single_head(app):
    config = app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1


def test_database_is_at_the_head_revision(app):
    config = app.extensions["migrate"].migrate.get_config()
    head = ScriptDirectory.from_config(config).get_current_head()
    with db.engine.connect() as conn:
        assert MigrationContext.configure(conn).get_current_revision() == head



def test_the_sqlite_search_index_and_its_triggers_survive_every_migration(app, is_postgres):
    # A later batch_alter_table on `companies` rebuilds the table on SQLite and drops these
    # triggers silently: the search would go stale. Recreate them (models/search_index.py).
    if is_postgres:
        with db.engine.connect() as conn:
            assert conn.exec_driver_sql(
                "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() == 1
        return
    with db.engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE name LIKE 'companies_search%'")}
    assert {"companies_search", "companies_search_ai", "companies_search_ad",
            "companies_search_au"} <= names
