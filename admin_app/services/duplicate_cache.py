"""The possible-duplicates scan, cached in Redis and keyed on a cheap version of the data it reads.

The full scan reads every live company (seconds at 100,000), so its result (every pair, whatever
the score) is kept in Redis. An entry is valid only for the data version it was computed from:
counts and latest ids/timestamps of companies, ignored pairs and merges, plus a generation that
every commit touching those tables bumps (the timestamps alone miss a write committed late with
an older timestamp). Paging and the minimum-score filter reuse the cached pairs.
"""
import json
import logging
import time
import zlib
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import has_app_context
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import Company, DuplicateIgnore, Merge
from ..models.base import utcnow
from .duplicates import Pair, Row, ScanResult, groups_of, scan
from .redis_store import app_key, redis_client

log = logging.getLogger(__name__)

# Old entries are useless once the data moved on; the TTL only bounds what an idle app keeps.
CACHE_TTL_SECONDS = 7 * 24 * 3600
FORMAT = 1
WATCHED = (Company, DuplicateIgnore, Merge)
_STALE_FLAG = "duplicate_scan_stale"


@dataclass
class CachedScan:
    result: ScanResult  # every pair, score 0 and up
    computed_at: datetime  # naive UTC
    seconds: float  # how long the scan took
    from_cache: bool
    cache_available: bool = True


def data_version() -> list[str]:
    """What the scan depends on, in one cheap statement (counts and maxima, no row is read twice)."""
    live = Company.merged_into_id.is_(None)
    parts = [
        select(func.count()).select_from(Company).where(live),
        select(func.count()).select_from(Company),
        select(func.max(Company.id)),
        select(func.max(Company.updated_at)),
        select(func.count()).select_from(DuplicateIgnore),
        select(func.max(DuplicateIgnore.id)),
        select(func.count()).select_from(Merge),
        select(func.max(Merge.id)),
        select(func.max(Merge.undone_at)),
    ]
    row = db.session.execute(select(*(p.scalar_subquery() for p in parts))).one()
    return [str(v) for v in row]


# Indexes into data_version(): the ignored-pairs part, for patching an entry after an ignore.
IGNORE_COUNT, IGNORE_MAX_ID = 4, 5


def _scan_key() -> str:
    return app_key("duplicates", "scan")


def _generation_key() -> str:
    return app_key("duplicates", "generation")


def _encode(entry: dict) -> bytes:
    return zlib.compress(json.dumps(entry, separators=(",", ":")).encode(), 1)


def _decode(raw: bytes | None) -> dict | None:
    if raw is None:
        return None
    try:
        entry = json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError):
        return None  # written by something else: treat as a miss and overwrite it
    return entry if isinstance(entry, dict) and entry.get("format") == FORMAT else None


def _entry(result: ScanResult, version: list[str], generation: int, computed_at: datetime,
           seconds: float) -> dict:
    rows = {}
    for pair in result.pairs:
        rows[pair.low.id], rows[pair.high.id] = pair.low, pair.high
    return {
        "format": FORMAT, "version": version, "generation": generation,
        "computed_at": computed_at.isoformat(), "seconds": round(seconds, 3),
        "companies": result.companies, "skipped_keys": result.skipped_keys,
        "rows": [[r.id, r.name, r.name_key, r.legal_id_key, r.email_domain, r.phone_key]
                 for r in rows.values()],
        "pairs": [[p.low.id, p.high.id, p.score, p.reasons] for p in result.pairs],
    }


def _cached(entry: dict) -> CachedScan:
    rows = {r[0]: Row(*r) for r in entry["rows"]}
    pairs = [Pair(rows[low], rows[high], score, [tuple(r) for r in reasons])
             for low, high, score, reasons in entry["pairs"]]
    result = ScanResult(pairs, entry["companies"], entry["skipped_keys"], [])
    return CachedScan(result, datetime.fromisoformat(entry["computed_at"]), entry["seconds"],
                      from_cache=True)


def _read(client: redis.Redis) -> tuple[int, dict | None]:
    pipe = client.pipeline(transaction=False)
    pipe.get(_generation_key())
    pipe.get(_scan_key())
    generation, raw = pipe.execute()
    return int(generation or 0), _decode(raw)


def cached_scan(force: bool = False) -> CachedScan:
    """Every possible duplicate pair, from Redis when the data has not changed since the scan.

    `force` rescans and stores whatever is cached. A Redis outage means a live scan, never an error.
    """
    client = redis_client()
    try:
        generation, entry = _read(client)
    except redis.RedisError as exc:
        log.warning("duplicates scan cache unavailable, scanning live: %s", exc)
        return _scan_now(None, None, None)
    # The version is read before scanning: a write landing during the scan leaves the stored
    # entry under the older version, so the next load rescans instead of trusting it.
    version = data_version()
    if (not force and entry is not None and entry["version"] == version
            and entry["generation"] == generation):
        return _cached(entry)
    return _scan_now(client, version, generation)


def _scan_now(client: redis.Redis | None, version: list[str] | None,
              generation: int | None) -> CachedScan:
    computed_at, started = utcnow(), time.perf_counter()
    result = scan()
    seconds = time.perf_counter() - started
    stored = CachedScan(result, computed_at, seconds, from_cache=False,
                        cache_available=client is not None)
    if client is not None:
        try:
            client.set(_scan_key(), _encode(_entry(result, version, generation, computed_at, seconds)),
                       ex=CACHE_TTL_SECONDS)
        except redis.RedisError as exc:
            log.warning("duplicates scan not cached, Redis unavailable: %s", exc)
            stored.cache_available = False
    return stored


def for_min_score(cached: CachedScan, min_score: int) -> ScanResult:
    """The cached scan narrowed to pairs scoring `min_score` or more, with their groups."""
    pairs = [p for p in cached.result.pairs if p.score >= min_score]
    return ScanResult(pairs, cached.result.companies, cached.result.skipped_keys, groups_of(pairs))


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
        client.set(_scan_key(), _encode(entry), ex=CACHE_TTL_SECONDS)
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


def age_text(computed_at: datetime, now: datetime | None = None) -> str:
    """'just now', '5 minutes ago', '3 hours ago', '2 days ago'."""
    seconds = max(0, int(((now or utcnow()) - computed_at).total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = seconds // size
            return f"{n} {unit}{'' if n == 1 else 's'} ago"
    return "just now"


# --- invalidation on commit -----------------------------------------------------------------

@event.listens_for(Session, "after_flush")
def _note_watched_changes(session: Session, _context) -> None:
    touched = [o for o in (*session.new, *session.deleted) if isinstance(o, WATCHED)]
    touched += [o for o in session.dirty if isinstance(o, WATCHED)
                and session.is_modified(o, include_collections=False)]
    if touched:
        session.info[_STALE_FLAG] = True


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_writes(state) -> None:
    # Set-based UPDATE/DELETE/INSERT (the merge moves rows this way) bypass the flush.
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        if getattr(table, "name", None) in {m.__tablename__ for m in WATCHED}:
            state.session.info[_STALE_FLAG] = True


# No rollback hook clears the flag on purpose: a savepoint rolled back inside a transaction that
# commits other watched writes must still bump; an extra rescan is the only cost.
@event.listens_for(Session, "after_commit")
def _bump_generation(session: Session) -> None:
    if session.info.pop(_STALE_FLAG, False) and has_app_context():
        invalidate()
