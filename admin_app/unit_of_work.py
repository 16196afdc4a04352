"""The one place a web request commits: run the services, commit, or roll back and tell the user.

    with unit_of_work() as work:
        address = save_address(company, form.data)
        work.on_rollback(discard_file, stored)   # undo what is outside the database
    if work.committed:
        flash(_("Address saved."), "success")

A `Refusal` (a business rule said no), a WTForms `ValidationError` raised by a service, or an
error of the database rolls everything back and is flashed; a database that does not answer at
all is rolled back and raised, for the 503 page of `error_pages`; any other exception is a bug:
it is rolled back and raised, so it is seen instead of hidden behind a vague message.

A transaction the database aborted because it collided with another one (a deadlock, a
serialization failure: SQLSTATE class 40) is none of these: nothing is wrong with the change
nor with the server, and the same work run again succeeds. It is rolled back, told as such and
marked `conflict`; `retried` runs such work again for callers no one is there to retry for
(an import's batch, an email's delivery).
"""
import logging
import random
import re
import time
from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash
from flask_babel import gettext as _
from markupsafe import Markup, escape
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from wtforms.validators import ValidationError

from .error_pages import DATABASE_UNAVAILABLE, is_conflict
from .errors import Refusal
from .extensions import db

log = logging.getLogger(__name__)

T = TypeVar("T")
# A writer that collided runs again up to this many times in all, waiting a little longer,
# at random, before each new attempt so that the two colliders do not meet again.
CONFLICT_ATTEMPTS = 5
CONFLICT_JITTER_SECONDS = 0.05


class UnitOfWork:
    """State of one transaction: committed or not, the message shown, deferred callbacks."""

    def __init__(self, flash_errors: bool = True):
        self.flash_errors = flash_errors
        self.committed = False
        self.conflict = False
        self.error: Markup | None = None
        self._after_commit: list[tuple[Callable, tuple]] = []
        self._on_rollback: list[tuple[Callable, tuple]] = []

    def after_commit(self, callback: Callable, *args: Any) -> None:
        """Run once the commit succeeded (remove a replaced file, send a mail...)."""
        self._after_commit.append((callback, args))

    def on_rollback(self, callback: Callable, *args: Any) -> None:
        """Run if the work is rolled back (remove a file written for a row that never was)."""
        self._on_rollback.append((callback, args))

    def __enter__(self) -> "UnitOfWork":
        return self

    def __exit__(self, exc_type, exc, _tb) -> bool:
        if exc is None:
            try:
                db.session.commit()
            except SQLAlchemyError as commit_error:
                if not is_outage(commit_error):
                    return self._fail(commit_error)
                # The commit may have reached the database before the connection broke: keep
                # the files (an orphan file is harmless, a saved row without its file is not).
                self._roll_back(undo_outside=False)
                raise
            self.committed = True
            for callback, args in self._after_commit:
                callback(*args)
            return False
        if is_outage(exc):
            self._roll_back()
            return False  # not a refusal to flash: the error page says the database is away
        if isinstance(exc, (Refusal, ValidationError, SQLAlchemyError)):
            return self._fail(exc)
        self._roll_back()
        return False  # a bug: let it surface

    def _fail(self, exc: Exception) -> bool:
        self._roll_back()
        self.error = user_message(exc)
        self.conflict = is_conflict(exc)
        if self.conflict:
            log.warning("A transaction collided with another one: %s", exc.orig)
        elif isinstance(exc, SQLAlchemyError) and not isinstance(exc, IntegrityError):
            log.exception("The database refused a change", exc_info=exc)
        if self.flash_errors:
            flash(self.error, "error")
        return True

    def _roll_back(self, undo_outside: bool = True) -> None:
        try:
            db.session.rollback()
        except DATABASE_UNAVAILABLE:  # the server already dropped the transaction with the line
            log.warning("Rollback on a lost database connection failed", exc_info=True)
        if undo_outside:
            for callback, args in self._on_rollback:
                callback(*args)


def unit_of_work(flash_errors: bool = True) -> UnitOfWork:
    """A context manager that commits the work done inside it, or rolls it all back."""
    return UnitOfWork(flash_errors)


def retried(step: Callable[[], T],
            attempts: int = CONFLICT_ATTEMPTS) -> tuple[T | None, UnitOfWork]:
    """`step()` in a unit of work of its own (nothing flashed), run again while the database
    aborts it for colliding with another transaction: for writers no one is there to press
    "try again" for (an import's batch, a delivery's bookkeeping). `step` must start from the
    database each time (the rollback expired what it had loaded). Its result and the last
    unit of work; the result is None unless that committed."""
    for attempt in range(1, attempts + 1):
        with unit_of_work(flash_errors=False) as work:
            result = step()
        if work.committed:
            return result, work
        if not work.conflict or attempt == attempts:
            break
        # Reviewed (bandit B311): a jitter between two attempts, not a secret.
        time.sleep(random.uniform(0, CONFLICT_JITTER_SECONDS * attempt))  # nosec B311
    return None, work


def is_outage(exc: BaseException) -> bool:
    """The database is away or busy (the 503 page), not refusing nor colliding."""
    return isinstance(exc, DATABASE_UNAVAILABLE) and not is_conflict(exc)


def user_message(exc: Exception) -> Markup:
    """What to tell the user about a refused change; Markup (links) in a refusal is kept."""
    if is_conflict(exc):
        return escape(_("Nothing was saved: another change to the same records was being saved "
                        "at the same moment. Please try again."))
    if isinstance(exc, IntegrityError):
        return escape(integrity_message(exc))
    if isinstance(exc, SQLAlchemyError):
        return escape(_("Nothing was saved: the database refused the change. Please try again."))
    messages = getattr(exc, "messages", None)
    if messages:
        return Markup(" ").join(escape(m) for m in messages)
    first = exc.args[0] if exc.args else str(exc)
    return first if isinstance(first, Markup) else escape(str(first))


def integrity_message(exc: IntegrityError) -> str:
    """A sentence a user understands for a constraint the database refused."""
    text = str(getattr(exc, "orig", exc))
    lowered = text.lower()
    if "unique" in lowered or "duplicate key" in lowered:
        match = re.search(r"UNIQUE constraint failed: [\w.]+\.(\w+)|\((\w+)\)=", text)
        field = next((g for g in (match.groups() if match else ()) if g), "")
        if field:
            return _("Another record already uses this value (%(field)s). Nothing was saved.",
                     field=field.replace("_", " "))
        return _("Another record already uses this value. Nothing was saved.")
    if "foreign key" in lowered:
        return _("Other records still depend on this one, so the database refused. "
                 "Nothing changed.")
    if "check" in lowered:
        match = re.search(r"ck_\w+", text)
        if match:
            return _("A value is outside what is allowed (%(rule)s). Nothing was saved.",
                     rule=match.group(0))
        return _("A value is outside what is allowed. Nothing was saved.")
    return _("The database refused the change. Nothing was saved.")
