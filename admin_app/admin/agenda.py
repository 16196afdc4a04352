"""The agenda (/admin/agenda/): reminders and meetings by week or month, mine by default and
another user's for admins; the reminders' done and snooze buttons; the calendar feed controls."""
import calendar as month_calendar
from datetime import date, timedelta

from flask import abort, flash, redirect, request, session, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user

from ..extensions import db
from ..ids import parse_id
from ..models import Exchange, User
from ..services.calendar import local_now
from ..services.calendar_feed import feed_of, renew_feed, revoke_feed, token_hash
from ..services.reminders import SNOOZES, agenda_items, mark_done, snooze
from ..unit_of_work import unit_of_work
from .base import SecureBaseView

FEED_SESSION_KEY = "calendar_feed_token"


def _day(raw) -> date:
    try:
        return date.fromisoformat(raw) if raw and len(raw) == 10 else local_now().date()
    except ValueError:
        return local_now().date()


def _period(view: str, day: date) -> tuple[date, date, list[list[date]]]:
    """First and last day shown, and the days by week (one week, or the month's weeks)."""
    if view == "month":
        weeks = month_calendar.Calendar(firstweekday=0).monthdatescalendar(day.year, day.month)
        return weeks[0][0], weeks[-1][-1], weeks
    monday = day - timedelta(days=day.weekday())
    week = [monday + timedelta(days=i) for i in range(7)]
    return week[0], week[-1], [week]


class AgendaView(SecureBaseView):

    @expose("/")
    def index(self):
        view = "month" if request.args.get("view") == "month" else "week"
        day = _day(request.args.get("date"))
        owner = current_user
        if current_user.is_admin and request.args.get("user"):
            owner = db.session.get(User, parse_id(request.args.get("user")) or 0) or abort(404)
        first, last, weeks = _period(view, day)
        items = agenda_items(owner.id, first, last)
        by_day: dict[date, list] = {}
        for item in items:
            by_day.setdefault(item.at.date(), []).append(item)
        if view == "week":
            previous, following = day - timedelta(days=7), day + timedelta(days=7)
        else:
            previous = (day.replace(day=1) - timedelta(days=1)).replace(day=1)
            following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        feed = feed_of(current_user)
        token = session.get(FEED_SESSION_KEY)
        feed_url = url_for("calendar_feed.feed", token=token, _external=True) \
            if feed and token and token_hash(token) == feed.token_hash else None
        users = db.session.query(User).order_by(User.full_name, User.email).all() \
            if current_user.is_admin else []
        return self.render("admin/agenda.html", view=view, day=day, weeks=weeks, by_day=by_day,
                           items=items, owner=owner, users=users, today=local_now().date(),
                           previous=previous, following=following, feed=feed,
                           feed_url=feed_url, snoozes=SNOOZES)

    def _back(self):
        if request.form.get("back") == "dashboard":
            return redirect(url_for("admin.index"))
        return redirect(url_for(".index", view=request.form.get("view"),
                                date=request.form.get("date")))

    @expose("/reminder/done/", methods=("POST",))
    def reminder_done(self):
        exchange = db.session.get(Exchange, parse_id(request.form.get("exchange")) or 0)
        with unit_of_work() as work:
            mark_done(exchange, current_user)
        if work.committed:
            flash(_("Call-back marked done."), "success")
        return self._back()

    @expose("/reminder/snooze/", methods=("POST",))
    def reminder_snooze(self):
        exchange = db.session.get(Exchange, parse_id(request.form.get("exchange")) or 0)
        with unit_of_work() as work:
            later = snooze(exchange, current_user, request.form.get("until", ""))
        if work.committed:
            flash(_("You will be reminded on %(when)s.", when=later.strftime("%d/%m/%Y %H:%M")),
                  "success")
        return self._back()

    @expose("/feed/renew/", methods=("POST",))
    def feed_renew(self):
        with unit_of_work() as work:
            token = renew_feed(current_user)
        if work.committed:
            # Only the hash is stored: the address is shown in this session, then never again.
            session[FEED_SESSION_KEY] = token
            flash(_("Your calendar feed address is ready: copy it now, it is shown only during "
                    "this session. Any previous address no longer works."), "success")
        return redirect(url_for(".index"))

    @expose("/feed/revoke/", methods=("POST",))
    def feed_revoke(self):
        with unit_of_work() as work:
            existed = revoke_feed(current_user)
        if work.committed:
            session.pop(FEED_SESSION_KEY, None)
            flash(_("Calendar feed turned off: its address no longer works.") if existed
                  else _("You had no calendar feed."), "success")
        return redirect(url_for(".index"))
