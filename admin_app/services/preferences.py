"""A user's own language and time zone: what they read the interface in."""
from flask import current_app
from flask_babel import gettext as _

from ..errors import Refusal
from ..extensions import db
from ..models import User
from . import audit
from .setting_types import time_zones

# Each language under its own name, as a reader looks for it in a list.
LANGUAGE_NAMES = {"en": "English", "es": "Español", "fr": "Français"}


def languages() -> dict[str, str]:
    """The interface's languages, code → own name."""
    return {code: LANGUAGE_NAMES.get(code, code) for code in current_app.config["LANGUAGES"]}


def save_preferences(user: User, language: str | None, time_zone: str | None) -> None:
    """Set (or, when empty, forget) the user's language and time zone; flushes."""
    language = (language or "").strip() or None
    time_zone = (time_zone or "").strip() or None
    if language is not None and language not in languages():
        raise Refusal(_("Choose a language from the list."))
    if time_zone is not None and time_zone not in time_zones():
        raise Refusal(_("Choose a time zone from the list."))
    user.language, user.time_zone = language, time_zone
    changes = audit.column_changes(user)
    if changes:
        audit.record("update", user, changes=changes, summary="Preferences changed")
    db.session.flush()
