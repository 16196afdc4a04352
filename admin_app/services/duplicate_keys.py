"""Each live company's blocking keys in the database, so that one company's blocks are read by
index (models/duplicate_keys.py).

The stored keys are right for every company not listed in `duplicate_key_changes`. Whoever
brings them up to date (a re-score, a full scan) notes the latest change first, reads the
companies, rewrites the keys of the listed ones and deletes the changes up to that note: a
company changed meanwhile stays listed for the next one. The callers hold the duplicates lock
(duplicate_cache.scan_lock), so two of them never rewrite the same keys at once.
"""
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import islice

from sqlalchemy import TextClause, delete, func, insert, select, text
from sqlalchemy.orm import Session

from ..models import Company, DuplicateKey, DuplicateKeyChange, DuplicateKeySource
from .duplicates import BLOCK_LIMIT, Row, block_keys

ROW_COLUMNS = (Company.id, Company.name, Company.name_key, Company.legal_id_key,
               Company.email_domain, Company.phone_key)
SOURCE_COLUMNS = (DuplicateKeySource.company_id, DuplicateKeySource.name_key,
                  DuplicateKeySource.legal_id_key, DuplicateKeySource.email_domain,
                  DuplicateKeySource.phone_key)
CHUNK = 500
WRITE_BATCH = 10_000
BLOCKS_PER_STATEMENT = 100
# Past this share of the companies changed, the keys are rewritten whole (one DELETE).
REBUILD_SHARE = 0.5


def latest_change(session: Session) -> int:
    """The mark to read before the companies: changes up to it are what those rows show."""
    return session.scalar(select(func.coalesce(func.max(DuplicateKeyChange.seq), 0)))


def changed_companies(session: Session, mark: int, limit: int | None = None) -> list[int]:
    """Ids of the companies changed up to `mark` (at most `limit` of them)."""
    query = (select(DuplicateKeyChange.company_id).where(DuplicateKeyChange.seq <= mark)
             .order_by(DuplicateKeyChange.seq).limit(limit))
    return list(session.scalars(query))


def forget_changes(session: Session, mark: int) -> None:
    session.execute(delete(DuplicateKeyChange).where(DuplicateKeyChange.seq <= mark))


def live_rows_of(session: Session, ids: Iterable[int]) -> dict[int, Row]:
    """The live companies among `ids`, by id."""
    ids, rows = list(ids), {}
    for start in range(0, len(ids), CHUNK):
        query = select(*ROW_COLUMNS).where(Company.id.in_(ids[start:start + CHUNK]),
                                           Company.merged_into_id.is_(None))
        rows.update((r[0], Row(*r)) for r in session.execute(query))
    return rows


def stored_keys(session: Session, ids: Iterable[int]) -> dict[int, set[str]]:
    """The keys stored for `ids` (as they were when last brought up to date)."""
    ids = list(ids)
    keys: dict[int, set[str]] = {i: set() for i in ids}
    for start in range(0, len(ids), CHUNK):
        query = select(*SOURCE_COLUMNS).where(
            DuplicateKeySource.company_id.in_(ids[start:start + CHUNK]))
        for company_id, *columns in session.execute(query):
            keys[company_id] = block_keys(Row(company_id, "", *columns))
    return keys


def store_keys(session: Session, ids: list[int],
               rows: dict[int, Row]) -> tuple[dict[int, set[str]], dict[int, set[str]]]:
    """Replace the stored keys of `ids` by those of `rows` (the live ones among them: the others
    keep none); their keys before and after."""
    old = stored_keys(session, ids)
    new = {i: block_keys(rows[i]) for i in ids if i in rows}
    for company_id, keys in old.items():
        if gone := keys - new.get(company_id, set()):
            session.execute(delete(DuplicateKey).where(DuplicateKey.company_id == company_id,
                                                       DuplicateKey.key.in_(gone)))
    added = [{"key": k, "company_id": i} for i, keys in new.items() for k in keys - old[i]]
    for start in range(0, len(added), WRITE_BATCH):
        session.execute(insert(DuplicateKey), added[start:start + WRITE_BATCH])
    for start in range(0, len(ids), CHUNK):
        session.execute(delete(DuplicateKeySource).where(
            DuplicateKeySource.company_id.in_(ids[start:start + CHUNK])))
    sources = [_source(rows[i]) for i in ids if i in rows]
    for start in range(0, len(sources), WRITE_BATCH):
        session.execute(insert(DuplicateKeySource), sources[start:start + WRITE_BATCH])
    return old, new


