"""The possible-duplicates scan, cached in Redis and keyed on a cheap version of the data it reads.

The full scan reads every live company (seconds at 100,000), so its result (every pair, whatever
the score) is kept in Redis. An entry is valid only while the data version matches the one it
was stored under, and a generation that every commit touching the watched tables bumps. The
version reads no company: it is the companies' changes not re-scored yet (which database
triggers list, whoever writes: models/duplicate_keys.py), and the counts and latest ids of
ignored pairs and merges. Paging and the minimum-score filter reuse the cached pairs; only the
shown page of pairs and groups become objects, and a process decodes an entry once, not on every
load, so a cached load costs the same at 10,000 companies as at a million.
"""
import hashlib
import json
import logging
import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime

import redis
from flask import has_app_context
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import event, func, inspect, select
from sqlalchemy.orm import Session

from ..collector import gc_paused
from ..extensions import db
from ..models import Company, DuplicateIgnore, Merge
from ..models.base import utcnow
from ..models.duplicate_keys import DuplicateKeyChange
from .duplicate_keys import apply_changes, latest_change
from .duplicates import Pair, Row, ScanResult, block_index, linked_groups, live_rows, scan
from .redis_store import app_key, redis_client

log = logging.getLogger(__name__)

# Old entries are useless once the data moved on; the TTL only bounds what an idle app keeps.
CACHE_TTL_SECONDS = 7 * 24 * 3600
FORMAT = 1
# The page's minimum-score choices: their groups are computed once, when the scan is stored.
SCORE_CHOICES = (95, 90, 80, 75, 0)
WATCHED = (Company, DuplicateIgnore, Merge)
_STALE_FLAG = "duplicate_scan_stale"
_CHANGED_COMPANIES = "duplicate_scan_companies"
# Past this many companies changed since the scan, it is redone whole instead.
INCREMENTAL_LIMIT = 200
# A full scan holds the lock while it runs (a minute at a million companies).
SCAN_LOCK_SECONDS = 1800


@dataclass
class DuplicatesPage:
    """What the page shows: one page of pairs and the biggest groups, at a minimum score."""
    pairs: list[Pair]
    pair_count: int
    groups: list[list[Row]]
    group_count: int
    companies: int
    skipped_keys: int
    page: int
    pages: int


