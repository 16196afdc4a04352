"""Company search: one meaning on both databases, served by an index on each.

A search is words separated by spaces; a company matches when every word is found, in any of
the searched columns (models.companies.SEARCHED_COLUMNS), case-insensitively. A word of three
characters or more matches anywhere in a value; a shorter one matches the start of a word
("07" finds "Picker 07"; "ab" anywhere would match half the table). `%`, `_` and `\\`
are plain characters.

PostgreSQL answers through the trigram GIN index over the searched values joined by spaces and
lowercased, a stored column (migration 0019), short words included (" um" is a word start);
SQLite through the FTS5 trigram table `companies_search` kept by triggers (migration 0012s,
models.search_index).

Two shapes of the same match:
- `search_clause`: every match, whatever the order the caller sorts by (exports, other sorts);
- `first_matches_clause`: the first N matches by (name, id), what a page sorted by name needs
  (the list's default order, the pickers, the merge search). A search of one word is answered
  from the word index (models/search_words.py) when the word falls in few stored words: each
  stored word's first N companies by name, merged. Otherwise a common word is found by reading
  a few rows down the name index; when that bounded probe comes back short, the matches are
  rare or sort late and come from the index instead, so no search walks the whole name index.
"""
import json

from sqlalchemy import (
    Boolean, ColumnElement, Integer, String, Text, and_, any_, case, column, false, func,
    Select, literal, literal_column, or_, select, table, true, union_all,
)
from flask import has_request_context, request
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by, array_agg

from ..extensions import db
from ..models import Company
from ..models.companies import SEARCHED_COLUMNS, live_condition
from ..models.search_index import FTS_TABLE
from ..models.search_words import SEPARATORS, TOKENS_FTS, TOKENS_TABLE, WORDS_TABLE

MIN_SUBSTRING = 3  # the trigram length: shorter words cannot use either index
MAX_WORDS = 8
MAX_WORD = 100
# The probe down the name index reads at most this many rows per row wanted: a word matching one
# row in ten fills its page there; a rarer or later one costs that much before the index answers.
PROBE_ROWS_PER_RESULT = 10
PROBE_MAX_RESULTS = 100  # deeper pages go straight to the index
FEW_MATCHES = 100  # up to this many matches, all are read from the index and sorted
# A searched word falling in more stored words than this (a letter, "12" among phone numbers)
# is answered as a search of several words is: merging that many streams costs more.
MAX_STORED_WORDS = 16
_NO_IDS = literal_column("'{}'::integer[]")
COMPANIES = Company.__table__
# The columns the search reads, as a lightweight table for the subqueries' aliases: the clause is
# built on every keystroke, and an alias of the mapped Table (or an aliased() entity) costs
# milliseconds to build. Only ever used aliased: as itself it would be a second `companies`.
_SEARCHED = table("companies", column("id", Integer), column("merged_into_id", Integer),
                  column("search_text", String),
                  *(column(name, String) for name in SEARCHED_COLUMNS))
_FTS = table(FTS_TABLE, column("rowid", Integer), column(FTS_TABLE, String))
_TOKENS_FTS = table(TOKENS_FTS, column("rowid", Integer), column(TOKENS_FTS, String))
# The word index's tables, as lightweight tables like _SEARCHED (only ever used aliased).
_WORDS = table(WORDS_TABLE, column("rowid", Integer), column("company_id", Integer),
               column("token", String), column("name", String), column("word_start", Boolean))
_TOKENS = table(TOKENS_TABLE, column("id", Integer), column("token", String))


def search_words(search: str | None) -> list[str]:
    """The words of a typed search, without NUL bytes, bounded in number and length."""
    words = (search or "").replace("\x00", "").split()
    return [word[:MAX_WORD] for word in words[:MAX_WORDS]]


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _columns(source=COMPANIES):
    return [source.c[name] for name in SEARCHED_COLUMNS]


