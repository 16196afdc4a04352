"""The rules of a login attempt: which limits it counts against, what is audited, and what a
successful login records."""
import logging
from datetime import timedelta

from flask import current_app, request
from flask_babel import format_timedelta

from ..models import User
from ..models.base import utcnow
from .audit import record
from .ratelimit import Limit, Verdict
from .sessions import start_session

log = logging.getLogger(__name__)


def client_address() -> str:
    """The client's address (ProxyFix has put the proxy's X-Forwarded-For there if trusted)."""
    return (request.remote_addr or "unknown")[:45]


def address_limit() -> Limit:
    """Every failed password or code from one address, whatever the account."""
    return Limit(f"auth:ip:{client_address()}", current_app.config["LOGIN_ADDRESS_LIMIT"])


def password_limits(email: str) -> list[Limit]:
    """An account guessed from one address, and the address: never the account for everyone."""
    account = (email or "").strip().lower()[:254]
    return [Limit(f"login:pair:{account}:{client_address()}",
                  current_app.config["LOGIN_FAILURE_LIMIT"]), address_limit()]


def second_factor_limits(user: User) -> list[Limit]:
    """Codes guessed for one account (whoever has its password), and the address."""
    return [Limit(f"2fa:user:{user.id}", current_app.config["TWO_FACTOR_FAILURE_LIMIT"]),
            address_limit()]


def own_password_limits(user: User) -> list[Limit]:
    """The current password typed on My account (a stolen session must not guess it)."""
    return [Limit(f"account:user:{user.id}", current_app.config["LOGIN_FAILURE_LIMIT"])]


def wait_text(seconds: int) -> str:
    """"30 seconds", "2 minutes": how long a throttled user waits, in their language."""
    return format_timedelta(timedelta(seconds=max(1, seconds)), threshold=1.1)


def record_failure(email: str, user: User | None, verdict: Verdict, what: str) -> None:
    """Audit a failed attempt, and the delay it started if it hit a limit."""
    where = client_address()
    record("login_fail", entity_type="User", entity_id=user.id if user else None,
           summary=f"{email[:200]} from {where}: {what}")
    if verdict.delay_started:
        record("lockout", entity_type="User", entity_id=user.id if user else None,
               summary=f"{email[:200]} from {where}: next attempt refused for "
                       f"{verdict.delay_started} s")


def record_refusal(email: str, verdict: Verdict) -> None:
    """An attempt refused while a delay runs: logged, not audited (a flood would fill the table)."""
    log.warning("Login attempt for %r from %s refused for %d s more", email[:200],
                client_address(), verdict.retry_after)


def complete_login(user: User, remember: bool) -> str:
    """Open the user's session for this browser and audit it; the session token."""
    token = start_session(user, remember)
    user.last_login_at = utcnow()
    record("login", user, summary=f"{user.email} logged in from {client_address()}", user=user)
    return token
