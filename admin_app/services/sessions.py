"""Login sessions the server can end: one row per browser login, checked on every request.

The Flask session and the remember cookie both carry `user id:token` (User.get_id()); the table
keeps only the token's SHA-256. Deleting a row ends that login everywhere its cookies were
copied to: logout, "log out everywhere", a password or role change, a deactivation.
"""
import hashlib
import secrets
from datetime import datetime, timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import delete, or_, select, update

from ..extensions import db
from ..models import LoginSession, User
from ..models.base import MAX_ID, utcnow

# The request's session row whose last_seen_at is due for an update (see touch_due_session).
TOUCH_KEY = "backoffice.touch_login_session"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def timeouts(remember: bool) -> tuple[timedelta, timedelta]:
    """(idle, absolute) lifetime of a session; a remembered one outlives browser restarts."""
    config = current_app.config
    if remember:
        return config["REMEMBER_IDLE_TIMEOUT"], config["REMEMBER_COOKIE_DURATION"]
    return config["SESSION_IDLE_TIMEOUT"], config["SESSION_ABSOLUTE_TIMEOUT"]


def is_expired(row: LoginSession, now: datetime | None = None) -> bool:
    now = now or utcnow()
    idle, absolute = timeouts(row.remember)
    return now - row.last_seen_at > idle or now - row.created_at > absolute


def start_session(user: User, remember: bool) -> str:
    """Open a login session for `user` in this browser; returns its token (also set on `user`)."""
    _drop_expired(user)
    token = secrets.token_urlsafe(32)
    ip, agent = "", ""
    if has_request_context():
        ip, agent = request.remote_addr or "", request.user_agent.string or ""
    db.session.add(LoginSession(user_id=user.id, token_hash=_hash(token), remember=remember,
                                ip_address=ip[:45], user_agent=agent[:200]))
    db.session.flush()
    user.login_session_token = token
    return token


def user_for(cookie_id: str) -> User | None:
    """The active user whose live session `cookie_id` ("id:token") names, else None."""
    user_id, _, token = (cookie_id or "").partition(":")
    if not user_id.isdigit() or not token or int(user_id) > MAX_ID:
        return None
    # One statement for the session and its user: every page pays it.
    found = db.session.execute(
        select(LoginSession, User).join(User, User.id == LoginSession.user_id)
        .where(LoginSession.token_hash == _hash(token))).first()
    if found is None:
        return None
    row, user = found
    if row.user_id != int(user_id) or is_expired(row) or not user.is_active:
        return None
    user.login_session_token = token
    if has_request_context() and utcnow() - row.last_seen_at > current_app.config[
            "SESSION_TOUCH_INTERVAL"]:
        request.environ[TOUCH_KEY] = row.id
    return user


def touch_due_session() -> None:
    """Record that the request's session was used (at most once per SESSION_TOUCH_INTERVAL, so a
    page view is not a write each time)."""
    session_id = request.environ.pop(TOUCH_KEY, None)
    if session_id is not None:
        db.session.execute(update(LoginSession).where(LoginSession.id == session_id)
                           .values(last_seen_at=utcnow()))


def end_session(user: User) -> None:
    """End the session this request runs in (logout): its cookies stop working everywhere."""
    if user.login_session_token:
        db.session.execute(delete(LoginSession).where(
            LoginSession.user_id == user.id,
            LoginSession.token_hash == _hash(user.login_session_token)))
    user.login_session_token = None


def end_all_sessions(user: User) -> int:
    """End every session of `user` (password or role change, log out everywhere); how many."""
    result = db.session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    user.login_session_token = None
    return result.rowcount or 0


def live_sessions(user: User) -> list[LoginSession]:
    """The user's sessions that still work, most recently used first."""
    rows = db.session.scalars(select(LoginSession).where(LoginSession.user_id == user.id)
                              .order_by(LoginSession.last_seen_at.desc())).all()
    return [row for row in rows if not is_expired(row)]


def is_current(row: LoginSession, user: User) -> bool:
    return bool(user.login_session_token) and row.token_hash == _hash(user.login_session_token)


def _drop_expired(user: User) -> None:
    """Forget the user's sessions past the longest lifetime, so the table does not grow."""
    config = current_app.config
    longest = max(config["SESSION_ABSOLUTE_TIMEOUT"], config["REMEMBER_COOKIE_DURATION"])
    idle = max(config["SESSION_IDLE_TIMEOUT"], config["REMEMBER_IDLE_TIMEOUT"])
    now = utcnow()
    db.session.execute(delete(LoginSession).where(
        LoginSession.user_id == user.id,
        or_(LoginSession.created_at < now - longest, LoginSession.last_seen_at < now - idle)))