def _prefix_match(word: str, source=COMPANIES) -> ColumnElement[bool]:
    """SQLite's test of a short word: a value with a word starting with `word` (at its start or
    after a space). Ten plain LIKEs for an ASCII word, which fold ASCII case in C and stop at the
    first match (measured at 100,000 companies); other words one test over the values joined by
    spaces."""
    escaped = _like_escape(word)
    columns = _columns(source)
    if word.isascii():
        return or_(*(column.like(pattern, escape="\\") for column in columns
                     for pattern in (escaped + "%", "% " + escaped + "%")))
    values = literal(" ")
    for column in columns:
        values = values + func.coalesce(column, "") + " "
    return func.instr(func.unicode_lower(values), " " + word.lower()) > 0


def _contains(word: str, source=COMPANIES) -> ColumnElement[bool]:
    """SQLite's test of a long word on a row. An ASCII word: LIKE, which folds ASCII case in C;
    another word: Unicode lower() in Python, as PostgreSQL's ILIKE folds it (the FTS table's
    own folding differs outside ASCII: "ß", "ς")."""
    if word.isascii():
        pattern = "%" + _like_escape(word) + "%"
        return or_(*(column.like(pattern, escape="\\") for column in _columns(source)))
    return or_(*(func.instr(func.unicode_lower(column), word.lower()) > 0
                 for column in _columns(source)))


def _sqlite_conditions(words: list[str], source=COMPANIES) -> ColumnElement[bool]:
    return and_(true(), *(_contains(word, source) if len(word) >= MIN_SUBSTRING
                          else _prefix_match(word, source) for word in words))


def _postgres_conditions(words: list[str], source) -> ColumnElement[bool]:
    """Every word in the row's searched values joined by spaces and lowercased
    (models.companies.SEARCH_TEXT_SQL), the column of the trigram index: one index lookup per
    word. A short word follows a space, which is a word start in any column. The pattern is
    lowercased by PostgreSQL's own lower(), as the column is: ILIKE's meaning, exactly."""
    return and_(*(source.c.search_text.like(
        func.lower(("%" if len(word) >= MIN_SUBSTRING else "% ") + _like_escape(word) + "%"),
        escape="\\") for word in words))


def _fts_phrase(word: str) -> str | None:
    """The FTS5 phrase that finds `word`, None when the index cannot serve it.

    The indexed values start with a space (models/search_index.py), so a short word's start is
    a trigram too: " um" is "um" at the start of a value or after a space. One letter is no
    trigram at all."""
    if len(word) < MIN_SUBSTRING:
        word = " " + word
        if len(word) < MIN_SUBSTRING:
            return None
    return '"' + word.replace('"', '""') + '"'


def _fts_query(words: list[str]) -> str | None:
    return " AND ".join(phrase for phrase in map(_fts_phrase, words) if phrase) or None


def _left_to_test(words: list[str]) -> list[str]:
    """The words the FTS table's answer does not settle: its phrase match is the exact test of an
    ASCII word (a substring, ASCII case folded; a short word's start after the leading space),
    so only the other words are tested on the rows, which skips reading a row per candidate."""
    return [word for word in words if not (word.isascii() and _fts_phrase(word))]


def _sqlite_match(words: list[str]) -> ColumnElement[bool]:
    """A company matching `words`: among the FTS table's candidates, the exact test."""
    query = _fts_query(words)
    if query is None:
        return _sqlite_conditions(words)
    candidates = select(_FTS.c.rowid).where(_FTS.c[FTS_TABLE].match(query))
    return and_(Company.id.in_(candidates), _sqlite_conditions(_left_to_test(words)))


def _sqlite_first_of_every_match(words: list[str], first: int, exclude_id: int | None):
    """The ids of the first `first` live matches by (name, id), from every match: the FTS
    table's candidates joined to their rows. Written as a join that the FTS cursor drives,
    SQLite skips it whole when a constant condition added by the caller is false (with
    `id IN (candidates)` it would gather the candidates first)."""
    query = _fts_query(words)
    if query is None:
        found = select(COMPANIES.c.id).where(_sqlite_conditions(words))
    else:
        found = (select(COMPANIES.c.id)
                 .select_from(_FTS.join(COMPANIES, COMPANIES.c.id == _FTS.c.rowid))
                 .where(_FTS.c[FTS_TABLE].match(query), _sqlite_conditions(_left_to_test(words))))
    return (found.where(_live(COMPANIES, exclude_id))
            .order_by(COMPANIES.c.name, COMPANIES.c.id).limit(first))


