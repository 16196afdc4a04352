"""The one Redis client of the app and its key namespace (rate limits, caches)."""
import redis
from flask import current_app
from redis.backoff import NoBackoff
from redis.retry import Retry


def redis_client() -> redis.Redis:
    """The app's Redis client, made once per URL and timeout.

    Every command gives up after REDIS_SOCKET_TIMEOUT seconds, without retrying (redis-py
    retries three times by default): a Redis that accepts connections and never answers costs a
    request one timeout, and the caller falls back to what it does without Redis.
    """
    url = current_app.config["REDIS_URL"]
    timeout = float(current_app.config["REDIS_SOCKET_TIMEOUT"])
    cached = current_app.extensions.get("redis_client")
    if cached is None or cached[0] != (url, timeout):
        client = redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout,
                                      retry=Retry(NoBackoff(), 0))
        cached = ((url, timeout), client)
        current_app.extensions["redis_client"] = cached
    return cached[1]


def app_key(*parts: str) -> str:
    """A key under the app's prefix, so test runs and deployments sharing a Redis never collide."""
    return ":".join((current_app.config["RATELIMIT_PREFIX"], *parts))
