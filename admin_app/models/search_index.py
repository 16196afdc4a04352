"""What the company search needs beyond the tables: PostgreSQL's pg_trgm, SQLite's FTS5 table.

Migrations 0012s and 0016s create the same objects; the listeners below create them wherever a
schema is built with `metadata.create_all()` (benchmarks, scripts), so the trigram index and the
search work there too.
"""
from sqlalchemy import DDL, event

from ..extensions import db
from .companies import SEARCHED_COLUMNS, Company

FTS_TABLE = "companies_search"
FTS_CONTENT = "companies_search_text"
_COLUMNS = ", ".join(SEARCHED_COLUMNS)
# Each value indexed with a space in front, so that the start of a value is a trigram like the
# start of any later word: " um" finds a two-letter word start with the index.
_PADDED = ", ".join(f"' ' || {c} AS {c}" for c in SEARCHED_COLUMNS)
_NEW = ", ".join(f"' ' || new.{c}" for c in SEARCHED_COLUMNS)
_OLD = ", ".join(f"' ' || old.{c}" for c in SEARCHED_COLUMNS)

# External content: the index reads its text from a view of `companies`, so nothing is stored
# twice. The 'delete' command must be given the values that were indexed: the old row's.
# Reviewed (bandit B608): DDL built from this module's constants only, no outside value.
SQLITE_STATEMENTS = (
    f"CREATE VIEW IF NOT EXISTS {FTS_CONTENT} AS SELECT id, {_PADDED} FROM companies",  # nosec B608
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({_COLUMNS}, "
    f"content='{FTS_CONTENT}', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON companies BEGIN "  # nosec B608
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON companies BEGIN "  # nosec B608
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"END",
    f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF {_COLUMNS} ON companies BEGIN "  # nosec B608
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLUMNS}) VALUES ('delete', old.id, {_OLD}); "
    f"INSERT INTO {FTS_TABLE}(rowid, {_COLUMNS}) VALUES (new.id, {_NEW}); END",
    # Rows that existed before the table did (a migrated database).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",  # nosec B608
)
PG_TRGM = "CREATE EXTENSION IF NOT EXISTS pg_trgm"


event.listen(db.metadata, "before_create", DDL(PG_TRGM).execute_if(dialect="postgresql"))
for _statement in SQLITE_STATEMENTS:
    event.listen(Company.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
