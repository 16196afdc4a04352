"""Call-backs as reminders on the dashboard (overdue, today, upcoming; done, snooze), the agenda
by week and month, and the private calendar feed (its content; revoked, it answers 404)."""
from datetime import datetime, time, timedelta

from icalendar import Calendar

from admin_app.extensions import db
from admin_app.models import AuditLog, CalendarFeed, Exchange
from admin_app.services.calendar import local_now


def _call(company, author, title, callback_at, **fields):
    exchange = Exchange(company=company, author_id=author.id, kind="call", title=title,
                        occurred_at=callback_at - timedelta(days=30), callback_at=callback_at,
                        **fields)
    db.session.add(exchange)
    db.session.commit()
    return exchange


def _meeting(company, author, title, starts_at, **fields):
    exchange = Exchange(company=company, author_id=author.id, kind="meeting", title=title,
                        occurred_at=starts_at, starts_at=starts_at,
                        ends_at=starts_at + timedelta(hours=1), ics_uid=f"{title}@test",
                        **fields)
    db.session.add(exchange)
    db.session.commit()
    return exchange


def _sections(html: str, group: str) -> str:
    start = html.index(f'data-reminder-group="{group}"')
    return html[start:html.find('data-reminder-group', start + 30)]


def test_the_dashboard_shows_my_reminders_overdue_today_and_upcoming(
        admin_client, admin_user, normal_user, make_company):
    now = local_now()
    company = make_company("Initech")
    managed = make_company("Managed Co", account_manager_id=admin_user.id)
    _call(company, admin_user, "Late call", now - timedelta(days=2))
    _call(company, admin_user, "Later today",
          max(now + timedelta(minutes=1), datetime.combine(now.date(), time(23, 58))))
    _call(company, admin_user, "Next week", now + timedelta(days=7))
    _call(managed, normal_user, "Their call on my client", now + timedelta(days=3))
    _call(company, normal_user, "Someone else's", now + timedelta(days=1))
    _call(company, admin_user, "Already done", now - timedelta(days=1), callback_done_at=now)
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert "Late call" in _sections(html, "overdue")
    assert "Later today" in _sections(html, "today")
    upcoming = _sections(html, "upcoming")
    assert "Next week" in upcoming and "Their call on my client" in upcoming
    assert "Someone else&#39;s" not in html and "Already done" not in html


