"""Attempt limits with a growing delay, counted atomically in Redis and shared by every worker;
a per-process counter takes over while Redis is down or slow (never no limit at all).

Each attempt is counted *before* it is checked, in one atomic step over all its keys: forty
parallel guesses cannot all read "9 so far" and all go ahead. When a key reaches its limit it is
held for a delay (base, then doubled on every further allowed attempt, up to a maximum); while
held, attempts are refused without being counted, and the caller answers 429 with Retry-After.
"""
import logging
import math
import threading
import time
from dataclasses import dataclass

import redis
from flask import current_app

from .redis_store import app_key, redis_client

log = logging.getLogger(__name__)

# KEYS: count and hold key of each limited name, in pairs. ARGV: window, base delay, max delay,
# then the limit of each name. Returns {allowed, wait ms, longest delay started ms}.
ATTEMPT_SCRIPT = """
local wait = 0
for i = 1, #KEYS, 2 do
  wait = math.max(wait, redis.call('PTTL', KEYS[i + 1]))
end
if wait > 0 then return {0, wait, 0} end
local started = 0
for i = 1, #KEYS, 2 do
  local n = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
  local limit = tonumber(ARGV[3 + (i + 1) / 2])
  if n >= limit then
    local delay = math.min(tonumber(ARGV[2]) * 2 ^ (n - limit), tonumber(ARGV[3]))
    local ms = math.floor(delay * 1000)
    redis.call('SET', KEYS[i + 1], '1', 'PX', ms)
    started = math.max(started, ms)
  end
end
return {1, 0, started}
"""
# KEYS: count and hold key; ARGV: limit. One allowed attempt given back (it succeeded).
REFUND_SCRIPT = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n > 0 then n = redis.call('DECR', KEYS[1]) end
if n < tonumber(ARGV[1]) then redis.call('DEL', KEYS[2]) end
return n
"""


@dataclass(frozen=True)
class Limit:
    """A name counted against a limit, e.g. Limit("login:ip:10.0.0.1", 50)."""

    name: str
    limit: int


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0    # seconds to wait, when refused
    delay_started: int = 0  # seconds the next attempt must wait, when this one hit a limit


class MemoryLimiter:
    """The same rules in this process's memory, for when Redis does not answer."""

    MAX_KEYS = 100_000  # past this, expired entries are swept (a flood of random names)

    def __init__(self):
        self._lock = threading.Lock()
        self._counts: dict[str, tuple[int, float]] = {}
        self._holds: dict[str, float] = {}

    def attempt(self, limits: list[Limit], window: int, base: float, most: float) -> Verdict:
        with self._lock:
            now = time.monotonic()
            if len(self._counts) > self.MAX_KEYS:
                self._sweep(now)
            wait = max((self._holds.get(item.name, 0.0) - now for item in limits), default=0.0)
            if wait > 0:
                return Verdict(False, retry_after=math.ceil(wait))
            started = 0.0
            for item in limits:
                count, expires = self._counts.get(item.name, (0, 0.0))
                count = (count if expires > now else 0) + 1
                self._counts[item.name] = (count, now + window)
                if count >= item.limit:
                    delay = min(base * 2 ** (count - item.limit), most)
                    self._holds[item.name] = now + delay
                    started = max(started, delay)
            return Verdict(True, delay_started=math.ceil(started))

    def refund(self, item: Limit, forget: bool) -> None:
        with self._lock:
            count, expires = self._counts.get(item.name, (0, 0.0))
            count = 0 if forget else max(0, count - 1)
            self._counts[item.name] = (count, expires)
            if count < item.limit:
                self._holds.pop(item.name, None)

    def _sweep(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[1] > now}
        self._holds = {k: v for k, v in self._holds.items() if v > now}


def _memory() -> MemoryLimiter:
    return current_app.extensions.setdefault("ratelimit_memory", MemoryLimiter())


def _redis() -> redis.Redis | None:
    """The Redis client, unless Redis failed a moment ago (then it is left alone a while)."""
    if current_app.extensions.get("ratelimit_redis_down_until", 0.0) > time.monotonic():
        return None
    return redis_client()


def _redis_failed(exc: Exception) -> None:
    log.warning("Rate limits counted in this process only: Redis does not answer (%s)", exc)
    current_app.extensions["ratelimit_redis_down_until"] = (
        time.monotonic() + current_app.config["REDIS_RETRY_SECONDS"])


def _keys(item: Limit) -> list[str]:
    return [app_key("rl", item.name), app_key("rl", item.name, "hold")]


def attempt(limits: list[Limit], window: int | None = None, base: float | None = None,
            most: float | None = None) -> Verdict:
    """Count one attempt against every limit, or refuse it if any of them is holding.

    Window and delays default to the login's; another caller (the portal) passes its own."""
    config = current_app.config
    window = window or config["LOGIN_FAILURE_WINDOW"]
    base = base or config["LOGIN_DELAY_BASE"]
    most = most or config["LOGIN_DELAY_MAX"]
    client = _redis()
    if client is not None:
        try:
            allowed, wait_ms, started_ms = client.eval(
                ATTEMPT_SCRIPT, 2 * len(limits), *[k for item in limits for k in _keys(item)],
                window, base, most, *[item.limit for item in limits])
            return Verdict(bool(allowed), retry_after=math.ceil(int(wait_ms) / 1000),
                           delay_started=math.ceil(int(started_ms) / 1000))
        except redis.RedisError as exc:
            _redis_failed(exc)
    return _memory().attempt(limits, window, base, most)


def succeeded(item: Limit, forget: bool = False) -> None:
    """The attempt counted against `item` succeeded: forget its count, or give one back."""
    client = _redis()
    if client is not None:
        try:
            count_key, hold_key = _keys(item)
            if forget:
                client.delete(count_key, hold_key)
            else:
                client.eval(REFUND_SCRIPT, 2, count_key, hold_key, item.limit)
            return
        except redis.RedisError as exc:
            _redis_failed(exc)
    _memory().refund(item, forget)


def forget_everything() -> None:
    """Drop this process's counters and its memory of a Redis failure (tests)."""
    current_app.extensions.pop("ratelimit_memory", None)
    current_app.extensions.pop("ratelimit_redis_down_until", None)