def _source(row: Row) -> dict:
    return {"company_id": row.id, "name_key": row.name_key, "legal_id_key": row.legal_id_key,
            "email_domain": row.email_domain, "phone_key": row.phone_key}


def apply_changes(session: Session, mark: int, rows: list[Row],
                  blocks: dict[str, list[int]]) -> None:
    """After a full scan of `rows` (read after `mark`; `blocks`: their block_index): store the
    keys of the companies changed up to `mark`, and forget those changes. The caller commits."""
    changed = changed_companies(session, mark)
    if not changed:
        return
    if len(changed) > REBUILD_SHARE * len(rows):
        # A migrated database or a big import: rewriting everything beats thousands of diffs,
        # and the scan's own index holds every key already, in the order the table sorts them.
        session.execute(delete(DuplicateKey))
        session.execute(delete(DuplicateKeySource))
        _insert_all(session, "duplicate_keys", ("key", "company_id"),
                    ((key, rows[i].id) for key in sorted(blocks) for i in blocks[key]))
        _insert_all(session, "duplicate_key_sources", tuple(_source(rows[0])) if rows else (),
                    (tuple(_source(row).values()) for row in rows))
    else:
        wanted = set(changed)
        store_keys(session, changed, {row.id: row for row in rows if row.id in wanted})
    forget_changes(session, mark)


def _insert_all(session: Session, table: str, columns: tuple[str, ...],
                records: Iterator[tuple]) -> None:
    """Insert rows by the million: COPY on PostgreSQL, plain driver batches on SQLite
    (SQLAlchemy's parameter handling alone took longer than the inserts)."""
    if not columns:
        return
    connection = session.connection()
    names = ", ".join(f'"{column}"' for column in columns)
    if connection.dialect.name == "postgresql":
        cursor = connection.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for record in records:
                copy.write_row(record)
        return
    # Reviewed (bandit B608): the table and columns are this module's constants.
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # nosec B608
    while batch := list(islice(records, WRITE_BATCH)):
        connection.exec_driver_sql(statement, batch)


def block_members(session: Session, keys: Iterable[str], extra: int = 0) -> dict[str, list[int]]:
    """The companies in each block, read by index: at most BLOCK_LIMIT + 1 + `extra` per key, so
    a block too big to compare costs no more to look at than a small one."""
    keys = sorted(set(keys))
    members: dict[str, list[int]] = {k: [] for k in keys}
    for start in range(0, len(keys), BLOCKS_PER_STATEMENT):
        chunk = keys[start:start + BLOCKS_PER_STATEMENT]
        params = {}
        for n, key in enumerate(chunk):
            params[f"k{n}"], params[f"n{n}"] = key, BLOCK_LIMIT[key[0]] + 1 + extra
        for key, company_id in session.execute(_blocks_statement(len(chunk)), params):
            members[key].append(company_id)
    return members


@lru_cache(maxsize=64)
def _blocks_statement(count: int) -> TextClause:
    # One statement for every block; a LIMIT per block needs each in a subquery on SQLite.
    return text(" UNION ALL ".join(
        # Reviewed (bandit B608): this module's text and numbers only; the keys are bound.
        f'SELECT * FROM (SELECT "key", company_id FROM duplicate_keys '  # nosec B608
        f'WHERE "key" = :k{n} LIMIT :n{n}) AS b{n}' for n in range(count)))
