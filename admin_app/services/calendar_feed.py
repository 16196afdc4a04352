"""Each user's private calendar feed: a random token in the URL, only its SHA-256 kept, so the
database never holds a working address; revoked or renewed by its owner."""
import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from icalendar import Event
from sqlalchemy import select

from ..extensions import db
from ..models import CalendarFeed, User
from ..models.base import utcnow
from . import audit
from .calendar import meeting_event, new_calendar, zoned
from .reminders import agenda_items

PAST, FUTURE = timedelta(days=60), timedelta(days=365)
REMINDER_LENGTH = timedelta(minutes=15)


def token_hash(token: str) -> str:
    """The SHA-256 kept in place of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user: User) -> CalendarFeed | None:
    """The user's feed, if they have one."""
    return db.session.scalar(select(CalendarFeed).where(CalendarFeed.user_id == user.id))


def renew_feed(user: User) -> str:
    """A new token for the user's feed (the old address stops working); the token, to show once."""
    token = secrets.token_urlsafe(32)
    feed = feed_of(user)
    if feed is None:
        feed = CalendarFeed(user_id=user.id)
        db.session.add(feed)
    feed.token_hash, feed.created_at, feed.last_used_at = token_hash(token), utcnow(), None
    db.session.flush()
    audit.record("update", feed, summary=f"Calendar feed address renewed for {user.email}")
    return token


def revoke_feed(user: User) -> bool:
    """Remove the user's feed; whether there was one."""
    feed = feed_of(user)
    if feed is None:
        return False
    audit.record("delete", feed, summary=f"Calendar feed revoked for {user.email}")
    db.session.delete(feed)
    db.session.flush()
    return True


def user_for_token(token: str) -> User | None:
    """The active user a feed token belongs to, or None."""
    if not token or len(token) > 100:
        return None
    feed = db.session.scalar(
        select(CalendarFeed).where(CalendarFeed.token_hash == token_hash(token)))
    if feed is None or not feed.user.is_active:
        return None
    return feed.user


def feed_ics(user: User) -> bytes:
    """The .ics of the user's meetings and call-back reminders, from two months ago to a year
    ahead: titles, times, places and company names only."""
    today = datetime.now(UTC).date()
    calendar = new_calendar(name=f"Back office — {user}")
    for item in agenda_items(user.id, today - PAST, today + FUTURE):
        exchange = item.exchange
        if item.kind == "meeting":
            event = meeting_event(exchange, cancelled=exchange.cancelled_at is not None,
                                  people=False)
        else:
            event = Event()
            event.add("uid", f"callback-{exchange.id}@backoffice")
            event.add("dtstamp", datetime.now(UTC))
            done = " (done)" if exchange.callback_done_at is not None else ""
            event.add("summary", f"Call back {item.company_name}: {exchange.title}{done}")
            event.add("dtstart", zoned(item.at))
            event.add("dtend", zoned(item.at) + REMINDER_LENGTH)
            event.add("status", "CONFIRMED")
        event.add("categories", ["Meeting" if item.kind == "meeting" else "Call-back"])
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def touch(user: User) -> None:
    """Note when the feed was last read (shown on the agenda)."""
    feed = feed_of(user)
    if feed is not None:
        feed.last_used_at = utcnow()
        db.session.flush()
