"""Keeping the cached duplicates scan fresh without rescanning everything.

An edit or a new company re-scores only what it can change: the changed companies leave the
pairs they were in and are compared again with the members of their blocks, read by index
(services/duplicate_keys.py, duplicate_rescore.py); the result is what a full scan would give.
Changes a company's keys cannot describe (a merge, an undo, an ignored pair alongside other
writes) still mark the scan stale; the full scan then runs as a background job
(services/jobs.py) that reports its progress to the duplicates page.
"""
import json
import logging
import time

import redis
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..collector import gc_paused
from ..extensions import db
from ..models.base import utcnow
from .duplicate_cache import (
    INCREMENTAL_LIMIT, CachedScan, _read, _read_shared, _scan_key, _scan_now, _store,
    _with_groups, cached_scan, current_generation, data_version, invalidate, live_companies,
    scan_lock, settled,
)
from .duplicate_keys import (
    changed_companies, forget_changes, latest_change, live_rows_of, store_keys,
)
from .duplicate_rescore import rescore
from .jobs import background_enabled, enqueue
from .redis_store import app_key, redis_client

log = logging.getLogger(__name__)

LOCK_SECONDS = 120
# How long a save re-scoring its companies itself (no queue) waits for another re-score or a
# full scan to let go of the cached scan: re-scores take milliseconds, full scans seconds.
INLINE_LOCK_WAIT_SECONDS = 2
PROGRESS_TTL = 3600
PENDING_TTL = 600


def _pending_key() -> str:
    return app_key("duplicates", "pending")


def _progress_key() -> str:
    return app_key("duplicates", "progress")


# --- incremental ----------------------------------------------------------------------------

def schedule_refresh() -> None:
    """After a commit that changed companies: re-score them, on the queue or now. Run from the
    commit itself when there is no queue: whatever fails here, the edit stays saved and the
    user is told so; the cached scan is left stale, and the next load rescans."""
    try:
        if not redis_client().exists(_scan_key()):
            return  # no scan to keep fresh: the first load of the page scans everything
        if background_enabled():
            client = redis_client()
            client.incr(_pending_key())
            # A job lost with its worker must not keep the page trusting an old scan forever.
            client.expire(_pending_key(), PENDING_TTL)
        enqueue(refresh_changed)
    except redis.RedisError as exc:  # Redis away, or another scan holding the lock
        log.warning("duplicates scan not refreshed after an edit: %s", exc)
    except SQLAlchemyError as exc:  # busy, collided or away: the next load rescans
        log.warning("duplicates scan not refreshed after an edit, left to a rescan: %s", exc)
        invalidate()


def pending_refreshes() -> int:
    """Refresh jobs queued and not done yet (0 when Redis does not answer)."""
    try:
        return max(0, int(redis_client().get(_pending_key()) or 0))
    except redis.RedisError:
        return 0


def refresh_changed() -> bool:
    """Re-score the companies changed since the cached scan into it; False when there was
    nothing to patch (no entry, a stale one, or too many changes: the next load scans)."""
    client = redis_client()
    # A worker waits for a scan under way; a user's save (no queue) does not: it leaves the
    # scan stale (the data version moved on), for the next load to rescan.
    wait = LOCK_SECONDS if background_enabled() else INLINE_LOCK_WAIT_SECONDS
    try:
        with scan_lock(client, LOCK_SECONDS, wait=wait):
            # A session of its own: this runs right after another session's commit.
            # The patched scan holds every pair: its sort keys and groups are as many new
            # objects, and each full collection would walk the whole scan again for no cycle.
            with Session(db.engine) as session, gc_paused():
                return _patch(client, session)
    finally:
        if background_enabled() and client.decr(_pending_key()) < 0:
            client.set(_pending_key(), 0)


