"""What every request checks about its login: the session still open (services/sessions.py),
its last use recorded, and an administrator who must set up two-factor login sent to do so."""
import logging

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from ..extensions import db, login_manager
from ..models import User
from ..services.sessions import TOUCH_KEY, touch_due_session, user_for
from ..services.two_factor import must_enrol
from ..unit_of_work import unit_of_work
from .routes import bp

log = logging.getLogger(__name__)

login_manager.login_view = "auth.login"
login_manager.login_message = _l("Please log in to reach this page.")
login_manager.login_message_category = "info"
login_manager.session_protection = "strong"

# Reachable by an administrator who still has to turn two-factor login on.
ENROLMENT_ENDPOINTS = frozenset({"static", "admin.static", "auth.login", "auth.logout",
                                 "auth.second_factor"})


@login_manager.user_loader
def load_user(user_id: str) -> User | None:
    """The user of a live session (the id is "user id:session token"), else None."""
    return user_for(user_id)


@bp.before_app_request
def two_factor_enrolment_first():
    endpoint = request.endpoint or ""
    if endpoint in ENROLMENT_ENDPOINTS or endpoint.startswith("account."):
        return None
    if current_user.is_authenticated and must_enrol(current_user):
        flash(_("Administrators must use two-factor login: set it up to continue."), "warning")
        return redirect(url_for("account.index"))
    return None


@bp.after_app_request
def record_session_use(response):
    """Write the session's last use, when due, once the request's own work is done."""
    if TOUCH_KEY not in request.environ:
        return response
    if db.session.new or db.session.dirty or db.session.deleted:
        return response  # the request left work unsaved: not ours to commit; next time
    try:
        with unit_of_work(flash_errors=False):
            touch_due_session()
    except SQLAlchemyError:  # a database that does not answer: the page itself is answered
        log.warning("Could not record the use of a login session", exc_info=True)
    return response
