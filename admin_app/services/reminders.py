"""Call-backs as reminders and the agenda: a call with a call-back date reminds its author and
the company's account manager; meetings show for their organiser and the users who attend."""
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select, union

from flask_babel import gettext as _, lazy_gettext as _l

from ..extensions import db
from ..models import Company, Exchange, User
from ..models.base import compound_part, utcnow
from ..models.exchanges import meeting_users
from . import audit
from .calendar import local_now
from .exchanges import ExchangeError

SNOOZES = {"1h": _l("In an hour"), "tomorrow": _l("Tomorrow 9:00"), "week": _l("In a week")}


@dataclass
class Item:
    """One line of the agenda: a reminder (call-back) or a meeting."""
    kind: str  # "reminder" or "meeting"
    exchange: Exchange
    company_name: str
    at: datetime
    ends: datetime | None = None

    @property
    def done(self) -> bool:
        return self.exchange.callback_done_at is not None if self.kind == "reminder" else False


def _mine(user_id: int, *conditions, limit: int | None = None):
    """Ids of a user's reminders meeting `conditions`: written by them, or on a company they
    manage (a live one). Each side is read through its own index (the author's call-backs; the
    managed companies' call-backs): `author OR manager` in one WHERE reads every call-back in
    the database to find a user's few. With `limit`, each side's first by (callback_at, id)."""
    live = Company.merged_into_id.is_(None)
    authored = (select(Exchange.id, Exchange.callback_at)
                .join(Company, Company.id == Exchange.company_id)
                .where(Exchange.author_id == user_id, live, *conditions))
    # "company IN (the user's companies)": SQLite then reads the user's companies first, not
    # every open call-back checking its company.
    managed = select(Exchange.id, Exchange.callback_at).where(
        Exchange.company_id.in_(select(Company.id).where(Company.account_manager_id == user_id,
                                                         live)), *conditions)
    sides = [authored, managed]
    if limit is not None:
        sides = [compound_part(side.order_by(Exchange.callback_at, Exchange.id).limit(limit))
                 for side in sides]
    return select(union(*sides).subquery().c.id)


def open_reminders(user_id: int, limit: int = 20) -> dict[str, list[Item]]:
    """The user's call-backs not done yet: overdue, today, upcoming."""
    now = local_now()
    mine = _mine(user_id, Exchange.callback_at.is_not(None), Exchange.callback_done_at.is_(None),
                 limit=limit * 3)
    rows = db.session.execute(
        select(Exchange, Company.name).join(Company, Company.id == Exchange.company_id)
        .where(Exchange.id.in_(mine)).order_by(Exchange.callback_at, Exchange.id)
        .limit(limit * 3)).all()
    groups: dict[str, list[Item]] = {"overdue": [], "today": [], "upcoming": []}
    for exchange, name in rows:
        at = exchange.callback_at
        group = "overdue" if at < now else "today" if at.date() == now.date() else "upcoming"
        if len(groups[group]) < limit:
            groups[group].append(Item("reminder", exchange, name, at))
    return groups


def _own_reminder(exchange: Exchange | None, user: User) -> Exchange:
    if exchange is None or exchange.callback_at is None:
        raise ExchangeError(_("No such reminder."))
    manager = exchange.company.account_manager_id if exchange.company else None
    if not user.is_admin and user.id not in (exchange.author_id, manager):
        raise ExchangeError(_("This reminder is not yours."))
    return exchange


def mark_done(exchange: Exchange | None, user: User) -> Exchange:
    """Mark a call-back done (its author, the account manager or an admin)."""
    exchange = _own_reminder(exchange, user)
    if exchange.callback_done_at is None:
        exchange.callback_done_at = utcnow()
        audit.record("update", exchange, summary=f"Call-back done: {exchange.title}"[:300])
    db.session.flush()
    return exchange


def snooze(exchange: Exchange | None, user: User, choice: str) -> datetime:
    """Move a call-back later: in an hour, tomorrow at 9:00 or in a week; its new time."""
    exchange = _own_reminder(exchange, user)
    if choice not in SNOOZES:
        raise ExchangeError(_("Choose when to be reminded again."))
    now = local_now()
    later = {"1h": now + timedelta(hours=1),
             "tomorrow": datetime.combine(now.date() + timedelta(days=1), time(9)),
             "week": max(exchange.callback_at, now) + timedelta(days=7)}[choice]
    exchange.callback_at, exchange.callback_done_at = later.replace(second=0), None
    audit.record("update", exchange, summary=f"Call-back snoozed to {later:%Y-%m-%d %H:%M}"[:300])
    db.session.flush()
    return exchange.callback_at


def agenda_items(user_id: int, first: date, last: date) -> list[Item]:
    """The user's reminders and meetings from `first` to `last` (inclusive), by time."""
    start, end = datetime.combine(first, time()), datetime.combine(last + timedelta(days=1), time())
    reminders = db.session.execute(
        select(Exchange, Company.name).join(Company, Company.id == Exchange.company_id)
        .where(Exchange.id.in_(_mine(user_id, Exchange.callback_at.is_not(None),
                                     Exchange.callback_at >= start, Exchange.callback_at < end)))
    ).all()
    in_window = (Exchange.kind == "meeting", Exchange.starts_at.is_not(None),
                 Exchange.starts_at >= start, Exchange.starts_at < end)
    # Organised (the author's meetings by start) or attended (the user's invitations): each
    # through its own index, as for reminders.
    organised = select(Exchange.id).where(Exchange.author_id == user_id, *in_window)
    attended = (select(Exchange.id)
                .join(meeting_users, meeting_users.c.exchange_id == Exchange.id)
                .where(meeting_users.c.user_id == user_id, *in_window))
    meetings = db.session.execute(
        select(Exchange, Company.name).join(Company, Company.id == Exchange.company_id)
        .where(Exchange.id.in_(union(organised, attended).subquery().select()),
               Company.merged_into_id.is_(None))).all()
    items = [Item("reminder", e, n, e.callback_at) for e, n in reminders]
    items += [Item("meeting", e, n, e.starts_at, e.ends_at) for e, n in meetings]
    return sorted(items, key=lambda item: (item.at, item.exchange.id))


def feed_items(user_id: int, since: datetime, until: datetime) -> list[Item]:
    """What a user's calendar feed holds: their meetings and reminders in a window."""
    return agenda_items(user_id, since.date(), until.date())

