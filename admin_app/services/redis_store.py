"""The one Redis client of the app and its key namespace (rate limits, caches)."""
import redis
from flask import current_app


def redis_client() -> redis.Redis:
    """The app's Redis client, made once per URL; short timeouts so an outage fails fast."""
    url = current_app.config["REDIS_URL"]
    cached = current_app.extensions.get("redis_client")
    if cached is None or cached[0] != url:
        cached = (url, redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5))
        current_app.extensions["redis_client"] = cached
    return cached[1]


def app_key(*parts: str) -> str:
    """A key under the app's prefix, so test runs and deployments sharing a Redis never collide."""
    return ":".join((current_app.config["RATELIMIT_PREFIX"], *parts))
