"""Background work behind one small interface: on RQ when RQ_REDIS_URL is set, inline otherwise.

    enqueue(apply_import, batch.id)

The function must be importable by name and take plain arguments (ids, strings): RQ stores the
call in Redis and a worker (`flask --app wsgi worker`) runs it later, in an app context of its
own. Inline, it runs at once in the caller's app context, so the caller sees its effects.
"""
import importlib
import logging
from collections.abc import Callable
from typing import Any

from flask import current_app, has_app_context

log = logging.getLogger(__name__)

# Long imports must not be killed by RQ's default three minutes.
JOB_TIMEOUT_SECONDS = 3 * 3600


def background_enabled() -> bool:
    """True when work goes to an RQ queue instead of running in the request."""
    return bool(current_app.config.get("RQ_REDIS_URL"))


def queue():
    """The RQ queue jobs go to (RQ_REDIS_URL, RQ_QUEUE)."""
    from redis import Redis
    from rq import Queue
    connection = Redis.from_url(current_app.config["RQ_REDIS_URL"])
    return Queue(current_app.config["RQ_QUEUE"], connection=connection)


def rq_queue():
    """The RQ queue when RQ_REDIS_URL is set, else None (work runs inline)."""
    return queue() if background_enabled() else None


def enqueue(fn: Callable, *args: Any) -> str | None:
    """Run `fn(*args)` on the RQ queue (returns the job id) or now, inline (returns None)."""
    if not background_enabled():
        fn(*args)
        return None
    job = queue().enqueue(run_job, f"{fn.__module__}:{fn.__qualname__}", *args,
                          job_timeout=JOB_TIMEOUT_SECONDS, result_ttl=3600, failure_ttl=7 * 86400)
    return job.id


def run_job(target: str, *args: Any) -> None:
    """What a worker runs: the named function, inside the current app context or a new app's."""
    module_name, _, name = target.partition(":")
    fn = getattr(importlib.import_module(module_name), name)
    if has_app_context():
        fn(*args)
        return
    from .. import create_app
    with create_app().app_context():
        fn(*args)


def work(burst: bool = False) -> None:
    """Process the queue in this process (no fork: the app's database pool stays its own)."""
    from rq import SimpleWorker
    q = queue()
    # The scheduler runs the retries that outbox delivery schedules for later (enqueue_at).
    SimpleWorker([q], connection=q.connection).work(burst=burst, with_scheduler=True)
