"""SQLite company search: values indexed with a leading space, so two-letter words use the index

The FTS5 trigram table `companies_search` is rebuilt over a view that puts a space in front of
each searched value: " um" is then a trigram both at the start of a value and after a space,
and a two-letter word ("um" finds "Umbra Textiles", not "Lumen") no longer reads every company.
PostgreSQL: nothing to do, pg_trgm reads 'um%' and '% um%' as a word start already.

Revision ID: 0016s
Revises: 0016m
Create Date: 2026-11-28 09:00:00
"""
from alembic import op

revision = '0016s'
down_revision = '0016m'
branch_labels = None
depends_on = None

FTS = "companies_search"
VIEW = "companies_search_text"
SEARCHED = ("name", "email", "phone", "legal_id", "website")
COLUMNS = ", ".join(SEARCHED)


def _create(content: str, new: str, old: str) -> None:
    op.execute(f"CREATE VIRTUAL TABLE {FTS} USING fts5({COLUMNS}, content='{content}', "
               "content_rowid='id', tokenize='trigram')")
    op.execute(f"CREATE TRIGGER {FTS}_ai AFTER INSERT ON companies BEGIN "
               f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, {new}); END")
    op.execute(f"CREATE TRIGGER {FTS}_ad AFTER DELETE ON companies BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER {FTS}_au AFTER UPDATE OF {COLUMNS} ON companies BEGIN "
               f"INSERT INTO {FTS}({FTS}, rowid, {COLUMNS}) VALUES ('delete', old.id, {old}); "
               f"INSERT INTO {FTS}(rowid, {COLUMNS}) VALUES (new.id, {new}); END")
    op.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')")


def _drop() -> None:
    for trigger in ("ai", "ad", "au"):
        op.execute(f"DROP TRIGGER IF EXISTS {FTS}_{trigger}")
    op.execute(f"DROP TABLE IF EXISTS {FTS}")


def upgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    _drop()
    padded = ", ".join(f"' ' || {c} AS {c}" for c in SEARCHED)
    op.execute(f"CREATE VIEW {VIEW} AS SELECT id, {padded} FROM companies")
    _create(VIEW, ", ".join(f"' ' || new.{c}" for c in SEARCHED),
            ", ".join(f"' ' || old.{c}" for c in SEARCHED))


def downgrade():
    if op.get_bind().dialect.name != 'sqlite':
        return
    _drop()
    op.execute(f"DROP VIEW IF EXISTS {VIEW}")
    _create("companies", ", ".join(f"new.{c}" for c in SEARCHED),
            ", ".join(f"old.{c}" for c in SEARCHED))
