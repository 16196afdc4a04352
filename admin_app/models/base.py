"""Shared column helpers for the models."""
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import DateTime, Index, Numeric, Select, select, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import Mapped, mapped_column

MONEY = Numeric(12, 2, asdecimal=True)
# The largest id an id column can hold (PostgreSQL `integer`).
MAX_ID = 2**31 - 1
ZERO = Decimal("0.00")


def utcnow() -> datetime:
    """Naive UTC now: SQLite keeps no zone, so every timestamp is stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def money_column(nullable: bool = False, default: Decimal | None = ZERO) -> Mapped[Decimal]:
    return mapped_column(MONEY, nullable=nullable, default=default, server_default="0")


def created_at_column(index: bool = True) -> Mapped[datetime]:
    return mapped_column(DateTime, nullable=False, default=utcnow, index=index)


def in_values(column: str, values: tuple[str, ...]) -> str:
    """SQL text for a CHECK that keeps an enum-like column within its values."""
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


def dialect_index(dialect: str, name: str, *columns, **kwargs) -> Index:
    """An index that exists on one database only (e.g. a PostgreSQL trigram GIN index)."""
    # ddl_if keeps create_all() from emitting it elsewhere; info["dialect"] tells the
    # migrations' autogenerate compare (only_this_dialect) not to expect it elsewhere either.
    return Index(name, *columns, info={"dialect": dialect}, **kwargs).ddl_if(dialect=dialect)


# Foreign keys that a migration added with ALTER TABLE ... ADD COLUMN (a table rebuild on SQLite
# would fire the ON DELETE actions of the tables referencing it). SQLite enforces them, but
# SQLAlchemy reflects neither their name nor their ON DELETE there: PostgreSQL compares them.
ADDED_BY_ALTER_TABLE = {("documents", ("previous_version_id",))}


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> Index:
    """An index of the rows meeting `where`, spelled the same on both databases."""
    return Index(name, *columns, unique=unique, sqlite_where=text(where),
                 postgresql_where=text(where))


def is_search_table(name: str) -> bool:
    """The FTS5 company search table and its shadow tables (models/search_index.py)."""
    return name == "companies_search" or name.startswith("companies_search_")


def only_this_dialect(dialect: str):
    """An Alembic include_object hook that skips the model's indexes meant for other databases.

    Everything else, including the dialect-only indexes of *this* database, is still compared,
    so a model and a migration that disagree keep failing tests/test_migrations.py.
    """
    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "table" and reflected and is_search_table(name):
            return False  # SQLite's FTS5 search table (models/search_index.py)
        if type_ == "index" and not reflected:
            return obj.info.get("dialect", dialect) == dialect
        if type_ == "foreign_key_constraint" and dialect == "sqlite":
            return (obj.table.name, tuple(obj.column_keys)) not in ADDED_BY_ALTER_TABLE
        return True
    return include_object


def compound_part(query: Select) -> Select:
    """`query`, with its own ORDER BY and LIMIT, as one part of a UNION: SQLite takes those only
    on a whole compound SELECT, so the part reads them from a subquery."""
    return select(*query.subquery().c)


def _sqlite_from_hint(_compiler, _table, text: str | None) -> str | None:
    return text


# SQLite's "INDEXED BY name" follows the table in FROM, which is where SQLAlchemy puts a
# `Select.with_hint(table, text, dialect_name="sqlite")`; its SQLite compiler drops such hints
# (it renders them for MySQL and Oracle only), so the hint is rendered as written.
SQLiteCompiler.get_from_hint_text = _sqlite_from_hint
