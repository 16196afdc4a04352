"""Staff accounts: password hashing (argon2), creation and authentication."""
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, inspect, select

from ..extensions import db
from ..models import User
from ..models.users import ROLES
from ..errors import Refusal
from .audit import record
from .sessions import end_all_sessions

_default_hasher = PasswordHasher()
# Tests create many users; the smallest argon2 cost keeps them fast and still exercises argon2.
_fast_hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class UserError(Refusal):
    """A user-facing reason why an account could not be created or changed."""


def _hasher() -> PasswordHasher:
    if current_app and current_app.config.get("PASSWORD_HASH_FAST"):
        return _fast_hasher
    return _default_hasher


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(user: User, password: str) -> bool:
    try:
        return _default_hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def create_user(email: str, password: str, role: str = "user", full_name: str = "") -> User:
    """Create an account; refuses an unknown role, a short password or a taken email."""
    email = email.strip().lower()
    if role not in ROLES:
        raise UserError(_("Unknown role %(role)r: choose one of %(roles)s.", role=role,
                          roles=", ".join(ROLES)))
    if len(password) < 8:
        raise UserError(_("The password must have at least 8 characters."))
    if "@" not in email:
        raise UserError(_("%(email)r is not an email address.", email=email))
    if find_user_by_email(email):
        raise UserError(_("A user with the email %(email)s already exists.", email=email))
    user = User(email=email, password_hash=hash_password(password), role=role,
                full_name=full_name or email.split("@")[0].replace(".", " ").title())
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None; the hash is checked even for unknown emails.
    Not yet a login: services/login_attempts.complete_login is (after a second factor if any)."""
    user = find_user_by_email(email)
    if user is None:
        _default_hasher.hash(password)  # same cost for unknown emails: no account enumeration by timing
        return None
    if not verify_password(user, password) or not user.is_active:
        return None
    if _default_hasher.check_needs_rehash(user.password_hash) and not current_app.config.get(
        "PASSWORD_HASH_FAST"
    ):
        user.password_hash = hash_password(password)
    return user


def save_account(user: User, new_password: str | None = None) -> None:
    """Apply the account rules to a user created or edited (by an admin, or on their own account
    page): a unique email (compared without case), a known role, at least one active admin, the
    password hashed. A new password, a new role or a deactivation ends the user's sessions."""
    user.email = (user.email or "").strip().lower()
    if user.role not in ROLES:
        raise UserError(_("Unknown role %(role)s: choose one of %(roles)s.", role=user.role,
                          roles=", ".join(ROLES)))
    other = find_user_by_email(user.email)
    if other is not None and other is not user:
        raise UserError(_("Another user already has the email %(email)s.", email=user.email))
    if user.id is not None:
        _keep_an_admin(user)
    if new_password:
        if len(new_password) < 8:
            raise UserError(_("The password must have at least 8 characters."))
        user.password_hash = hash_password(new_password)
    if user.id is not None:
        _end_sessions_on_change(user, password_changed=bool(new_password))


def change_own_password(user: User, current_password: str, new_password: str) -> None:
    """A user changing their own password: the current one is asked first."""
    if not verify_password(user, current_password or ""):
        raise UserError(_("The current password is wrong."))
    save_account(user, new_password)


def check_own_password(user: User, password: str) -> None:
    """Refuse a sensitive change of one's own account without the current password."""
    if not verify_password(user, password or ""):
        raise UserError(_("The current password is wrong."))


def log_out_everywhere(user: User) -> int:
    """End every session of `user`, this browser's included; how many were ended."""
    ended = end_all_sessions(user)
    record("security", user, summary=f"{user.email}: logged out everywhere ({ended} sessions)")
    return ended


def _end_sessions_on_change(user: User, password_changed: bool) -> None:
    state = inspect(user).attrs
    reasons = ["password changed"] if password_changed else []
    if state.role.history.deleted and state.role.history.deleted[0] != user.role:
        reasons.append(f"role changed to {user.role}")
    if state.is_active.history.deleted and state.is_active.history.deleted[0] and \
            not user.is_active:
        reasons.append("deactivated")
    if reasons:
        ended = end_all_sessions(user)
        record("security", user, summary=f"{user.email}: {', '.join(reasons)}; "
                                         f"{ended} sessions ended")


def delete_account(user: User, acting_user_id: int | None) -> None:
    """Delete an account; never one's own, never the last active admin."""
    if user.id == acting_user_id:
        raise UserError(_("You cannot delete your own account."))
    if user.is_admin and user.is_active and not _other_active_admins(user):
        raise UserError(_("%(user)s is the last active administrator and cannot be deleted.",
                          user=user))
    db.session.delete(user)


def _keep_an_admin(user: User) -> None:
    state = inspect(user).attrs
    was_role = state.role.history.deleted[0] if state.role.history.deleted else user.role
    was_active = (state.is_active.history.deleted[0] if state.is_active.history.deleted
                  else user.is_active)
    if was_role == "admin" and was_active and not (user.is_admin and user.is_active):
        if not _other_active_admins(user):
            raise UserError(_("%(user)s is the last active administrator: make another user an "
                              "active administrator first.", user=user))


def _other_active_admins(user: User) -> int:
    # Locked on PostgreSQL so two admins cannot demote each other at the same moment.
    rows = db.session.scalars(select(User.id).where(
        User.role == "admin", User.is_active, User.id != user.id).with_for_update()).all()
    return len(rows)
