"""The company search's word index: every word of a live company's searched values, with its name.

A page sorted by name needs the first matches by name, and neither a trigram index nor FTS5
returns matches in that order: a common word was answered by reading all its matches and sorting
them, a cost that grew with the table. Here each company's searched values are cut into words
at the separators below and stored with the company's name, so that the companies holding one
word are read in name order from `ix_company_words_token_name`, as many as a page needs.

- `company_words`: (word, company) once per live company, with its name and whether the word
  ever starts a value or follows a space (what a search word shorter than three characters must
  match: `ix_company_words_start` holds those only).
- `search_tokens`: every word ever stored, once. A searched word finds the stored words that
  contain it here (PostgreSQL: a trigram index; SQLite: the FTS5 trigram table
  `companies_search_tokens`), then reads each one's companies from the index above. Words are
  never removed: a word no company holds any more reads an empty range.

Triggers on `companies` keep both, whoever writes (forms, imports, merges, plain SQL):
PostgreSQL cuts the values in PL/pgSQL, SQLite calls `company_words_json()`, a function every
connection of the application registers (admin_app/__init__.py). Migration 0023 creates the same
objects; the listeners below create them wherever a schema is built with `create_all()`.
"""
import json
import re

from sqlalchemy import DDL, Boolean, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db
from .base import dialect_index
from .companies import SEARCHED_COLUMNS

