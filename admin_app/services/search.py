"""Company search: one meaning on both databases, served by an index on each.

A search is words separated by spaces; a company matches when every word is found, in any of
the searched columns (models.companies.SEARCHED_COLUMNS), case-insensitively. A word of three
characters or more matches anywhere in a value; a shorter one matches the start of a word
("07" finds "Picker 07"; "ab" anywhere would match half the table). `%`, `_` and `\\`
are plain characters.

PostgreSQL answers through the trigram GIN index (migration 0002); SQLite through the FTS5
trigram table `companies_search` kept by triggers (migration 0012s, models.search_index).
Matching ids are found first and the caller sorts and pages them, so a word that sorts late
never walks the name index.
"""
from sqlalchemy import (
    ColumnElement, Integer, Select, and_, any_, column, func, literal, literal_column, or_, select,
    text, true,
)
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Company
from ..models.companies import SEARCHED_COLUMNS
from ..models.search_index import FTS_TABLE

MIN_SUBSTRING = 3  # the trigram length: shorter words cannot use either index
MAX_WORDS = 8
MAX_WORD = 100


def search_words(search: str | None) -> list[str]:
    """The words of a typed search, without NUL bytes, bounded in number and length."""
    words = (search or "").replace("\x00", "").split()
    return [word[:MAX_WORD] for word in words[:MAX_WORDS]]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _columns(entity=Company):
    return [getattr(entity, name) for name in SEARCHED_COLUMNS]


def _prefix_match(word: str, entity=Company) -> ColumnElement[bool]:
    """A value with a word starting with `word` (at its start or after a space).

    No index serves a word this short, so the cheapest scan is chosen per database (measured
    at 100,000 companies): PostgreSQL one ILIKE over the values joined by spaces (2.5x quicker
    than ten), SQLite ten plain LIKEs, which fold ASCII case in C and stop at the first match."""
    escaped = _like_escape(word)
    columns = _columns(entity)
    if db.engine.dialect.name == "sqlite" and word.isascii():
        return or_(*(column.like(pattern, escape="\\") for column in columns
                     for pattern in (escaped + "%", "% " + escaped + "%")))
    values = literal(" ")
    for column in columns:
        values = values + func.coalesce(column, "") + " "
    if db.engine.dialect.name == "postgresql":
        return values.ilike("% " + escaped + "%", escape="\\")
    return func.instr(func.unicode_lower(values), " " + word.lower()) > 0


def _sqlite_contains(word: str) -> ColumnElement[bool]:
    """The exact test on the rows the FTS index found: the trigram tokenizer also folds
    accents ("lumiere" finds "Lumière"), PostgreSQL's ILIKE does not."""
    return or_(*(func.instr(func.unicode_lower(column), word.lower()) > 0
                 for column in _columns()))


def _postgres_conditions(words: list[str], entity) -> ColumnElement[bool]:
    conditions = []
    for word in words:
        if len(word) >= MIN_SUBSTRING:
            pattern = "%" + _like_escape(word) + "%"
            conditions.append(or_(*(column.ilike(pattern, escape="\\")
                                    for column in _columns(entity))))
        else:
            conditions.append(_prefix_match(word, entity))
    return and_(*conditions)


def _fts_query(words: list[str]) -> str:
    """An FTS5 query: each word a quoted phrase (a substring for the trigram tokenizer)."""
    return " AND ".join('"' + word.replace('"', '""') + '"' for word in words)


def _sqlite_ids(words: list[str]) -> Select:
    long_words = [word for word in words if len(word) >= MIN_SUBSTRING]
    short_words = [word for word in words if len(word) < MIN_SUBSTRING]
    query = select(Company.id)
    if long_words:
        # Reviewed (bandit B608): the table name is a constant; the words go in a bound value.
        fts = text(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH :fts_query"  # nosec B608
                   ).bindparams(fts_query=_fts_query(long_words)).columns(column("rowid", Integer))
        query = query.where(Company.id.in_(fts))
    for word in long_words:
        query = query.where(_sqlite_contains(word))
    for word in short_words:
        query = query.where(_prefix_match(word))
    return query


def search_clause(search: str | None) -> ColumnElement[bool]:
    """A WHERE clause on Company: the companies matching `search` (all when it is empty)."""
    words = search_words(search)
    if not words:
        return true()
    if db.engine.dialect.name == "postgresql":
        # The trigram match runs first, once, as an InitPlan gathering the ids into an array;
        # the outer query then fetches those rows by primary key and sorts them. Written as
        # IN (subquery) PostgreSQL could walk the name index filtering every row instead.
        hit = aliased(Company, name="search_hit")
        ids = (select(func.array_agg(hit.id)).where(_postgres_conditions(words, hit))
               .scalar_subquery())
        return Company.id == any_(func.coalesce(ids, literal_column("'{}'::integer[]")))
    return Company.id.in_(_sqlite_ids(words))


def search_companies(search: str | None, *, exclude_id: int | None = None, offset: int = 0,
                     limit: int = 20, extra: ColumnElement[bool] | None = None) -> list[Company]:
    """Live companies matching `search`, by name then id, one page (pickers, merge search)."""
    query = select(Company).where(Company.merged_into_id.is_(None), search_clause(search))
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    if extra is not None:
        query = query.where(extra)
    return list(db.session.scalars(
        query.order_by(Company.name, Company.id).offset(max(offset, 0)).limit(max(limit, 1))))