def test_done_and_snooze_from_the_dashboard(admin_client, admin_user, make_company):
    now = local_now()
    company = make_company()
    late = _call(company, admin_user, "Late call", now - timedelta(days=2))
    other = _call(company, admin_user, "Snooze me", now - timedelta(hours=3))
    response = admin_client.post("/admin/agenda/reminder/done/",
                                 data={"exchange": str(late.id), "back": "dashboard"},
                                 follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Call-back marked done." in html and "Late call" not in html
    response = admin_client.post("/admin/agenda/reminder/snooze/",
                                 data={"exchange": str(other.id), "until": "tomorrow",
                                       "back": "dashboard"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "You will be reminded on" in html and "Snooze me" in _sections(html, "upcoming")
    db.session.expire_all()
    snoozed = db.session.get(Exchange, other.id).callback_at
    assert snoozed == datetime.combine(now.date() + timedelta(days=1), time(9))
    assert db.session.get(Exchange, late.id).callback_done_at is not None
    assert db.session.query(AuditLog).filter(AuditLog.entity_type == "Exchange").count() == 2


def test_someone_elses_reminder_cannot_be_done_or_snoozed(user_client, admin_user,
                                                          make_company):
    company = make_company()
    theirs = _call(company, admin_user, "Admin's call", local_now() + timedelta(days=1))
    for url, data in (("/admin/agenda/reminder/done/", {}),
                      ("/admin/agenda/reminder/snooze/", {"until": "1h"})):
        response = user_client.post(url, data={"exchange": str(theirs.id), **data},
                                    follow_redirects=True)
        assert "This reminder is not yours." in response.get_data(as_text=True)
    response = user_client.post("/admin/agenda/reminder/done/", data={"exchange": "x" * 300},
                                follow_redirects=True)
    assert "No such reminder." in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Exchange, theirs.id).callback_done_at is None


def test_the_agenda_shows_reminders_and_meetings_by_week_and_month(
        admin_client, admin_user, normal_user, make_company):
    company = make_company("Umbrella")
    monday = datetime(2027, 3, 8, 9, 30)
    _call(company, admin_user, "Call Umbrella back", monday)
    meeting = _meeting(company, admin_user, "Quarterly review", monday + timedelta(days=2))
    _meeting(company, normal_user, "Not mine", monday + timedelta(days=1))
    invited = _meeting(company, normal_user, "Invited to", monday + timedelta(days=3))
    invited.attendee_users.append(admin_user)
    db.session.commit()
    html = admin_client.get("/admin/agenda/?view=week&date=2027-03-10").get_data(as_text=True)
    assert 'data-agenda="week"' in html
    assert 'data-day="2027-03-08"' in html and 'data-day="2027-03-14"' in html
    assert "Call Umbrella back" in html and "Quarterly review" in html and "Invited to" in html
    assert "Not mine" not in html
    assert f'href="/admin/company/card/?id={company.id}#exchanges"' in html
    month = admin_client.get("/admin/agenda/?view=month&date=2027-03-01").get_data(as_text=True)
    assert 'data-agenda="month"' in month and "Quarterly review" in month
    assert 'data-day="2027-03-31"' in month
    other_week = admin_client.get("/admin/agenda/?date=2027-04-20").get_data(as_text=True)
    assert "Quarterly review" not in other_week and "data-empty" in other_week
    # An admin can look at another user's agenda; a user cannot.
    theirs = admin_client.get(f"/admin/agenda/?date=2027-03-10&user={normal_user.id}")
    assert "Not mine" in theirs.get_data(as_text=True)
    assert meeting.title not in theirs.get_data(as_text=True)


def test_a_user_only_sees_their_own_agenda(user_client, admin_user, normal_user, make_company):
    company = make_company()
    _meeting(company, admin_user, "Admin only", datetime(2027, 3, 9, 10))
    html = user_client.get(f"/admin/agenda/?date=2027-03-09&user={admin_user.id}").get_data(
        as_text=True)
    assert "Admin only" not in html and 'data-agenda-user' not in html
    for junk in ("?date=2027-13-45", "?date=x" * 50, "?view=<script>", "?user=abc"):
        assert user_client.get(f"/admin/agenda/{junk}").status_code == 200


def test_the_feed_serves_my_meetings_and_reminders_and_stops_when_revoked(
        app, admin_client, admin_user, normal_user, make_company):
    company = make_company("Feedco")
    soon = datetime.combine(local_now().date() + timedelta(days=3), time(10))
    meeting = _meeting(company, admin_user, "Feed meeting", soon, location="HQ",
                       body="<p>secret notes</p>")
    _call(company, admin_user, "Feed call", soon + timedelta(hours=4))
    _meeting(company, normal_user, "Someone else's meeting", soon)
    html = admin_client.get("/admin/agenda/").get_data(as_text=True)
    assert 'data-ics-feed-status="off"' in html
    response = admin_client.post("/admin/agenda/feed/renew/", follow_redirects=True)
    html = response.get_data(as_text=True)
    url = html.split('data-ics-feed')[0].rsplit('href="', 1)[1].split('"')[0]
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    feed = db.session.query(CalendarFeed).one()
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    anonymous = app.test_client()
    answer = anonymous.get(f"/calendar/{token}.ics")
    assert answer.status_code == 200 and answer.mimetype == "text/calendar"
    calendar = Calendar.from_ical(answer.data)
    summaries = sorted(str(e["SUMMARY"]) for e in calendar.walk("VEVENT"))
    assert summaries == ["Call back Feedco: Feed call", "Feed meeting"]
    event = next(e for e in calendar.walk("VEVENT") if str(e["SUMMARY"]) == "Feed meeting")
    assert str(event["UID"]) == meeting.ics_uid and event["DTSTART"].params["TZID"]
    assert b"secret notes" not in answer.data and b"Someone else" not in answer.data
    assert "ATTENDEE" not in event and "ORGANIZER" not in event and b"mailto:" not in answer.data

    # Renewing gives a new address and kills the old one; revoking kills the feed.
    admin_client.post("/admin/agenda/feed/renew/")
    assert anonymous.get(f"/calendar/{token}.ics").status_code == 404
    response = admin_client.post("/admin/agenda/feed/revoke/", follow_redirects=True)
    assert "Calendar feed turned off" in response.get_data(as_text=True)
    assert db.session.query(CalendarFeed).count() == 0
    for junk in ("nope", "x" * 500, token):
        assert anonymous.get(f"/calendar/{junk}.ics").status_code == 404


def test_a_meeting_recorded_without_invitation_still_has_a_uid_in_the_feed(
        app, admin_client, admin_user, make_company):
    company = make_company("Plainco")
    soon = datetime.combine(local_now().date() + timedelta(days=1), time(10))
    plain = Exchange(company=company, author_id=admin_user.id, kind="meeting",
                     title="Plain meeting", occurred_at=soon, starts_at=soon)
    db.session.add(plain)
    db.session.commit()
    html = admin_client.post("/admin/agenda/feed/renew/", follow_redirects=True).get_data(
        as_text=True)
    url = html.split('data-ics-feed')[0].rsplit('href="', 1)[1].split('"')[0]
    answer = app.test_client().get(url.split("localhost", 1)[-1])
    [event] = Calendar.from_ical(answer.data).walk("VEVENT")
    assert str(event["UID"]) == f"meeting-{plain.id}@backoffice"
