"""iCalendar: meeting invitations (REQUEST, CANCEL) and the per-user feed, built with the
`icalendar` package. Meeting times are kept as wall-clock times of the organisation (the form's
values) and written with the organisation's time zone (Settings > Regional)."""
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, vCalAddress, vText

from .. import clock
from ..models import Exchange
from .settings import get_setting

PRODID = "-//Back office//Client card//EN"
DEFAULT_LENGTH = timedelta(hours=1)


def organisation_zone() -> ZoneInfo:
    """The organisation's time zone (Settings), in which meeting times are entered."""
    return clock.organisation_zone()


def zoned(moment: datetime) -> datetime:
    """A stored wall-clock time with the organisation's zone attached."""
    return moment.replace(tzinfo=organisation_zone()) if moment.tzinfo is None else moment


def _address(email: str, name: str = "", **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{email}")
    if name:
        address.params["cn"] = vText(name)
    for key, value in params.items():
        address.params[key.replace("_", "-")] = vText(value)
    return address


def meeting_event(meeting: Exchange, cancelled: bool = False, attendees=None,
                  people: bool = True) -> Event:
    """The VEVENT of a meeting: stable UID, its SEQUENCE, zoned times, and with `people` its
    organiser and attendees (a feed leaves them out: it publishes no addresses)."""
    event = Event()
    # A meeting recorded with the plain exchange form has no invitation UID yet.
    event.add("uid", meeting.ics_uid or f"meeting-{meeting.id}@backoffice")
    event.add("sequence", meeting.ics_sequence or 0)
    event.add("dtstamp", datetime.now(UTC))
    event.add("summary", meeting.title)
    starts = zoned(meeting.starts_at)
    event.add("dtstart", starts)
    event.add("dtend", zoned(meeting.ends_at) if meeting.ends_at else starts + DEFAULT_LENGTH)
    if meeting.location:
        event.add("location", meeting.location)
    if meeting.company is not None:
        event.add("description", f"{meeting.company.name}")
    author = meeting.author
    if author is not None and people:
        event.add("organizer", _address(author.email, author.full_name or author.email))
    for email, name in (attendees if attendees is not None else meeting_attendees(meeting)) \
            if people else ():
        event.add("attendee", _address(email, name, role="REQ-PARTICIPANT",
                                       partstat="NEEDS-ACTION", rsvp="TRUE"))
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    return event


def meeting_attendees(meeting: Exchange) -> list[tuple[str, str]]:
    """(email, name) of every attendee who has an email, contacts first, each once."""
    found: dict[str, str] = {}
    for contact in meeting.attendee_contacts:
        if contact.email:
            found.setdefault(contact.email.lower(), contact.full_name)
    for user in meeting.attendee_users:
        found.setdefault(user.email.lower(), user.full_name or user.email)
    return list(found.items())


def invitation(meeting: Exchange, method: str, attendees=None) -> bytes:
    """The .ics of an invitation: METHOD:REQUEST (new or moved) or METHOD:CANCEL."""
    calendar = new_calendar(method)
    calendar.add_component(meeting_event(meeting, cancelled=method == "CANCEL",
                                         attendees=attendees))
    calendar.add_missing_timezones()
    return calendar.to_ical()


def new_calendar(method: str | None = None, name: str | None = None) -> Calendar:
    """An empty VCALENDAR with its product id, version and optional METHOD and name."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    if name:
        calendar.add("x-wr-calname", name)
    return calendar


def local_now() -> datetime:
    """Now as a wall-clock time of the organisation, comparable with stored meeting and
    call-back times (they are kept as entered in the forms)."""
    return datetime.now(organisation_zone()).replace(tzinfo=None, microsecond=0)
