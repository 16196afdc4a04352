"""Running work after a request: inline by default, or on an RQ worker when RQ_REDIS_URL is set,
behind one function so callers never know which."""
from collections.abc import Callable

from flask import current_app

QUEUE_NAME = "backoffice"


def rq_queue():
    """The RQ queue of RQ_REDIS_URL (None when it is not set)."""
    url = current_app.config.get("RQ_REDIS_URL")
    if not url:
        return None
    from redis import Redis
    from rq import Queue
    return Queue(QUEUE_NAME, connection=Redis.from_url(url))


def enqueue(fn: Callable, *args) -> None:
    """Run `fn(*args)` now, or queue it for `flask --app wsgi worker` when RQ is configured.
    `fn` must be a module-level function, so the worker can import it."""
    queue = rq_queue()
    if queue is None:
        fn(*args)
    else:
        queue.enqueue(fn, *args)
