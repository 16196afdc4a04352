"""Payment reminders for overdue invoices: an email to the billing contact from the default
"payment reminder" template, with the invoice's PDF, recorded as an `email` exchange and sent
through the outbox (after the commit). Call-back reminders are services/reminders.py."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..errors import Refusal
from ..extensions import db
from ..models import Company, EmailTemplate, Exchange, Invoice, User
from . import audit
from .calendar import local_now
from .exchange_mail import default_recipient
from .exchanges import check_exchange
from .mail_message import Attachment, Draft, build, sender_address
from .outbox import queue
from .pdf import document_pdf, pdf_filename
from .template_vars import build_context
from .templates import groups_for, render_email

PURPOSE = "payment_reminder"


class ReminderRefused(Refusal):
    """A payment reminder that cannot be sent, with the reason shown to the user."""


@dataclass
class Sent:
    """What a batch of reminders did: exchanges created, outbox rows to deliver, refusals."""

    exchanges: list[Exchange] = field(default_factory=list)
    outbox_ids: list[int] = field(default_factory=list)
    skipped: list[tuple[Invoice, str]] = field(default_factory=list)


def reminder_template() -> EmailTemplate:
    template = db.session.scalar(select(EmailTemplate).where(
        EmailTemplate.purpose == PURPOSE, EmailTemplate.is_default))
    if template is None:
        raise ReminderRefused(_("There is no default “payment reminder” email template: add one "
                                "in Templates."))
    return template


def send_payment_reminder(invoice: Invoice, author: User,
                          template: EmailTemplate | None = None) -> tuple[Exchange, int]:
    """Record and queue the reminder of one overdue invoice; (exchange, outbox id)."""
    if not invoice.is_overdue:
        raise ReminderRefused(_("Invoice %(number)s is not overdue: no reminder is sent.",
                                number=invoice.number or _("draft")))
    company: Company = invoice.company
    contact = default_recipient(company)
    if contact is None:
        raise ReminderRefused(_("%(company)s has no contact with an email address.",
                                company=company.name))
    template = template or reminder_template()
    context = build_context(groups_for("email", PURPOSE), company=company, contact=contact,
                            user=author, document=invoice)
    rendered = render_email(template.subject, template.body, context)
    exchange = Exchange(company_id=company.id, company=company, contact=contact,
                        author_id=author.id, kind="email", title=rendered["subject"][:200],
                        body=rendered["html"], occurred_at=local_now(), email_status="draft",
                        email_to=contact.email, email_template_id=template.id)
    check_exchange(exchange)
    db.session.add(exchange)
    db.session.flush()
    pdf = Attachment(pdf_filename(invoice), document_pdf(invoice), "application/pdf")
    message = build(Draft(to=[contact.email], subject=rendered["subject"], html=rendered["html"],
                          reply_to=author.email, attachments=[pdf]),
                    sender_address(current_app.config["MAIL_DEFAULT_SENDER"]))
    row = queue(message, exchange)
    audit.record("create", exchange, summary=f"Payment reminder of invoice {invoice.number} to "
                 f"{contact.email}"[:300])
    return exchange, row.id


def send_payment_reminders(invoice_ids: list[int], author: User) -> Sent:
    """Remind every overdue invoice among `invoice_ids`; the others are listed with the reason."""
    sent = Sent()
    template = reminder_template()
    invoices = db.session.scalars(
        select(Invoice).where(Invoice.id.in_(invoice_ids)).order_by(Invoice.id)
        .options(selectinload(Invoice.payments), selectinload(Invoice.credit_notes),
                 selectinload(Invoice.credit_uses))).all()
    for invoice in invoices:
        try:
            exchange, outbox_id = send_payment_reminder(invoice, author, template)
        except ReminderRefused as refused:
            sent.skipped.append((invoice, str(refused)))
            continue
        sent.exchanges.append(exchange)
        sent.outbox_ids.append(outbox_id)
    return sent
