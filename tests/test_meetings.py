"""Meetings from the card: attendees, and iCalendar invitations that reach a real SMTP server
(METHOD, a stable UID, SEQUENCE raised on change, organiser, attendees, zoned times)."""
from icalendar import Calendar

from admin_app.extensions import db
from admin_app.models import Exchange, OutboxMessage
from admin_app.services.settings import set_setting

from tests.mail_support import add_contacts, parts


def meeting_url(company, meeting=None) -> str:
    return f"/admin/company/card/meeting/?id={company.id}" + (f"&meeting={meeting.id}"
                                                              if meeting else "")


def _ics(message):
    [part] = parts(message)[3]
    return part, Calendar.from_ical(part.get_payload(decode=True))


def _event(calendar):
    [event] = calendar.walk("VEVENT")
    return event


def _plan(client, company, attendees, **fields):
    meeting = fields.pop("meeting", None)
    data = {"title": "Kick-off", "starts_at": "2027-03-10T10:00", "ends_at": "2027-03-10T11:30",
            "location": "Their office", "attendees": attendees, "send_invitation": "y",
            **fields}
    return client.post(meeting_url(company, meeting), data=data,
                       follow_redirects=True)


def test_the_card_links_to_the_meeting_form(admin_client, make_company):
    company = make_company()
    card = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert f'href="/admin/company/card/meeting/?id={company.id}" data-action="new-meeting"' in card
    form = admin_client.get(meeting_url(company)).get_data(as_text=True)
    for name in ("starts_at", "ends_at", "location", "attendees", "send_invitation"):
        assert f'name="{name}"' in form


def test_an_invitation_reaches_the_attendees_with_method_uid_sequence_and_zone(
        admin_client, make_company, smtp_server, admin_user, make_user):
    set_setting("time_zone", "America/New_York")
    db.session.commit()
    colleague = make_user("col@our-company.example", full_name="Col League")
    company = make_company()
    billing, other, silent = add_contacts(company)
    response = _plan(admin_client, company, [f"c{billing.id}", f"c{silent.id}",
                                             f"u{colleague.id}"])
    assert "Meeting planned. Invitation sent." in response.get_data(as_text=True)
    [message] = smtp_server.messages
    assert sorted(message.envelope_to) == ["bea@client.example", "col@our-company.example"]
    assert message["Subject"] == "Invitation: Kick-off"
    part, calendar = _ics(message)
    assert part.get_param("method") == "REQUEST" and calendar["METHOD"] == "REQUEST"
    event = _event(calendar)
    meeting = db.session.query(Exchange).one()
    assert str(event["UID"]) == meeting.ics_uid and int(event["SEQUENCE"]) == 0
    assert str(event["ORGANIZER"]) == f"mailto:{admin_user.email}"
    assert sorted(str(a) for a in event["ATTENDEE"]) == ["mailto:bea@client.example",
                                                         "mailto:col@our-company.example"]
    starts = event.decoded("DTSTART")
    assert (starts.hour, starts.minute, str(starts.tzinfo)) == (10, 0, "America/New_York")
    assert event["DTSTART"].params["TZID"] == "America/New_York"
    assert calendar.walk("VTIMEZONE")  # the zone travels with the invitation
    assert event.decoded("DTEND").hour == 11 and str(event["LOCATION"]) == "Their office"


def test_moving_a_meeting_sends_an_update_with_the_same_uid_and_a_higher_sequence(
        admin_client, make_company, smtp_server):
    company = make_company()
    billing, other, _s = add_contacts(company)
    _plan(admin_client, company, [f"c{billing.id}", f"c{other.id}"])
    meeting = db.session.query(Exchange).one()
    response = _plan(admin_client, company, [f"c{billing.id}"], meeting=meeting,
                     starts_at="2027-03-11T15:00", ends_at="2027-03-11T16:00")
    assert "Meeting updated. Invitation sent." in response.get_data(as_text=True)
    first, update, removed = smtp_server.messages
    assert _event(_ics(first)[1])["UID"] == _event(_ics(update)[1])["UID"]
    assert int(_event(_ics(update)[1])["SEQUENCE"]) == 1
    assert _event(_ics(update)[1]).decoded("DTSTART").day == 11
    assert update["Subject"] == "Updated invitation: Kick-off"
    # The contact no longer invited is told the meeting is off for them.
    assert removed.envelope_to == ["carl@client.example"]
    assert _ics(removed)[1]["METHOD"] == "CANCEL"


def test_cancelling_sends_method_cancel_to_every_attendee(admin_client, make_company,
                                                          smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    _plan(admin_client, company, [f"c{billing.id}"])
    meeting = db.session.query(Exchange).one()
    response = admin_client.post(f"/admin/company/card/meeting/cancel/?id={company.id}"
                                 f"&meeting={meeting.id}", follow_redirects=True)
    assert "the attendees were sent a cancellation" in response.get_data(as_text=True)
    cancel = smtp_server.messages[-1]
    part, calendar = _ics(cancel)
    assert part.get_param("method") == "CANCEL" and calendar["METHOD"] == "CANCEL"
    event = _event(calendar)
    assert str(event["STATUS"]) == "CANCELLED" and int(event["SEQUENCE"]) == 1
    assert str(event["UID"]) == meeting.ics_uid
    db.session.expire_all()
    assert db.session.get(Exchange, meeting.id).cancelled_at is not None
    card = admin_client.get(f"/admin/company/card/?id={company.id}").get_data(as_text=True)
    assert "data-meeting-cancelled" in card
    again = admin_client.post(f"/admin/company/card/meeting/cancel/?id={company.id}"
                              f"&meeting={meeting.id}", follow_redirects=True)
    assert "already cancelled" in again.get_data(as_text=True)
    assert len(smtp_server.messages) == 2


def test_a_meeting_without_invitation_sends_nothing(admin_client, make_company, smtp_server):
    company = make_company()
    billing, _o, _s = add_contacts(company)
    response = _plan(admin_client, company, [f"c{billing.id}"], send_invitation="")
    assert "Meeting planned." in response.get_data(as_text=True)
    assert smtp_server.messages == [] and db.session.query(OutboxMessage).count() == 0


def test_an_invitation_without_any_attendee_with_an_email_is_refused(admin_client, make_company,
                                                                     smtp_server):
    company = make_company()
    _b, _o, silent = add_contacts(company)
    response = _plan(admin_client, company, [f"c{silent.id}"])
    assert "choose attendees who have an email address" in response.get_data(as_text=True)
    assert db.session.query(Exchange).count() == 0


def test_hostile_attendees_and_titles_are_refused(admin_client, make_company, smtp_server):
    company, stranger = make_company(), make_company(name="Other")
    billing, _o, _s = add_contacts(company)
    theirs, _x, _y = add_contacts(stranger)
    for attendees in ([f"c{theirs.id}"], ["x1"], ["c" + "9" * 30], ["u999999"]):
        response = _plan(admin_client, company, attendees)
        assert response.status_code == 200
        assert "Meeting planned" not in response.get_data(as_text=True)
    response = _plan(admin_client, company, [f"c{billing.id}"], location="A\r\nB")
    assert "cannot contain a line break" in response.get_data(as_text=True)
    assert db.session.query(Exchange).count() == 0 and smtp_server.messages == []
    assert admin_client.get(meeting_url(company) + "&meeting=abc").status_code == 404
