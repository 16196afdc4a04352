"""Delivering the outbox: the jobs that run after a request's commit (inline or on the RQ
worker) and from `flask --app wsgi outbox`. Each step commits through its own unit of work, so
a message is claimed before it is sent and its result is kept even if the next step fails."""
from datetime import UTC

from flask import current_app

from .extensions import db
from .models import OutboxMessage
from .services import jobs
from .services.outbox import claim, due_ids, record_result, transmit
from .unit_of_work import retried


def deliver(outbox_id: int, manual: bool = False) -> str:
    """Send one outbox message if it may go now; its status afterwards. The claim and the
    result are each run again when they collide with another writer (the card editing the
    exchange, say): a lost claim would leave the message waiting for the next retry, a lost
    result would show a message that went out as still sending."""
    row, work = retried(lambda: claim(outbox_id, manual=manual))
    if not work.committed or row is None:
        row = db.session.get(OutboxMessage, outbox_id)
        return row.status if row else "missing"
    error = transmit(row)

    def record() -> OutboxMessage:
        sent = db.session.get(OutboxMessage, outbox_id)
        record_result(sent, error)
        return sent
    row, work = retried(record)
    if not work.committed:  # the message left but its status could not be saved: say so loudly
        current_app.logger.error("Outbox %s: sent=%s but the status was not saved: %s",
                                 outbox_id, error is None, work.error)
        row = db.session.get(OutboxMessage, outbox_id)
    return row.status


def deliver_job(outbox_id: int) -> str:
    """The RQ job: one delivery; a failure that may be retried is scheduled for its time (the
    worker runs RQ's scheduler); then the session is given back."""
    try:
        status = deliver(outbox_id)
        row = db.session.get(OutboxMessage, outbox_id)
        queue = jobs.rq_queue()
        if status == "failed" and row.next_attempt_at is not None and queue is not None:
            queue.enqueue_at(row.next_attempt_at.replace(tzinfo=UTC), deliver_job, outbox_id)
        return status
    finally:
        db.session.remove()


def deliver_after_commit(outbox_ids: list[int]) -> None:
    """What a request registers with `work.after_commit`: deliver now or queue to the worker;
    inline, the retries that are due go too, so a demo without a worker still retries."""
    for outbox_id in outbox_ids:
        jobs.enqueue(deliver_job if jobs.rq_queue() else deliver, outbox_id)
    if jobs.rq_queue() is None:
        retry_due(limit=INLINE_RETRIES)


# A request retries only a few due messages, so a server that is down costs it a few timeouts.
INLINE_RETRIES = 3


def retry_due(limit: int | None = None) -> dict[int, str]:
    """Deliver the messages whose retry is due (all, or the `limit` oldest); {id: status}."""
    return {outbox_id: deliver(outbox_id) for outbox_id in due_ids(limit=limit)}
