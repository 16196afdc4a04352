"""Sending an email from the card, and retrying a message that failed."""
from flask import flash, redirect, request
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import SelectField, SelectMultipleField, StringField, TextAreaField, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..delivery import deliver, deliver_after_commit
from ..errors import Refusal
from ..extensions import db
from ..ids import parse_id
from ..models import Exchange, User
from ..services.card_edit import discard_file, human_size, store_document
from ..services.exchange_mail import (
    EmailValues, attachable_documents, default_recipient, exchange_templates, render_template,
    send_email,
)
from ..services.html import safe_html
from ..services.outbox import retryable
from ..services.settings import get_setting, upload_limit_bytes
from ..unit_of_work import unit_of_work
from .base import SecureBaseView
from .company_pages import card_url, follow_merge_message, live_company_or_redirect


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EmailForm(FlaskForm):
    contact = SelectField(_l("To"), coerce=str, validate_choice=False)
    cc = CheckboxesField(_l("In copy"), coerce=str, validate_choice=False)
    email_template = SelectField(_l("Template"), coerce=str, validate_choice=False)
    title = StringField(_l("Subject"), [Optional(), Length(max=200)])
    body = TextAreaField(_l("Message"), [Optional(), Length(max=100000)],
                         render_kw={"data-rich-text": "", "rows": 8, "aria-label": "Message"})
    attachments = CheckboxesField(_l("Attachments"), coerce=str, validate_choice=False)
    upload = FileField(_l("Attach a new file"))
    internal_recipients = CheckboxesField(_l("Internal copy to"), coerce=str, validate_choice=False)


def _ids(values) -> list[int]:
    """Ids from a multiple choice; one that is not an id is refused."""
    ids = [parse_id(v) for v in values or []]
    if None in ids:
        raise Refusal(_("A choice in the form is not valid; reload the page."))
    return ids


def _fill_choices(form: EmailForm, company) -> None:
    with_email = [c for c in company.contacts if c.email]
    form.contact.choices = [SelectChoice(str(c.id), f"{c.full_name} <{c.email}>")
                            for c in with_email]
    form.cc.choices = [(str(c.id), f"{c.full_name} <{c.email}>") for c in with_email]
    form.email_template.choices = [SelectChoice("", _("— no template —"))] + [
        SelectChoice(str(t.id), t.name) for t in exchange_templates()]
    form.attachments.choices = [
        (str(d.id), f"{d.title or d.original_name} ({human_size(d.size_bytes or 0)})"
                    + ("" if d.company_id else _(" — shared")))
        for d in attachable_documents(company)]
    if get_setting("send_exchange_internally"):
        users = db.session.query(User).filter(User.is_active.is_(True)).order_by(User.email)
        form.internal_recipients.choices = [(str(u.id), str(u)) for u in users]
    else:
        del form.internal_recipients


class CardMail(SecureBaseView):
    """The email form at /admin/company/card/email/?id=N (the card's `send-email` link)."""

    @expose("/email/", methods=("GET", "POST"))
    def email(self):
        company, moved = live_company_or_redirect("card.index", follow_merge_message("change"),
                                                  keep_args=False)
        if moved:
            return moved
        try:
            form = EmailForm()
            _fill_choices(form, company)
            valid = form.validate_on_submit()
        except RequestEntityTooLarge:
            flash(_("The file is too large."), "error")
            return redirect(card_url(company, "exchanges"))
        if request.method == "GET":
            recipient = default_recipient(company)
            form.contact.data = str(recipient.id) if recipient else ""
            default = next((t for t in exchange_templates() if t.is_default), None)
            form.email_template.data = str(default.id) if default else ""
        elif valid and "fill_template" in request.form:
            self._fill_from_template(form, company)
        elif valid:
            sent = self._send(form, company)
            if sent:
                return sent
        return self.render("admin/card/email_form.html", company=company, form=form,
                           title=_("Send an email"), card_url=card_url(company, "exchanges"),
                           limit=human_size(upload_limit_bytes()), safe_html=safe_html)

    def _fill_from_template(self, form, company) -> None:
        template = next((t for t in exchange_templates()
                         if str(t.id) == form.email_template.data), None)
        if template is None:
            flash(_("Choose a template first."), "error")
            return
        contact = next((c for c in company.contacts if str(c.id) == form.contact.data), None)
        try:
            rendered = render_template(template, company, contact, current_user)
        except Refusal as problem:
            flash(_("The template “%(name)s” cannot be used: %(problem)s",
                    name=template.name, problem=str(problem)), "error")
            return
        form.title.data, form.body.data = rendered["subject"], rendered["html"]

    def _send(self, form, company):
        with unit_of_work() as work:
            uploaded = None
            upload = form.upload.data
            if upload is not None and getattr(upload, "filename", ""):
                uploaded = store_document(company, current_user, upload)
                work.on_rollback(discard_file, uploaded.file)
            values = EmailValues(
                contact_id=parse_id(form.contact.data), title=form.title.data or "",
                body=form.body.data or "", cc_ids=_ids(form.cc.data),
                template_id=_ids([form.email_template.data])[0] if form.email_template.data
                else None, attachment_ids=_ids(form.attachments.data),
                # Read from the request when the field is not offered, so the service refuses it.
                internal_ids=_ids(form.internal_recipients.data if "internal_recipients" in form
                                  else request.form.getlist("internal_recipients")))
            exchange, outbox_ids = send_email(company, current_user, values, uploaded)
            work.after_commit(deliver_after_commit, outbox_ids)
        if not work.committed:
            return None
        db.session.refresh(exchange)
        if exchange.email_status == "failed":
            flash(_("The email is kept but could not be sent: %(error)s. It will be retried; "
                    "you can also retry it from the card.", error=exchange.send_error), "error")
        elif exchange.email_status == "sent":
            flash(_("Email sent to %(to)s.", to=exchange.email_to), "success")
        else:
            flash(_("Email to %(to)s queued for sending.", to=exchange.email_to), "success")
        return redirect(card_url(company, "exchanges"))

    @expose("/email/retry/", methods=("POST",))
    def retry_email(self):
        """Retry now the failed messages of one exchange (the card's Retry button)."""
        company, moved = live_company_or_redirect("card.index", follow_merge_message("change"),
                                                  keep_args=False)
        if moved:
            return moved
        exchange = db.session.get(Exchange, parse_id(request.form.get("exchange")) or 0)
        if exchange is None or exchange.company_id != company.id:
            flash(_("No such email on this card."), "error")
            return redirect(card_url(company, "exchanges"))
        rows = [r for r in exchange.outbox_messages if r.status != "sent"]
        with unit_of_work() as work:
            if not rows:
                raise Refusal(_("This email was already sent; it is not sent twice."))
            for row in rows:
                retryable(row)
        if work.committed:
            statuses = [deliver(row.id, manual=True) for row in rows]
            db.session.refresh(exchange)
            if all(s == "sent" for s in statuses):
                flash(_("Invitation sent.") if exchange.kind == "meeting"
                      else _("Email sent to %(to)s.", to=exchange.email_to), "success")
            else:
                flash(_("Sending failed again: %(error)s", error=exchange.send_error
                        or _("see the Outbox")), "error")
        return redirect(card_url(company, "exchanges"))