def _live(source, exclude_id: int | None) -> ColumnElement[bool]:
    conditions = [live_condition(source.c.merged_into_id, db.engine.dialect.name)]
    if exclude_id is not None:
        conditions.append(source.c.id != exclude_id)
    return and_(*conditions)


def _postgres_all_ids(words: list[str]):
    # The trigram match runs first, once, as an InitPlan gathering the ids into an array; the
    # outer query then fetches those rows by primary key and sorts them. Written as
    # IN (subquery) PostgreSQL could walk the name index filtering every row instead.
    hit = _SEARCHED.alias("search_hit")
    return (select(func.array_agg(hit.c.id)).where(_postgres_conditions(words, hit))
            .scalar_subquery())


def _indexed_word(words: list[str], first: int) -> str | None:
    """The word the word index answers for, lowercased; None when it cannot: several words,
    a word holding a separator (its matches may span two stored words), a word outside ASCII
    (each database folds its case its own way), a page deeper than the probe's."""
    if len(words) != 1 or first > PROBE_MAX_RESULTS:
        return None
    word = words[0]
    if not word.isascii() or any(character in SEPARATORS for character in word):
        return None
    return word.lower()


def _stored_words(word: str) -> list[str] | None:
    """The stored words holding `word` (a short one: starting with it); None when there are
    more than MAX_STORED_WORDS. One small read, which spares building the other reads."""
    short = len(word) < MIN_SUBSTRING
    tokens = _TOKENS.alias("search_token")
    if db.engine.dialect.name == "postgresql":
        pattern = ("" if short else "%") + _like_escape(word) + "%"
        found = select(tokens.c.token).where(tokens.c.token.like(pattern, escape="\\"))
    elif short:  # the unique index's range: SQLite compares text byte by byte
        found = select(tokens.c.token).where(tokens.c.token >= word,
                                             tokens.c.token < word[:-1] + chr(ord(word[-1]) + 1))
    else:  # FTS5 folds case beyond ASCII: LIKE (ASCII folding, as the search's) has the last word
        found = (select(tokens.c.token)
                 .select_from(_TOKENS_FTS.join(tokens, tokens.c.id == _TOKENS_FTS.c.rowid))
                 .where(_TOKENS_FTS.c[TOKENS_FTS].match(_fts_phrase(word)),
                        tokens.c.token.like("%" + _like_escape(word) + "%", escape="\\")))
    stored = list(db.session.scalars(found.limit(MAX_STORED_WORDS + 1)))
    return stored if len(stored) <= MAX_STORED_WORDS else None


def _stored_words_once(word: str) -> list[str] | None:
    """_stored_words(), read once per request: the page and its count ask alike. Kept on the
    request, not on `g`, which outlives it wherever an app context is shared (tests)."""
    if not has_request_context():
        return _stored_words(word)
    memo = request.__dict__.setdefault("search_stored_words", {})
    if word not in memo:
        memo[word] = _stored_words(word)
    return memo[word]


def _word_entries(words, token, short: bool) -> Select:
    """A select of the word index's entries for the stored word `token` (a short search word:
    those starting a word), to be given its columns. SQLite, planning from statistics, could
    read the other index and filter (or, for a short word, the full one): the index is told."""
    conditions = [words.c.token == token]
    if short:  # ix_company_words_start's condition, as each database's index spells it
        conditions.append(words.c.word_start if db.engine.dialect.name == "postgresql"
                          else words.c.word_start == literal_column("1"))
    index = "ix_company_words_start" if short else "ix_company_words_token_name"
    return select().where(*conditions).with_hint(words, f"INDEXED BY {index}",
                                                 dialect_name="sqlite")


def _word_stream(words, token, short: bool, first: int, exclude_id: int | None, *read):
    """`read` of the first `first` companies holding the stored word `token`, by (name, id)."""
    query = _word_entries(words, token, short).add_columns(*read)
    if exclude_id is not None:
        query = query.where(words.c.company_id != exclude_id)
    return query.order_by(words.c.name, words.c.company_id).limit(first)


