"""Meetings planned from the card: attendees (contacts and users), and calendar invitations that
go through the outbox: a REQUEST when it is planned or changed, a CANCEL when it is cancelled or
an attendee is removed."""
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup

from ..extensions import db
from ..models import Company, Contact, Exchange, User
from ..models.base import utcnow
from . import audit
from .calendar import invitation, meeting_attendees
from .exchanges import ExchangeError, check_exchange
from .html import safe_html, sanitize_html
from .mail_message import Calendar, Draft, build, check_header, sender_address
from .outbox import queue


@dataclass
class MeetingValues:
    title: str
    starts_at: datetime | None
    ends_at: datetime | None = None
    location: str = ""
    body: str = ""
    contact_ids: list[int] = field(default_factory=list)
    user_ids: list[int] = field(default_factory=list)
    send_invitation: bool = False


def save_meeting(company: Company, author: User, values: MeetingValues,
                 meeting: Exchange | None = None) -> tuple[Exchange, list[int]]:
    """Plan or change a meeting; with `send_invitation`, queue the invitation (and a
    cancellation for removed attendees). Returns the meeting and the outbox ids to deliver."""
    if meeting is not None and meeting.cancelled_at is not None:
        raise ExchangeError(_("This meeting is cancelled; plan a new one instead."))
    contacts = [_own_contact(company, i) for i in dict.fromkeys(values.contact_ids)]
    users = [_active_user(i) for i in dict.fromkeys(values.user_ids)]
    check_header(_("The title"), values.title)
    check_header(_("The location"), values.location or "")
    before = set(meeting_attendees(meeting)) if meeting is not None else set()
    created = meeting is None
    if created:
        meeting = Exchange(company_id=company.id, company=company, author_id=author.id,
                           author=author, kind="meeting",
                           ics_uid=f"{uuid.uuid4()}@{_domain()}", ics_sequence=0)
    else:
        meeting.ics_sequence = (meeting.ics_sequence or 0) + 1  # every change is a new version
        # A meeting recorded with the plain exchange form (or before invitations) gets its UID.
        meeting.ics_uid = meeting.ics_uid or f"{uuid.uuid4()}@{_domain()}"
    meeting.title = values.title.strip()[:200]
    meeting.starts_at, meeting.ends_at = values.starts_at, values.ends_at
    meeting.occurred_at = values.starts_at or meeting.occurred_at
    meeting.location = (values.location or "").strip()[:200] or None
    meeting.body = sanitize_html(values.body) if values.body else None
    meeting.attendee_contacts, meeting.attendee_users = contacts, users
    meeting.contact = contacts[0] if contacts else None
    meeting.send_invitation = meeting.send_invitation or values.send_invitation
    check_exchange(meeting)
    db.session.add(meeting)
    db.session.flush()
    audit.record("create" if created else "update", meeting,
                 summary=f"Meeting with {company.name}: {meeting.title}"[:300])
    if not values.send_invitation:
        return meeting, []
    now = set(meeting_attendees(meeting))
    if not now:
        raise ExchangeError(_("To send an invitation, choose attendees who have an email address."))
    rows = [_queue_invitation(meeting, "REQUEST", sorted(now))]
    removed = sorted(before - now)
    if removed:
        rows.append(_queue_invitation(meeting, "CANCEL", removed))
    meeting.email_status = "draft"
    return meeting, rows


def cancel_meeting(meeting: Exchange) -> list[int]:
    """Cancel a meeting; attendees who were invited get a METHOD:CANCEL."""
    if meeting.kind != "meeting":
        raise ExchangeError(_("Only a meeting can be cancelled."))
    if meeting.cancelled_at is not None:
        raise ExchangeError(_("This meeting is already cancelled."))
    meeting.cancelled_at = utcnow()
    meeting.ics_sequence = (meeting.ics_sequence or 0) + 1
    audit.record("update", meeting, summary=f"Meeting cancelled: {meeting.title}"[:300])
    attendees = meeting_attendees(meeting)
    if not meeting.send_invitation or not attendees:
        db.session.flush()
        return []
    row = _queue_invitation(meeting, "CANCEL", attendees)
    db.session.flush()
    return [row]


def _queue_invitation(meeting: Exchange, method: str, attendees) -> int:
    ics = invitation(meeting, method, attendees)
    verb = {"REQUEST": _("Invitation") if meeting.ics_sequence == 0 else _("Updated invitation"),
            "CANCEL": _("Cancelled")}[method]
    when = meeting.starts_at.strftime("%d/%m/%Y %H:%M")
    html = Markup("<p>{}: <strong>{}</strong></p><p>{} ({}){}</p>").format(
        verb, meeting.title, when, str(_zone_name()),
        Markup(" — {}").format(meeting.location) if meeting.location else "")
    if meeting.body and method == "REQUEST":
        html += safe_html(meeting.body)
    author = meeting.author
    message = build(Draft(to=[email for email, _name in attendees],
                          subject=f"{verb}: {meeting.title}", html=str(html),
                          reply_to=author.email if author else None,
                          calendar=Calendar(ics, method)),
                    sender_address(current_app.config["MAIL_DEFAULT_SENDER"]))
    return queue(message, meeting).id


def _zone_name() -> str:
    from .settings import get_setting
    return get_setting("time_zone")


def _domain() -> str:
    sender = current_app.config.get("MAIL_DEFAULT_SENDER") or "backoffice@localhost"
    return sender.rsplit("@", 1)[-1].strip(">") or "localhost"


def _own_contact(company: Company, contact_id: int) -> Contact:
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.company_id != company.id:
        raise ExchangeError(_("An attendee must be one of this company's contacts or a user."))
    return contact


def _active_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        raise ExchangeError(_("An attendee must be one of this company's contacts or a user."))
    return user