def _patch(client: redis.Redis, session: Session) -> bool:
    generation, entry = _read(client)
    if entry is None or entry["generation"] != generation:
        return False
    # Read before the changes: a write landing meanwhile makes the entry look stale, not fresh.
    version = data_version(session)
    mark = latest_change(session)
    changed = changed_companies(session, mark, INCREMENTAL_LIMIT + 1)
    if len(changed) > INCREMENTAL_LIMIT:
        invalidate()  # the next load scans everything, and stores every key on the way
        return False
    if changed:
        rows = live_rows_of(session, changed)
        old, new = store_keys(session, changed, rows)
        forget_changes(session, mark)
        _apply(entry, rescore(session, old, new, rows))
    entry.update(version=settled(version), companies=live_companies(session),
                 patched_at=utcnow().isoformat())
    _store(client, _with_groups(entry))
    try:
        session.commit()
    except Exception:
        invalidate()  # the entry counts changes the stored keys do not: rescan
        raise
    return True


def _apply(entry: dict, result) -> None:
    """The entry's pairs with those the re-score judged replaced by what it found."""
    changed, judged = result.changed, result.judged
    known = {r[0]: r for r in entry["rows"] if r[0] not in changed}
    pairs = [p for p in entry["pairs"] if p[0] not in changed and p[1] not in changed
             and (p[0], p[1]) not in judged]
    for pair in result.found:
        for row in (pair.low, pair.high):
            known[row.id] = [row.id, row.name, row.name_key, row.legal_id_key,
                             row.email_domain, row.phone_key]
        pairs.append([pair.low.id, pair.high.id, pair.score, pair.reasons])
    pairs.sort(key=lambda p: (-p[2], known[p[0]][2], p[0], p[1]))
    used = {i for p in pairs for i in p[:2]}
    entry.update(pairs=pairs, rows=[r for i, r in known.items() if i in used],
                 skipped_keys=entry["skipped_keys"] + result.skipped_change)


# --- what the page shows -------------------------------------------------------------------

def scan_for_page() -> tuple[CachedScan | None, dict | None]:
    """The scan the duplicates page shows, and the progress of a full scan under way.

    Without a queue the page scans itself when it must, as before. With one, a stale or missing
    scan starts a background scan; meanwhile the last scan is shown (marked stale), or nothing.
    An entry whose data version moved on is still fresh while refreshes of edits are queued.
    """
    if not background_enabled():
        return cached_scan(), None
    progress = scan_progress()
    try:
        generation, entry, derived = _read_shared(redis_client())
    except redis.RedisError:
        return cached_scan(), None
    if entry is not None and entry["generation"] == generation and (
            entry["version"] == data_version() or pending_refreshes() > 0):
        return CachedScan(entry, from_cache=True, derived=derived), progress
    if progress is None:
        start_full_scan()
        progress = scan_progress()
    return (CachedScan(entry, from_cache=True, stale=True, derived=derived) if entry else None,
            progress)


# --- full scan in the background ------------------------------------------------------------

def start_full_scan() -> str | None:
    """Queue a full scan (or run it now without a queue); the job id, None when inline."""
    if background_enabled():
        _set_progress({"state": "queued", "done": 0, "total": 0, "started": time.time()})
    return enqueue(run_full_scan)


def run_full_scan() -> None:
    """The job: scan every company, reporting progress, and store the result."""
    started = time.time()
    _set_progress({"state": "running", "done": 0, "total": 0, "started": started})
    try:
        client = redis_client()
        generation = current_generation(client)
        version = data_version()

        def progress(done: int, total: int) -> None:
            _set_progress({"state": "running", "done": done, "total": total, "started": started})

        _scan_now(client, version, generation, progress)
    finally:
        _clear_progress()


def scan_progress() -> dict | None:
    """{"state", "done", "total", "percent"} while a full scan is queued or running, else None."""
    try:
        raw = redis_client().get(_progress_key())
    except redis.RedisError:
        return None
    if raw is None:
        return None
    state = json.loads(raw)
    total = state.get("total") or 0
    state["percent"] = int(100 * state.get("done", 0) / total) if total else 0
    return state


def _set_progress(state: dict) -> None:
    try:
        redis_client().set(_progress_key(), json.dumps(state), ex=PROGRESS_TTL)
    except redis.RedisError as exc:
        log.warning("duplicates scan progress not recorded: %s", exc)


def _clear_progress() -> None:
    try:
        redis_client().delete(_progress_key())
    except redis.RedisError:
        pass
