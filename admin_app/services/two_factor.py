"""Two-factor login: TOTP codes (pyotp), enrolment by QR code (segno), single-use recovery codes
stored as hashes, and the setting that makes it mandatory for administrators."""
import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import delete, select

from ..extensions import db
from ..models import RecoveryCode, User
from ..models.base import utcnow
from .audit import record
from .settings import get_setting
from .users import UserError, check_own_password

ISSUER = "Client back office"
RECOVERY_CODE_COUNT = 10


def required_for(user: User) -> bool:
    """Whether `user` must use two-factor login (an admin, when the setting says so)."""
    return user.is_admin and bool(get_setting("admin_two_factor_required"))


def must_enrol(user: User) -> bool:
    return required_for(user) and not user.has_two_factor


# --- enrolment -------------------------------------------------------------------------------

def start_enrolment(user: User) -> str:
    """A new secret, kept on the user but not in force until a code from it is confirmed."""
    if user.has_two_factor:
        raise UserError(_("Two-factor login is already on."))
    user.totp_secret = pyotp.random_base32()
    user.totp_enabled_at = None
    return user.totp_secret


def pending_secret(user: User) -> str | None:
    """The secret being enrolled (shown as a QR code), if enrolment was started."""
    return None if user.has_two_factor else user.totp_secret


def provisioning_uri(user: User, secret: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri: str) -> Markup:
    """The QR code as inline SVG: no script, no external image, nothing the CSP must allow."""
    # Reviewed (bandit B704): segno writes the SVG from the QR matrix; no user text is copied
    # into it (the URI is encoded as black and white modules, not as text).
    return Markup(segno.make(uri, error="m").svg_inline(scale=5, border=2))  # nosec B704


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor login on once a code from the new secret checks; the recovery codes."""
    secret = pending_secret(user)
    if not secret:
        raise UserError(_("Start the set-up again: no two-factor set-up is in progress."))
    step = _matching_step(secret, code, last_step=None)
    if step is None:
        raise UserError(_("That code does not match. Check the time on your phone and try the "
                          "newest code."))
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = _new_recovery_codes(user)
    record("security", user, summary=f"{user.email}: two-factor login turned on")
    return codes


def disable(user: User, password: str) -> None:
    """Turn two-factor login off (the current password is asked); refused where it is required."""
    check_own_password(user, password)
    if required_for(user):
        raise UserError(_("Two-factor login is required for administrators: it cannot be "
                          "turned off."))
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    record("security", user, summary=f"{user.email}: two-factor login turned off")


def reset_for(user: User) -> bool:
    """An administrator turns a user's two-factor login off (lost phone and recovery codes);
    the user's sessions end. False when it was not on."""
    from .sessions import end_all_sessions
    was_on = user.has_two_factor or bool(user.totp_secret)
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    if was_on:
        end_all_sessions(user)
        record("security", user, summary=f"{user.email}: two-factor login reset by an "
                                         "administrator; sessions ended")
    return was_on


def regenerate_recovery_codes(user: User, password: str) -> list[str]:
    """New recovery codes (the current password is asked); the old ones stop working."""
    check_own_password(user, password)
    if not user.has_two_factor:
        raise UserError(_("Turn two-factor login on first."))
    codes = _new_recovery_codes(user)
    record("security", user, summary=f"{user.email}: new recovery codes")
    return codes


def unused_recovery_codes(user: User) -> int:
    return len(db.session.scalars(select(RecoveryCode.id).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))).all())


# --- login -------------------------------------------------------------------------------------

def verify(user: User, code: str) -> bool:
    """Whether `code` (a current TOTP code, or an unused recovery code) proves the second factor.

    A TOTP code is accepted once: its time step must be newer than the last one used. A recovery
    code is spent.
    """
    if not user.has_two_factor:
        return False
    cleaned = _clean(code)
    if _six_digits(cleaned):
        step = _matching_step(user.totp_secret, cleaned, user.totp_last_step)
        if step is None:
            return False
        user.totp_last_step = step
        return True
    row = db.session.scalar(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.code_hash == _code_hash(user, cleaned),
        RecoveryCode.used_at.is_(None)).with_for_update())
    if row is None:
        return False
    row.used_at = utcnow()
    record("security", user, summary=f"{user.email}: logged in with a recovery code "
                                     f"({unused_recovery_codes(user) - 1} left)")
    return True


def _matching_step(secret: str, code: str, last_step: int | None) -> int | None:
    """The time step (now, or one either side for a slow phone clock) whose code is `code`."""
    code = _clean(code)
    if not _six_digits(code):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(time.time())
    for step in (now_step - 1, now_step, now_step + 1):
        if (last_step is None or step > last_step) and hmac.compare_digest(
                totp.generate_otp(step), code):
            return step
    return None


def _six_digits(code: str) -> bool:
    # isascii: "１２３４５６" (full-width) counts as digits for isdigit().
    return code.isascii() and code.isdigit() and len(code) == 6


def _clean(code: str) -> str:
    return "".join((code or "").split()).replace("-", "").lower()[:40]


def _code_hash(user: User, cleaned: str) -> str:
    # SHA-256, not argon2: each code is 50 random bits, far beyond guessing from a hash, and a
    # login compares against all of a user's codes.
    return hashlib.sha256(f"{user.id}:{cleaned}".encode()).hexdigest()


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_code_hash(user, raw)))
    db.session.flush()
    return codes
