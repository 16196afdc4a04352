"""The business date: the one "today" that due dates, default dates and figures compare with."""
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_ZONE = "Europe/Madrid"


def organisation_zone() -> ZoneInfo:
    """The organisation's time zone (Settings > Regional); the default outside a request."""
    from flask import has_app_context
    name = DEFAULT_ZONE
    if has_app_context():
        # Imported here: the settings service imports the models, which import this module.
        from .services.settings import get_setting
        name = get_setting("time_zone") or DEFAULT_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(DEFAULT_ZONE)


def local_now() -> datetime:
    """Now as the organisation's wall clock shows it (aware)."""
    return datetime.now(UTC).astimezone(organisation_zone())


def today() -> date:
    """Today's date for business rules (overdue, default document dates, the card's figures).

    DESIGN.md: the date in the organisation's time zone, whatever the server's own zone is;
    every page that says "overdue" or "today" reads it from here. Date-times stay stored in UTC
    (models.base.utcnow).
    """
    return local_now().date()