@dataclass
class CachedScan:
    """A scan as stored: plain lists, turned into Rows and Pairs only for what is shown."""
    entry: dict
    from_cache: bool
    cache_available: bool = True
    stale: bool = False  # shown while a full scan replaces it
    # What is derived from the entry (rows by id, pairs at each minimum score): kept with a
    # decoded entry that page loads share (_read_shared), so it is derived once, not per load.
    derived: dict = field(default_factory=dict)

    @property
    def _rows(self) -> dict:
        if "rows" not in self.derived:
            self.derived["rows"] = {r[0]: r for r in self.entry["rows"]}
        return self.derived["rows"]

    def _at_least(self, min_score: int) -> list:
        key = ("pairs", min_score)
        if key not in self.derived:
            self.derived[key] = [p for p in self.entry["pairs"] if p[2] >= min_score]
        return self.derived[key]

    @property
    def computed_at(self) -> datetime:  # naive UTC
        return datetime.fromisoformat(self.entry["computed_at"])

    @property
    def patched_at(self) -> datetime | None:
        """When edits were last re-scored into this scan (naive UTC), if ever."""
        value = self.entry.get("patched_at")
        return datetime.fromisoformat(value) if value else None

    @property
    def seconds(self) -> float:
        return self.entry["seconds"]

    @property
    def companies(self) -> int:
        return self.entry["companies"]

    def _pairs(self, raw: list) -> list[Pair]:
        rows = {}
        for low, high, _score, _reasons in raw:
            for i in (low, high):
                if i not in rows:
                    rows[i] = Row(*self._rows[i])
        return [Pair(rows[low], rows[high], score, [tuple(r) for r in reasons])
                for low, high, score, reasons in raw]

    def _groups(self, min_score: int, raw: list) -> list[list[int]]:
        known = self.entry["groups"].get(str(min_score))
        return known if known is not None else _linked(raw, self._rows)

    def result(self, min_score: int = 0) -> ScanResult:
        """Everything at `min_score`, as scan(min_score) returns it."""
        raw = self._at_least(min_score)
        groups = [[Row(*self._rows[i]) for i in g] for g in self._groups(min_score, raw)]
        return ScanResult(self._pairs(raw), self.companies, self.entry["skipped_keys"], groups)

    def page(self, min_score: int, page: int, page_size: int, group_limit: int) -> DuplicatesPage:
        """One page of pairs and the first groups; only those become objects."""
        raw = self._at_least(min_score)
        pages = max(1, -(-len(raw) // page_size))
        page = min(pages, max(1, page))
        groups = self._groups(min_score, raw)
        return DuplicatesPage(
            self._pairs(raw[(page - 1) * page_size: page * page_size]), len(raw),
            [[Row(*self._rows[i]) for i in g] for g in groups[:group_limit]], len(groups),
            self.companies, self.entry["skipped_keys"], page, pages)


def data_version(session=None) -> list[str]:
    """What the cached scan must agree with, in one statement that reads no company row.

    The companies' changes not re-scored yet: their count and the sum of their sequence numbers
    (a change to a company already listed replaces its number by a larger one, so the sum moves
    even when the count does not). Then the ignored pairs and the merges, small tables.
    An entry is stored under its version once its changes are re-scored (`settled`)."""
    pending = DuplicateKeyChange.__table__
    parts = [
        select(func.count()).select_from(pending),
        select(func.coalesce(func.sum(pending.c.seq), 0)),
        select(func.count()).select_from(DuplicateIgnore),
        select(func.max(DuplicateIgnore.id)),
        select(func.count()).select_from(Merge),
        select(func.max(Merge.id)),
        select(func.max(Merge.undone_at)),
    ]
    row = (session or db.session).execute(select(*(p.scalar_subquery() for p in parts))).one()
    return [str(v) for v in row]


def settled(version: list[str] | None) -> list[str] | None:
    """`version` once the company changes it counts are re-scored (a scan or a re-score forgets
    the changes it covered): no change pending. A change the scan did not cover stays listed,
    and the next load sees a version other than this one."""
    return None if version is None else ["0", "0", *version[2:]]


def live_companies(session) -> int:
    """How many live companies the scan covers (read by a scan or a re-score, not a page)."""
    return session.scalar(select(func.count()).select_from(Company)
                          .where(Company.merged_into_id.is_(None)))


# Indexes into data_version(): the ignored-pairs part, for patching an entry after an ignore.
IGNORE_COUNT, IGNORE_MAX_ID = 2, 3


def _scan_key() -> str:
    return app_key("duplicates", "scan")


def _digest_key() -> str:
    return app_key("duplicates", "digest")


def _generation_key() -> str:
    return app_key("duplicates", "generation")


def _linked(raw_pairs: list, rows: dict) -> list[list[int]]:
    return linked_groups([(p[0], p[1]) for p in raw_pairs], lambda i: rows[i][2])


def _with_groups(entry: dict) -> dict:
    rows = {r[0]: r for r in entry["rows"]}
    entry["groups"] = {str(s): _linked([p for p in entry["pairs"] if p[2] >= s], rows)
                       for s in SCORE_CHOICES}
    return entry


def _encode(entry: dict) -> bytes:
    return zlib.compress(json.dumps(entry, separators=(",", ":")).encode(), 1)


def _decode(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    # Decoding makes ~100,000 small lists at 100,000 companies: the cyclic garbage collector would
    # run many times over them for nothing (7x the decoding time), so it waits until done.
    try:
        with gc_paused():
            entry = json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError):
        return None  # written by something else: treat as a miss and overwrite it
    return entry if isinstance(entry, dict) and entry.get("format") == FORMAT else None


def _entry(result: ScanResult, version: list[str], generation: int, computed_at: datetime,
           seconds: float) -> dict:
    rows = {}
    for pair in result.pairs:
        rows[pair.low.id], rows[pair.high.id] = pair.low, pair.high
    entry = {
        "format": FORMAT, "version": version, "generation": generation,
        "computed_at": computed_at.isoformat(), "seconds": round(seconds, 3),
        "companies": result.companies, "skipped_keys": result.skipped_keys,
        "rows": [[r.id, r.name, r.name_key, r.legal_id_key, r.email_domain, r.phone_key]
                 for r in rows.values()],
        "pairs": [[p.low.id, p.high.id, p.score, p.reasons] for p in result.pairs],
    }
    return _with_groups(entry)


def current_generation(client: redis.Redis) -> int:
    """The generation alone, for who does not need the entry."""
    return int(client.get(_generation_key()) or 0)


def _read(client: redis.Redis) -> tuple[int, dict | None]:
    """The generation and a decoded entry of its own, for a writer that changes it."""
    pipe = client.pipeline(transaction=False)
    pipe.get(_generation_key())
    pipe.get(_scan_key())
    generation, raw = pipe.execute()
    return int(generation or 0), _decode(raw)


def _digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


# The entry this process decoded last, with what was derived from it: (digest, entry, derived).
# Fetching and decoding are what grow with the companies (megabytes, a second at a million): a
# page load reads the stored entry's digest, 16 bytes, and fetches the entry only when it is not
# the one held. Page loads only read it: writers use _read().
_shared: tuple[bytes, dict, dict] | None = None


def _store(client: redis.Redis, entry: dict) -> dict:
    """Write `entry` and its digest to Redis; this process's next page load then uses it without
    fetching or decoding it (inline re-scores run in the process whose page follows the edit).
    Returns the derived values that loads of it will share."""
    global _shared
    raw = _encode(entry)
    digest = _digest(raw)
    pipe = client.pipeline(transaction=True)  # the entry and its digest change together
    pipe.set(_scan_key(), raw, ex=CACHE_TTL_SECONDS)
    pipe.set(_digest_key(), digest, ex=CACHE_TTL_SECONDS)
    pipe.execute()
    _shared = (digest, entry, {})
    return _shared[2]


def _read_shared(client: redis.Redis) -> tuple[int, dict | None, dict]:
    """The generation, the entry and its derived values, shared by this process's page loads
    while the stored digest stays the same. The entry must not be changed."""
    global _shared
    pipe = client.pipeline(transaction=False)
    pipe.get(_generation_key())
    pipe.get(_digest_key())
    generation, digest = pipe.execute()
    generation = int(generation or 0)
    held = _shared
    if digest is not None and held is not None and held[0] == digest:
        return generation, held[1], held[2]
    raw = client.get(_scan_key())
    entry = _decode(raw)
    if entry is None:
        return generation, None, {}
    # Held under the digest of the bytes decoded, whatever the digest key said a moment ago.
    _shared = (_digest(raw), entry, {})
    return generation, entry, _shared[2]


def cached_scan(force: bool = False) -> CachedScan:
    """Every possible duplicate pair, from Redis when the data has not changed since the scan.

    `force` rescans and stores whatever is cached. A Redis outage means a live scan, never an error.
    """
    client = redis_client()
    try:
        generation, entry, derived = _read_shared(client)
    except redis.RedisError as exc:
        log.warning("duplicates scan cache unavailable, scanning live: %s", exc)
        return _scan_now(None, None, None)
    # The version is read before scanning: a write landing during the scan leaves the stored
    # entry under the older version, so the next load rescans instead of trusting it.
    version = data_version()
    if (not force and entry is not None and entry["version"] == version
            and entry["generation"] == generation):
        return CachedScan(entry, from_cache=True, derived=derived)
    return _scan_now(client, version, generation)


def fresh_cached_scan() -> CachedScan | None:
    """The cached scan if it is still valid for the data, else None; never scans."""
    try:
        generation, entry, derived = _read_shared(redis_client())
    except redis.RedisError as exc:
        log.warning("duplicates scan cache unavailable: %s", exc)
        return None
    if entry is None or entry["generation"] != generation or entry["version"] != data_version():
        return None
    return CachedScan(entry, from_cache=True, derived=derived)


def scan_lock(client: redis.Redis, seconds: int, wait: float | None = None):
    """The lock every writer of the cached scan and of the stored keys holds, for `seconds` at
    most, waiting for it `wait` seconds (as long as it may be held, by default)."""
    return client.lock(app_key("duplicates", "lock"), timeout=seconds,
                       blocking_timeout=seconds if wait is None else wait)


def _scan_now(client: redis.Redis | None, version: list[str] | None,
              generation: int | None, progress=None) -> CachedScan:
    lock = None
    if client is not None:
        lock = scan_lock(client, SCAN_LOCK_SECONDS)
        try:
            if not lock.acquire():
                raise redis.exceptions.LockError("another scan holds the lock")
        except redis.RedisError as exc:
            log.warning("duplicates scan not cached: %s", exc)
            client, lock = None, None
    try:
        return _scan_and_store(client, version, generation, progress)
    finally:
        if lock is not None:
            try:
                lock.release()
            except redis.RedisError:
                pass  # expired: the next holder waited its turn anyway


@gc_paused()
def _scan_and_store(client: redis.Redis | None, version: list[str] | None,
                    generation: int | None, progress=None) -> CachedScan:
    """Scan; with `client` (its lock held), store the scan and the keys of companies changed.

    With the cyclic garbage collector paused: a row, its keys and its blocks per company are
    kept until the scan is stored, and each full collection walked them all again (a third of
    the scan at 100,000 companies: 1.1 of 3.2 s). They hold no reference cycle."""
    computed_at, started = utcnow(), time.perf_counter()
    with Session(db.engine) as session:
        mark = latest_change(session)
        rows = live_rows(session)
        blocks = block_index(rows)
        result = scan(progress=progress, rows=rows, blocks=blocks)
        entry = _entry(result, settled(version), generation, computed_at,
                       time.perf_counter() - started)
        stored = CachedScan(entry, from_cache=False, cache_available=client is not None)
        if client is None:
            return stored
        # The scan and the stored keys describe the same rows: both are kept, or neither.
        apply_changes(session, mark, rows, blocks)
        try:
            # The page that asked for the scan derives what it shows once, for later loads too.
            stored.derived = _store(client, entry)
        except redis.RedisError as exc:
            log.warning("duplicates scan not cached, Redis unavailable: %s", exc)
            stored.cache_available = False
            return stored
        try:
            session.commit()
        except Exception:
            invalidate()
            raise
    return stored


def forget_ignored_pair(low_id: int, high_id: int) -> None:
    """After an ignore is committed, drop the pair from the cached scan instead of rescanning.

    Only when the ignore is the one change since the scan (one more ignored pair, one
    generation bump, all else equal); otherwise the entry stays stale and the next load rescans.
    """
    try:
        client = redis_client()
        generation, entry = _read(client)
        if entry is None:
            return
        version, before = data_version(), entry["version"]
        if version == before and generation == entry["generation"]:
            return  # nothing changed: the pair was already ignored
        unchanged = [i for i in range(len(version)) if i not in (IGNORE_COUNT, IGNORE_MAX_ID)]
        only_this_ignore = (
            all(version[i] == before[i] for i in unchanged)
            and int(version[IGNORE_COUNT]) == int(before[IGNORE_COUNT]) + 1
            and generation == entry["generation"] + 1)
        if not only_this_ignore:
            return
        entry["pairs"] = [p for p in entry["pairs"] if (p[0], p[1]) != (low_id, high_id)]
        entry["version"], entry["generation"] = version, generation
        _store(client, _with_groups(entry))
    except redis.RedisError as exc:
        log.warning("duplicates scan cache not updated after an ignore: %s", exc)


def invalidate() -> None:
    """Make the next load rescan (bumps the generation)."""
    try:
        redis_client().incr(_generation_key())
    except redis.RedisError as exc:
        # The data version in the database still changes with the write: the cache stays correct
        # unless that write also committed late with an older timestamp.
        log.warning("duplicates scan cache not invalidated, Redis unavailable: %s", exc)


def duration_text(seconds: float) -> str:
    """'40 ms' or '6.1 s'."""
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.1f} s"


def age_text(computed_at: datetime, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    seconds = max(0, int(((now or utcnow()) - computed_at).total_seconds()))
    if seconds >= 86400:
        return ngettext("%(num)d day ago", "%(num)d days ago", seconds // 86400)
    if seconds >= 3600:
        return ngettext("%(num)d hour ago", "%(num)d hours ago", seconds // 3600)
    if seconds >= 60:
        return ngettext("%(num)d minute ago", "%(num)d minutes ago", seconds // 60)
    return _("just now")


# --- invalidation on commit -----------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _note_watched_changes(session: Session, _context) -> None:
    # A company's own edit is re-scored alone (services/duplicate_refresh.py); anything else
    # watched (a merge, an ignored pair, a deletion) makes the scan stale.
    companies = session.info.setdefault(_CHANGED_COMPANIES, set())
    for obj in session.new:
        if isinstance(obj, Company):
            companies.add(obj.id)
        elif isinstance(obj, WATCHED):
            session.info[_STALE_FLAG] = True
    for obj in session.dirty:
        if not isinstance(obj, WATCHED) or not session.is_modified(obj, include_collections=False):
            continue
        if isinstance(obj, Company) and not inspect(obj).attrs.merged_into_id.history.has_changes():
            companies.add(obj.id)
        else:
            session.info[_STALE_FLAG] = True
    if any(isinstance(o, WATCHED) for o in session.deleted):
        session.info[_STALE_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state) -> None:
    # Set-based UPDATE/DELETE/INSERT (the merge moves rows this way) bypass the flush.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in {m.__tablename__ for m in WATCHED}:
            state.session.info[_STALE_FLAG] = True


# No rollback hook clears the flags on purpose: a savepoint rolled back inside a transaction that
# commits other watched writes must still count; an extra re-score is the only cost.
@event.listens_for(Session, "after_commit")
def _bump_generation(session: Session) -> None:
    companies = session.info.pop(_CHANGED_COMPANIES, set())
    if not has_app_context():
        session.info.pop(_STALE_FLAG, None)
        return
    if session.info.pop(_STALE_FLAG, False) or len(companies) > INCREMENTAL_LIMIT:
        invalidate()  # an import of thousands: one full scan beats thousands of re-scores
    elif companies:
        from .duplicate_refresh import schedule_refresh
        schedule_refresh()
