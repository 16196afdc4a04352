"""The outbox: every email is a row committed with the exchange it belongs to, then delivered
after the commit, over SMTP or into `.eml` files, retried with backoff, never sent twice.

These functions flush and never commit: `admin_app.delivery` runs them in units of work."""
import smtplib
import socket
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..errors import Refusal
from ..extensions import db
from ..models import Exchange, OutboxMessage
from ..models.base import utcnow
from .mail_message import envelope_recipients

# A queued row whose delivery never ran (the process stopped after the commit) is picked up by
# the retry pass once this much time has passed.
QUEUED_GRACE = timedelta(minutes=2)
MAX_ERROR_CHARS = 2000


class OutboxError(Refusal):
    """An outbox action refused, with a message meant for the user."""


def queue(message: EmailMessage, exchange: Exchange | None = None,
          internal: bool = False) -> OutboxMessage:
    """Keep a built message as a `queued` row, in the caller's transaction."""
    row = OutboxMessage(
        exchange=exchange, message_id=str(message["Message-ID"]),
        sender=message["From"].addresses[0].addr_spec,
        recipients=", ".join(envelope_recipients(message)), subject=str(message["Subject"])[:300],
        raw=message.as_bytes(), internal=internal, status="queued", attempts=0,
        next_attempt_at=utcnow() + QUEUED_GRACE)
    db.session.add(row)
    db.session.flush()
    return row


def claim(outbox_id: int, manual: bool = False) -> OutboxMessage | None:
    """Mark the row `sending` if it may be sent now; None when another worker has it, it is sent,
    or (unless `manual`) its retries are spent. The conditional UPDATE is what makes a message
    go out once even when two workers try at the same time."""
    allowed = ("queued", "failed")
    condition = [OutboxMessage.id == outbox_id, OutboxMessage.status.in_(allowed)]
    if not manual:
        condition.append(OutboxMessage.attempts < current_app.config["OUTBOX_MAX_ATTEMPTS"])
    result = db.session.execute(
        update(OutboxMessage).where(*condition)
        .values(status="sending", attempts=OutboxMessage.attempts + 1)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        return None
    row = db.session.get(OutboxMessage, outbox_id)
    db.session.refresh(row)
    return row


def transmit(row: OutboxMessage) -> str | None:
    """Hand the message to the SMTP server, or write it as an .eml file when MAIL_SERVER is
    unset; the server's answer when it failed, else None. Runs outside any transaction."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        return _write_eml(row)
    timeout = config.get("MAIL_TIMEOUT", 15)
    smtp_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    try:
        with smtp_class(config["MAIL_SERVER"], config.get("MAIL_PORT", 25),
                        timeout=timeout) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
            refused = smtp.sendmail(row.sender, row.recipients.split(", "), row.raw)
    except smtplib.SMTPRecipientsRefused as exc:
        return "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg)
                         in exc.recipients.items())[:MAX_ERROR_CHARS]
    except smtplib.SMTPResponseException as exc:
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"[:MAX_ERROR_CHARS]
    except (smtplib.SMTPException, OSError, socket.timeout) as exc:
        return (f"{type(exc).__name__}: {exc}" or type(exc).__name__)[:MAX_ERROR_CHARS]
    except Exception as exc:  # noqa: BLE001 - a claimed row must end failed, never stuck sending
        current_app.logger.exception("Outbox %s: unexpected error while sending", row.id)
        return f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
    if refused:  # accepted for some recipients only: say who was refused
        return "; ".join(f"{rcpt}: {code} {_text(msg)}" for rcpt, (code, msg)
                         in refused.items())[:MAX_ERROR_CHARS]
    return None


def _text(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def eml_path(row: OutboxMessage) -> Path:
    """Where the .eml file of an outbox row is written when there is no mail server."""
    return Path(current_app.config["OUTBOX_DIR"]) / f"{row.id:08d}.eml"


def _write_eml(row: OutboxMessage) -> str | None:
    path = eml_path(row)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_bytes(row.raw)
        temporary.replace(path)
    except OSError as exc:
        return f"Could not write {path.name}: {exc.strerror or exc}"
    return None


def record_result(row: OutboxMessage, error: str | None, now: datetime | None = None) -> None:
    """`sent`, or `failed` with the server's answer and the time of the next automatic try
    (doubling each time) until the attempts are spent; the exchange shows the same."""
    now = now or utcnow()
    config = current_app.config
    if error is None:
        row.status, row.sent_at, row.last_error, row.next_attempt_at = "sent", now, None, None
    else:
        row.status, row.last_error = "failed", error
        spent = row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]
        delay = config["OUTBOX_BACKOFF_SECONDS"] * 2 ** max(row.attempts - 1, 0)
        row.next_attempt_at = None if spent else now + timedelta(seconds=delay)
    exchange = row.exchange
    if exchange is not None and not row.internal:
        exchange.email_status = "sent" if error is None else "failed"
        exchange.sent_at = now if error is None else exchange.sent_at
        exchange.send_error = error
    db.session.flush()


def due_ids(now: datetime | None = None, limit: int | None = None) -> list[int]:
    """Messages whose automatic retry (or delayed first delivery) is due, oldest first."""
    now = now or utcnow()
    return list(db.session.scalars(
        select(OutboxMessage.id).where(OutboxMessage.status.in_(("queued", "failed")),
                                       OutboxMessage.next_attempt_at <= now,
                                       OutboxMessage.attempts
                                       < current_app.config["OUTBOX_MAX_ATTEMPTS"])
        .order_by(OutboxMessage.id).limit(limit)))


def retryable(row: OutboxMessage) -> None:
    """Refuse a manual retry of a message that is sent or being sent."""
    if row.status == "sent":
        raise OutboxError(_("This message was already sent (%(id)s); it is not sent twice.",
                            id=row.message_id))
    if row.status == "sending":
        raise OutboxError(_("This message is being sent right now."))


def messages_of(exchange: Exchange) -> list[OutboxMessage]:
    """The outbox rows of an exchange, the client's message first."""
    return sorted(exchange.outbox_messages, key=lambda r: (r.internal, r.id))
