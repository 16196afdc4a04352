"""Fixed-window rate limits kept in Redis, shared by every worker process."""
import logging

import redis

from .redis_store import app_key as _key
from .redis_store import redis_client as _client

log = logging.getLogger(__name__)


def too_many(name: str, limit: int, window_seconds: int) -> bool:
    """True when `name` has already been hit `limit` times in the current window."""
    try:
        count = _client().get(_key(name))
    except redis.RedisError as exc:
        # Availability over strictness: a Redis outage must not lock every user out.
        log.warning("rate limit check skipped, Redis unavailable: %s", exc)
        return False
    return count is not None and int(count) >= limit


def hit(name: str, window_seconds: int) -> None:
    """Count one attempt for `name` in the current window."""
    try:
        pipe = _client().pipeline()
        pipe.incr(_key(name))
        pipe.expire(_key(name), window_seconds, nx=True)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("rate limit hit not recorded, Redis unavailable: %s", exc)


def reset(name: str) -> None:
    try:
        _client().delete(_key(name))
    except redis.RedisError:
        pass