def _word_clause(stored: list[str], short: bool, first: int,
                 exclude_id: int | None) -> ColumnElement[bool]:
    """Companies among the first `first` holding one of the `stored` words, by (name, id): each
    stored word's first `first` from the index in order, merged and cut."""
    if not stored:
        return false()
    words = _WORDS.alias("search_word")
    if db.engine.dialect.name == "postgresql":
        # Even for one stored word: PostgreSQL plans a stream for a word it does not know as
        # for a common one (models/search_words.py), in index order; for a known word, a few
        # hundred rows make it gather them all and sort, as it would the thousands later.
        hit = (func.unnest(literal(stored, ARRAY(Text))).table_valued("token")
               .render_derived(name="search_hit"))
        stream = _word_stream(words, hit.c.token, short, first, exclude_id,
                              words.c.company_id, words.c.name).lateral("search_stream")
        found = select(stream.c.company_id, stream.c.name).select_from(hit.join(stream, true()))
    elif len(stored) == 1:
        found = _word_stream(words, stored[0], short, first, exclude_id, words.c.company_id)
        return Company.id.in_(found)
    else:  # no LATERAL: each stored word's rows are a correlated list of rowids
        hit = func.json_each(json.dumps(stored)).table_valued("value").alias("search_hit")
        inner = _WORDS.alias("search_stream")
        stream = _word_stream(inner, hit.c.value, short, first, exclude_id, inner.c.rowid)
        found = (select(words.c.company_id, words.c.name).select_from(hit.join(words, true()))
                 .where(words.c.rowid.in_(stream)))
    found = found.distinct().subquery("search_found")
    return Company.id.in_(select(found.c.company_id)
                          .order_by(found.c.name, found.c.company_id).limit(first))


def _postgres_first_ids(words: list[str], first: int, exclude_id: int | None):
    """The ids of the first `first` live matches by (name, id), as an array, in three tries.

    1. The first FEW_MATCHES + 1 matches from the trigram index: fewer means they are all the
       matches (a precise or absent word), sorted and cut.
    2. The probe: the first rows of the name index, keeping the matches; an answer when it found
       `first` of them, which are then the first overall (a common word sorting early).
    3. Every match from the trigram index, sorted and cut (a word that sorts late).
    COALESCE stops at the first answer and PostgreSQL runs an InitPlan only when its value is
    read; the matches are a MATERIALIZED CTE read lazily, so 3 continues where 1 stopped."""
    hit = _SEARCHED.alias("search_hit")
    hits = (select(hit.c.id, hit.c.name).where(_live(hit, exclude_id), _postgres_conditions(words, hit))
            .cte("search_hits").prefix_with("MATERIALIZED"))
    few = select(hits.c.id, hits.c.name).limit(FEW_MATCHES + 1).subquery("search_few")
    every_few = select(case((func.count() <= FEW_MATCHES,
                             func.coalesce(_first_by_name(few, first), _NO_IDS)))).scalar_subquery()
    gather = select(_first_by_name(hits, first)).scalar_subquery()
    if first > PROBE_MAX_RESULTS:
        return func.coalesce(every_few, gather)
    found = _probe(words, first, exclude_id, _postgres_conditions).subquery("search_probe")
    probe = select(case((func.count() >= first, func.array_agg(found.c.id)))).scalar_subquery()
    return func.coalesce(every_few, probe, gather)


def _probe(words: list[str], first: int, exclude_id: int | None, conditions):
    """The first `first` matches among the first rows of the name index, by (name, id)."""
    seen = _SEARCHED.alias("search_seen")
    read = ([seen.c.name, seen.c.search_text] if db.engine.dialect.name == "postgresql"
            else _columns(seen))  # the name comes first in either
    window = (select(seen.c.id, *read)
              .where(_live(seen, exclude_id)).order_by(seen.c.name, seen.c.id)
              .limit(first * PROBE_ROWS_PER_RESULT).subquery("search_window"))
    return (select(window.c.id).where(conditions(words, window))
            .order_by(window.c.name, window.c.id).limit(first))


