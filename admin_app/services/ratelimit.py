"""Fixed-window rate limits kept in Redis, shared by every worker process."""
import logging

import redis
from flask import current_app

log = logging.getLogger(__name__)


def _client() -> redis.Redis:
    ext = current_app.extensions
    if "ratelimit_redis" not in ext:
        ext["ratelimit_redis"] = redis.Redis.from_url(current_app.config["REDIS_URL"],
                                                      socket_timeout=0.5,
                                                      socket_connect_timeout=0.5)
    return ext["ratelimit_redis"]


def _key(name: str) -> str:
    return f"{current_app.config['RATELIMIT_PREFIX']}:{name}"


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
