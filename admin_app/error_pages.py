"""Pages for errors the app answers itself: a database that does not answer is a 503 page with a
way back, not a stack trace or a bare 500; a request the database stopped for colliding with
another (outside a unit of work, which tells it as a form error) is a 409 page offering to try
again; an upload above the server's limit is a 413 page; a page that is not there (404) or not
allowed (403) says so in the user's language."""
import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import Forbidden, NotFound, RequestEntityTooLarge

from .extensions import db

log = logging.getLogger(__name__)

# The database is unreachable or busy, not refusing a change: the server went away or the
# connection broke (OperationalError, InterfaceError), SQLite stayed locked past its busy
# timeout (OperationalError), or no pooled connection came free in time (TimeoutError).
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError, PoolTimeoutError)
RETRY_AFTER_SECONDS = 30


def is_conflict(exc: BaseException) -> bool:
    """The database aborted the transaction for colliding with another (SQLSTATE class 40:
    deadlock, serialization failure); running it again is the remedy."""
    state = getattr(getattr(exc, "orig", None), "sqlstate", None)
    return isinstance(exc, SQLAlchemyError) and isinstance(state, str) and state.startswith("40")


def register_error_pages(app: Flask) -> None:
    for error in DATABASE_UNAVAILABLE:
        app.register_error_handler(error, database_unavailable)
    app.register_error_handler(RequestEntityTooLarge, too_large)
    app.register_error_handler(NotFound, not_found_or_forbidden)
    app.register_error_handler(Forbidden, not_found_or_forbidden)


def not_found_or_forbidden(exc: NotFound | Forbidden):
    """404 and 403 as a page in the user's language with a way back; JSON callers and
    messages the code wrote itself (abort(403, "...")) keep Werkzeug's answer."""
    wants_json = request.accept_mimetypes.best == "application/json"
    if wants_json or exc.description != type(exc).description:
        return exc
    if exc.code == 404:
        title, explanation = _("Page not found"), _(
            "This page does not exist, or what it showed was deleted or merged into another "
            "record. Check the address, or go back.")
    else:
        title, explanation = _("Not allowed"), _(
            "Your account cannot open this page. Ask an administrator if you need it.")
    signed_in = current_user.is_authenticated
    html = render_template("errors/http_error.html", code=exc.code, title=title,
                           explanation=explanation, back_url=_same_site(request.referrer),
                           home_url=url_for("admin.index") if signed_in else None)
    return html, exc.code


def too_large(_exc: RequestEntityTooLarge):
    """413: our own page, saying the limit and leading back to the card (or the page) it came
    from; the request's body is never read."""
    from .services.uploads import human_size
    back_url, to_card = None, False
    if (request.endpoint or "").startswith("card.") and str(request.args.get("id", "")).isdigit():
        back_url, to_card = url_for("card.index", id=int(request.args["id"]),
                                    _anchor="documents"), True
    back_url = back_url or _same_site(request.referrer)
    limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
    html = render_template("errors/too_large.html", back_url=back_url, to_card=to_card,
                           home_url=url_for("admin.index"), limit=human_size(limit))
    return html, 413


def database_unavailable(exc: SQLAlchemyError):
    """503: nothing of the request's transaction was committed by the app; say so, offer a way
    back. The page reads nothing from the database (not even the logged-in user). A collision
    with another transaction is not an outage: 409, and the same page says so instead."""
    conflict = is_conflict(exc)
    if conflict:
        log.warning("A request collided with another transaction during %s %s: %s",
                    request.method, request.path, getattr(exc, "orig", exc))
    else:
        log.error("Database unavailable during %s %s", request.method, request.path,
                  exc_info=exc)
    try:
        db.session.rollback()
    except SQLAlchemyError:  # the connection is gone: the pool replaces it on the next request
        log.warning("Rollback after the database error failed too", exc_info=True)
    reading = request.method in ("GET", "HEAD")
    html = render_template("errors/database_unavailable.html",
                           retry_url=request.full_path.rstrip("?") if reading else None,
                           back_url=None if reading else _same_site(request.referrer),
                           home_url=url_for("admin.index"), was_saving=not reading,
                           conflict=conflict)
    if conflict:
        return html, 409
    return html, 503, {"Retry-After": str(RETRY_AFTER_SECONDS)}


def _same_site(url: str | None) -> str | None:
    """The path of `url` when it points at this site, for a "back" link; else None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("", "http", "https") or parts.netloc not in ("", request.host) \
            or not parts.path.startswith("/"):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")