def _sqlite_first_ids(words: list[str], first: int, exclude_id: int | None):
    """The ids of the first `first` matches by (name, id), as a subquery: the probe's when it
    found `first` of them, else the first of every match. SQLite evaluates the constant guards
    once, before reading any row of either side."""
    if first > PROBE_MAX_RESULTS:
        return _sqlite_first_of_every_match(words, first, exclude_id)
    probe = (_probe(words, first, exclude_id, _sqlite_conditions)
             .cte("search_probe").prefix_with("MATERIALIZED"))
    full = select(func.count()).select_from(probe).scalar_subquery() >= first
    every = _sqlite_first_of_every_match(words, first, exclude_id).where(~full).subquery()
    return union_all(select(probe.c.id).where(full), select(every.c.id))


def _first_by_name(rows, first: int):
    return array_agg(aggregate_order_by(rows.c.id, rows.c.name, rows.c.id))[1:first]


def search_clause(search: str | None) -> ColumnElement[bool]:
    """A WHERE clause on Company: the companies matching `search` (all when it is empty)."""
    words = search_words(search)
    if not words:
        return true()
    if db.engine.dialect.name == "postgresql":
        # COALESCE makes it an array expression: `= ANY (SELECT ...)` would compare each row.
        return Company.id == any_(func.coalesce(_postgres_all_ids(words), _NO_IDS))
    return _sqlite_match(words)


def count_clause(search: str | None) -> ColumnElement[bool]:
    """The same match for a count that stops at a cap: the conditions on the row itself, which
    PostgreSQL reads through the trigram index when the count is planned for every row
    (admin/counting.py), and SQLite row by row from the FTS table's candidates, stopping there."""
    words = search_words(search)
    if not words:
        return true()
    if db.engine.dialect.name == "postgresql":
        return _postgres_conditions(words, COMPANIES)
    return _sqlite_match(words)


def count_rows(search: str | None) -> Select | None:
    """Rows standing one for one for the live companies matching `search`, for a count that
    stops at a cap: a word held by one stored word has one entry per company in the word
    index, read in order up to the cap, where the companies' own read gathers every match
    first. None for any other search (admin/counting.py then counts the companies)."""
    word = _indexed_word(search_words(search), 1)
    stored = None if word is None else _stored_words_once(word)
    if stored is None or len(stored) > 1:
        return None  # several stored words: a company may hold more than one
    if not stored:
        return select(literal_column("1")).where(false())
    words = _WORDS.alias("search_count")
    return _word_entries(words, stored[0], len(word) < MIN_SUBSTRING).add_columns(
        literal_column("1"))


def first_matches_clause(search: str | None, first: int, *,
                         exclude_id: int | None = None) -> ColumnElement[bool]:
    """Live companies among the first `first` matching `search` by (name, id), `exclude_id` left
    out: the WHERE clause of a page sorted by name then id that ends within those rows."""
    words = search_words(search)
    if not words:
        return _live(COMPANIES, exclude_id)
    word = _indexed_word(words, max(first, 1))
    stored = None if word is None else _stored_words_once(word)
    if stored is not None:
        return _word_clause(stored, len(word) < MIN_SUBSTRING, max(first, 1), exclude_id)
    if db.engine.dialect.name == "postgresql":
        return Company.id == any_(_postgres_first_ids(words, max(first, 1), exclude_id))
    return and_(_live(COMPANIES, exclude_id),
                Company.id.in_(_sqlite_first_ids(words, max(first, 1), exclude_id)))


def search_companies(search: str | None, *, exclude_id: int | None = None, offset: int = 0,
                     limit: int = 20, extra: ColumnElement[bool] | None = None) -> list[Company]:
    """Live companies matching `search`, by name then id, one page (pickers, merge search)."""
    offset, limit = max(offset, 0), max(limit, 1)
    if extra is None:
        query = select(Company).where(first_matches_clause(search, offset + limit,
                                                           exclude_id=exclude_id))
    else:  # a condition the probe does not know: the whole match, then the condition
        query = select(Company).where(_live(COMPANIES, exclude_id), search_clause(search), extra)
    return list(db.session.scalars(
        query.order_by(Company.name, Company.id).offset(offset).limit(limit)))
