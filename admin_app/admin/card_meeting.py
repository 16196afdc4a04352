"""Planning, moving and cancelling a meeting from the card, with its calendar invitation."""
from flask_babel import lazy_gettext as _l
from flask import abort, flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from ..delivery import deliver_after_commit
from ..errors import Refusal
from ..extensions import db
from ..ids import parse_id
from ..models import Exchange, User
from ..services.meetings import MeetingValues, cancel_meeting, save_meeting
from ..services.settings import get_setting
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .card_forms import DATETIME_FORMATS
from .card_mail import CheckboxesField
from .company_pages import card_url, follow_merge_message, live_company_or_redirect


class MeetingForm(FlaskForm):
    title = StringField(_l("Title"), [InputRequired(_l("The title is required.")), Length(max=200)])
    starts_at = DateTimeLocalField(_l("Starts"), [InputRequired(_l("The start is required."))],
                                   format=DATETIME_FORMATS)
    ends_at = DateTimeLocalField(_l("Ends"), [Optional()], format=DATETIME_FORMATS)
    location = StringField(_l("Location"), [Optional(), Length(max=200)])
    attendees = CheckboxesField(_l("Attendees"), coerce=str, validate_choice=False)
    body = TextAreaField(_l("Agenda / notes"), [Optional(), Length(max=20000)],
                         render_kw={"data-rich-text": "", "rows": 4, "aria-label": "Notes"})
    send_invitation = BooleanField(_l("Send a calendar invitation to the attendees"))


def _attendee_ids(values, prefix: str) -> list[int]:
    ids = [parse_id(v[1:]) for v in values or [] if v[:1] == prefix]
    if None in ids or any(v[:1] not in ("c", "u") for v in values or []):
        raise Refusal(_("A choice in the form is not valid; reload the page."))
    return ids


class CardMeeting(SecureBaseView):
    """/admin/company/card/meeting/?id=N[&meeting=M] (the card's `new-meeting` link)."""

    def _meeting(self, company) -> Exchange | None:
        raw = request.args.get("meeting")
        if not raw:
            return None
        meeting = db.session.get(Exchange, parse_id(raw) or 0)
        if meeting is None or meeting.company_id != company.id or meeting.kind != "meeting":
            abort(404)
        return meeting

    @expose("/meeting/", methods=("GET", "POST"))
    def meeting(self):
        company, moved = live_company_or_redirect("card.index", follow_merge_message("change"),
                                                  keep_args=False)
        if moved:
            return moved
        meeting = self._meeting(company)
        form = MeetingForm(obj=meeting if request.method == "GET" else None)
        form.attendees.choices = (
            [(f"c{c.id}", f"{c.full_name}" + (f" <{c.email}>" if c.email else _(" (no email)")))
             for c in company.contacts]
            + [(f"u{u.id}", _("%(name)s (user)", name=u)) for u in db.session.query(User)
               .filter(User.is_active.is_(True)).order_by(User.full_name, User.email)])
        if meeting is not None:
            form.send_invitation.label.text = _("Send the change to the attendees")
        if request.method == "GET":
            form.send_invitation.data = bool(meeting and meeting.send_invitation)
            form.attendees.data = ([f"c{c.id}" for c in meeting.attendee_contacts]
                                   + [f"u{u.id}" for u in meeting.attendee_users]) if meeting \
                else [f"u{current_user.id}"]
        if form.validate_on_submit():
            with unit_of_work() as work:
                values = MeetingValues(
                    title=form.title.data or "", starts_at=form.starts_at.data,
                    ends_at=form.ends_at.data, location=form.location.data or "",
                    body=form.body.data or "",
                    contact_ids=_attendee_ids(form.attendees.data, "c"),
                    user_ids=_attendee_ids(form.attendees.data, "u"),
                    send_invitation=form.send_invitation.data)
                saved, outbox_ids = save_meeting(company, current_user, values, meeting)
                work.after_commit(deliver_after_commit, outbox_ids)
            if work.committed:
                self._flash_result(saved, bool(outbox_ids), meeting is None)
                return redirect(card_url(company, "exchanges"))
        return self.render("admin/card/meeting_form.html", company=company, form=form,
                           meeting=meeting, zone=get_setting("time_zone"),
                           title=_("Edit the meeting") if meeting else _("Plan a meeting"),
                           card_url=card_url(company, "exchanges"))

    @staticmethod
    def _flash_result(meeting, invited: bool, created: bool) -> None:
        db.session.refresh(meeting)
        saved = _("Meeting planned.") if created else _("Meeting updated.")
        if not invited:
            flash(saved, "success")
        elif meeting.email_status == "failed":
            flash(saved + " " + _("The invitation could not be sent: %(error)s. It will be "
                                  "retried.", error=meeting.send_error), "error")
        elif meeting.email_status == "sent":
            flash(saved + " " + _("Invitation sent."), "success")
        else:
            flash(saved + " " + _("Invitation queued for sending."), "success")

    @expose("/meeting/cancel/", methods=("POST",))
    def cancel_meeting(self):
        company, moved = live_company_or_redirect("card.index", follow_merge_message("change"),
                                                  keep_args=False)
        if moved:
            return moved
        meeting = self._meeting(company)
        if meeting is None:
            abort(404)
        with unit_of_work() as work:
            outbox_ids = cancel_meeting(meeting)
            work.after_commit(deliver_after_commit, outbox_ids)
        if work.committed:
            flash(_("Meeting cancelled; the attendees were sent a cancellation.") if outbox_ids
                  else _("Meeting cancelled."), "success")
        return redirect(card_url(company, "exchanges"))