WORDS_TABLE = "company_words"
TOKENS_TABLE = "search_tokens"
TOKENS_FTS = "companies_search_tokens"  # the prefix is_search_table() skips in migrations
# Where a value is cut. A search word holding one of these is answered without this index
# (services/search.py): its matches can span two stored words. "\x01" is what PostgreSQL's
# trigger turns the others into (the space stays itself: it marks a word start); NUL is SQLite's.
# No "%": DDL text goes through Python's %-formatting.
SEPARATORS = " \t\n\r\f\v\x01@.,;:-_/\\+()[]{}<>'\"`!?#$&*=|~^"
_SQL_SEPARATORS = SEPARATORS[1:].replace("'", "''")  # all but the space, for translate()
_PYTHON_SPLIT = re.compile("[^" + re.escape(SEPARATORS + "\x00") + "]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class CompanyWord(db.Model):
    """One word of one live company's searched values."""

    __tablename__ = WORDS_TABLE
    __table_args__ = (
        # A word's companies in list order (the list sorts by name, then id).
        Index("ix_company_words_token_name", "token", "name", "company_id"),
        Index("ix_company_words_start", "token", "name", "company_id",
              sqlite_where=text("word_start = 1"), postgresql_where=text("word_start")),
    )

    company_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    token: Mapped[str] = mapped_column(Text, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    word_start: Mapped[bool] = mapped_column(Boolean, nullable=False)

    def __repr__(self) -> str:
        return f"<CompanyWord {self.token!r} {self.company_id}>"


class SearchToken(db.Model):
    """A word some company's searched values held once."""

    __tablename__ = TOKENS_TABLE

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(Text, nullable=False, unique=True)

    def __repr__(self) -> str:
        return f"<SearchToken {self.token!r}>"


# PostgreSQL finds the stored words containing a searched word through trigrams, and those
# starting with a short one through a B-tree that LIKE 'ab%' can walk whatever the collation.
# Reviewed (bandit B105): operator classes of the column `token`, no password.
TOKENS_TRGM_INDEX = "ix_search_tokens_token_trgm"
dialect_index("postgresql", TOKENS_TRGM_INDEX, SearchToken.__table__.c.token,
              postgresql_using="gin", postgresql_ops={"token": "gin_trgm_ops"})  # nosec B105
TOKENS_PREFIX_INDEX = "ix_search_tokens_token_prefix"
dialect_index("postgresql", TOKENS_PREFIX_INDEX, SearchToken.__table__.c.token,
              postgresql_ops={"token": "text_pattern_ops"})  # nosec B105


def company_words(values, lower=lambda value: value.translate(_ASCII_LOWER)) -> dict[str, bool]:
    """The words of a company's searched values, each with whether it ever starts a value or
    follows a space. `lower` folds case as the database's search does (SQLite: ASCII only)."""
    words: dict[str, bool] = {}
    for value in values:
        if not value:
            continue
        folded = lower(value)
        for match in _PYTHON_SPLIT.finditer(folded):
            start = match.start() == 0 or folded[match.start() - 1] == " "
            words[match.group()] = words.get(match.group(), False) or start
    return words


def company_words_json(*values) -> str:
    """SQLite's trigger function: company_words() as a JSON array of [word, starts]."""
    return json.dumps([[word, int(start)] for word, start in company_words(values).items()])


# Reviewed (bandit B608, here and below): DDL built from this module's constants only.
_COLUMNS = ", ".join(SEARCHED_COLUMNS)
_SQLITE_INSERT = (
    f"INSERT OR IGNORE INTO {WORDS_TABLE} (company_id, token, name, word_start) "  # nosec B608
    f"SELECT new.id, json_extract(value, '$[0]'), new.name, json_extract(value, '$[1]') "
    f"FROM json_each(company_words_json({', '.join('new.' + c for c in SEARCHED_COLUMNS)})) "
    f"WHERE coalesce(new.merged_into_id, 0) = 0; "
    f"INSERT OR IGNORE INTO {TOKENS_TABLE} (token) "
    f"SELECT token FROM {WORDS_TABLE} WHERE company_id = new.id;")
SQLITE_STATEMENTS = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {TOKENS_FTS} USING fts5(token, "
    f"content='{TOKENS_TABLE}', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS {TOKENS_TABLE}_ai AFTER INSERT ON {TOKENS_TABLE} "  # nosec B608
    f"BEGIN INSERT INTO {TOKENS_FTS}(rowid, token) VALUES (new.id, new.token); END",
    # Words are not removed, except by a whole-table cleanup (tests): the index follows.
    f"CREATE TRIGGER IF NOT EXISTS {TOKENS_TABLE}_ad AFTER DELETE ON {TOKENS_TABLE} "  # nosec B608
    f"BEGIN INSERT INTO {TOKENS_FTS}({TOKENS_FTS}, rowid, token) "
    f"VALUES ('delete', old.id, old.token); END",
    f"CREATE TRIGGER IF NOT EXISTS {WORDS_TABLE}_ai AFTER INSERT ON companies "
    f"BEGIN {_SQLITE_INSERT} END",
    f"CREATE TRIGGER IF NOT EXISTS {WORDS_TABLE}_ad AFTER DELETE ON companies "  # nosec B608
    f"BEGIN DELETE FROM {WORDS_TABLE} WHERE company_id = old.id; END",
    f"CREATE TRIGGER IF NOT EXISTS {WORDS_TABLE}_au AFTER UPDATE OF {_COLUMNS}, merged_into_id "
    f"ON companies BEGIN DELETE FROM {WORDS_TABLE} WHERE company_id = old.id; "  # nosec B608
    f"{_SQLITE_INSERT} END",
)
# The searched values cut at the separators: each match is (the character before, the word),
# the character before being a space for a word start (a space is put before each value).
_PG_WORDS = (
    "SELECT m[2] AS token, bool_or(m[1] = ' ') AS word_start FROM unnest(ARRAY["  # nosec B608
    + ", ".join(f"NEW.{c}" for c in SEARCHED_COLUMNS) + "]) AS v(value), "
    f"regexp_matches(' ' || translate(lower(v.value), '{_SQL_SEPARATORS}', "
    f"repeat(chr(1), {len(SEPARATORS) - 1})), '([ \\x01])([^ \\x01]+)', 'g') AS m "
    "WHERE v.value IS NOT NULL GROUP BY m[2]")
POSTGRESQL_STATEMENTS = (
    # A stream of one word's companies is planned before the word is known, for the average
    # word (a handful of rows): PostgreSQL then gathers every row of the word and sorts them.
    # Planned for a common word, it reads the index in order and stops at the page's end.
    f"ALTER TABLE {WORDS_TABLE} ALTER COLUMN token SET (n_distinct = 10)",
    f"CREATE OR REPLACE FUNCTION {WORDS_TABLE}_keep() RETURNS trigger "  # nosec B608
    f"LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP <> 'INSERT' THEN DELETE FROM {WORDS_TABLE} WHERE company_id = OLD.id; END IF; "
    f"IF TG_OP <> 'DELETE' AND NEW.merged_into_id IS NULL THEN "
    f"INSERT INTO {WORDS_TABLE} (company_id, token, name, word_start) "
    f"SELECT NEW.id, w.token, NEW.name, w.word_start FROM ({_PG_WORDS}) AS w; "
    f"INSERT INTO {TOKENS_TABLE} (token) SELECT token FROM {WORDS_TABLE} "
    f"WHERE company_id = NEW.id ON CONFLICT (token) DO NOTHING; "
    f"END IF; RETURN NULL; END $$",
    f"CREATE OR REPLACE TRIGGER {WORDS_TABLE}_aid AFTER INSERT OR DELETE ON companies "
    f"FOR EACH ROW EXECUTE FUNCTION {WORDS_TABLE}_keep()",
    f"CREATE OR REPLACE TRIGGER {WORDS_TABLE}_au AFTER UPDATE OF {_COLUMNS}, merged_into_id "
    f"ON companies FOR EACH ROW WHEN ("
    + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}"
                  for c in (*SEARCHED_COLUMNS, "merged_into_id"))
    + f") EXECUTE FUNCTION {WORDS_TABLE}_keep()",
)

for _statement in SQLITE_STATEMENTS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in POSTGRESQL_STATEMENTS:
    event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect="postgresql"))
