"""Emails written on the card: an `email` exchange and its outbox messages, in one transaction.

The client's message and the internal copy are separate messages, so the client never sees
internal addresses."""
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ..extensions import db
from ..models import Company, Contact, Document, EmailTemplate, Exchange, User
from . import audit
from .calendar import local_now
from ..storage import StorageKeyError, storage
from .card_edit import human_size
from .exchanges import ExchangeError, check_exchange
from .html import looks_like_html, sanitize_html, text_to_html
from .mail_message import Attachment, Draft, build, check_header, sender_address
from .outbox import queue
from .settings import get_setting, upload_limit_bytes
from .template_vars import build_context
from .templates import groups_for, render_email

EXCHANGE_PURPOSE = "exchange"


@dataclass
class EmailValues:
    contact_id: int | None
    title: str = ""
    body: str = ""
    cc_ids: list[int] = field(default_factory=list)
    template_id: int | None = None
    attachment_ids: list[int] = field(default_factory=list)
    internal_ids: list[int] = field(default_factory=list)


def exchange_templates() -> list[EmailTemplate]:
    """The email templates offered on the card (purpose "exchange"), the default first."""
    return list(db.session.scalars(
        select(EmailTemplate).where(EmailTemplate.purpose == EXCHANGE_PURPOSE)
        .order_by(EmailTemplate.is_default.desc(), EmailTemplate.name)))


def attachable_documents(company: Company) -> list[Document]:
    """The card's documents, then the shared documents, that can go with an email."""
    return list(db.session.scalars(
        select(Document).where((Document.company_id == company.id)
                               | Document.company_id.is_(None))
        .order_by(Document.company_id.is_(None), Document.title, Document.original_name)))


def default_recipient(company: Company) -> Contact | None:
    """The billing contact with an email, else the first contact with one."""
    with_email = [c for c in company.contacts if c.email]
    return next((c for c in with_email if c.is_billing_contact), with_email[0] if with_email
                else None)


def render_template(template: EmailTemplate, company: Company, contact: Contact | None,
                    user: User | None) -> dict[str, str]:
    """A template's subject and HTML body for this company, contact and sender (TemplateProblem
    when it fails: a Refusal naming the line)."""
    context = build_context(groups_for("email", template.purpose), company=company,
                            contact=contact, user=user)
    return render_email(template.subject, template.body, context)


def send_email(company: Company, author: User, values: EmailValues,
               uploaded: Document | None = None) -> tuple[Exchange, list[int]]:
    """Record the email and queue its messages; (exchange, outbox ids to deliver after commit)."""
    contact = _own_contact(company, values.contact_id, _("The recipient"))
    if contact is None or not contact.email:
        raise ExchangeError(_("Choose a recipient with an email address among the company's "
                              "contacts."))
    cc = [c for c in (_own_contact(company, i, _("A contact in copy")) for i in values.cc_ids)
          if c is not None and c.email and c.id != contact.id]
    template = _template(values.template_id)
    title, html = (values.title or "").strip(), (values.body or "").strip()
    if template is not None and (not title or not html):
        rendered = render_template(template, company, contact, author)
        title, html = title or rendered["subject"], html or rendered["html"]
    check_header(_("The subject"), title)
    html = sanitize_html(html) if looks_like_html(html) else str(text_to_html(html))
    documents = _documents(company, values.attachment_ids) + ([uploaded] if uploaded else [])
    attachments = _attachments(documents)
    internal = _internal_recipients(values.internal_ids)

    exchange = Exchange(company_id=company.id, company=company, contact=contact,
                        author_id=author.id, kind="email", title=title[:200], body=html,
                        occurred_at=local_now(), email_status="draft", email_to=contact.email,
                        email_template_id=template.id if template else None)
    check_exchange(exchange)
    exchange.attachments = documents
    exchange.internal_recipients = internal
    db.session.add(exchange)
    db.session.flush()

    sender = sender_address(current_app.config["MAIL_DEFAULT_SENDER"])
    message = build(Draft(to=[contact.email], cc=[c.email for c in cc], subject=title, html=html,
                          reply_to=author.email, attachments=attachments), sender)
    rows = [queue(message, exchange)]
    if internal:
        note = Markup("<p><em>{}</em></p>").format(_(
            "Internal copy of the email sent to %(name)s <%(email)s> by %(author)s.",
            name=contact.full_name, email=contact.email, author=author.full_name or author.email))
        copy = build(Draft(to=[u.email for u in internal],
                           subject=_("[Internal] %(subject)s", subject=title),
                           html=note + html, reply_to=author.email, attachments=attachments),
                     sender)
        rows.append(queue(copy, exchange, internal=True))
    audit.record("create", exchange, summary=f"Email to {contact.email}: {title}"[:300])
    return exchange, [row.id for row in rows]


def _own_contact(company: Company, contact_id: int | None, label: str) -> Contact | None:
    if contact_id is None:
        return None
    contact = db.session.get(Contact, contact_id)
    if contact is None or contact.company_id != company.id:
        raise ExchangeError(_("%(who)s must be one of this company's contacts.", who=label))
    return contact


def _template(template_id: int | None) -> EmailTemplate | None:
    if template_id is None:
        return None
    template = db.session.get(EmailTemplate, template_id)
    if template is None or template.purpose != EXCHANGE_PURPOSE:
        raise ExchangeError(_("Choose an email template made for exchanges."))
    return template


def _documents(company: Company, ids: list[int]) -> list[Document]:
    documents = []
    for document_id in dict.fromkeys(ids):
        document = db.session.get(Document, document_id)
        if document is None or document.company_id not in (None, company.id):
            raise ExchangeError(_("An attachment must be one of the card's documents or a "
                                  "shared document."))
        documents.append(document)
    return documents


def _attachments(documents: list[Document]) -> list[Attachment]:
    limit = upload_limit_bytes()
    total = sum(d.size_bytes or 0 for d in documents)
    if total > limit:
        raise ExchangeError(_("The attachments weigh %(total)s; an email may carry up to "
                              "%(limit)s (Settings).", total=human_size(total),
                              limit=human_size(limit)))
    found = []
    for document in documents:
        try:
            content = storage().read(document.file)
        except (OSError, StorageKeyError):
            raise ExchangeError(_("The file of “%(name)s” is missing; it cannot be attached.",
                                  name=document.original_name)) from None
        found.append(Attachment(document.original_name, content, document.content_type))
    return found


def _internal_recipients(ids: list[int]) -> list[User]:
    if not ids:
        return []
    if not get_setting("send_exchange_internally"):
        raise ExchangeError(_("Internal copies are turned off (Settings > Exchanges)."))
    users = []
    for user_id in dict.fromkeys(ids):
        user = db.session.get(User, user_id)
        if user is None or not user.is_active or not user.email:
            raise ExchangeError(_("An internal recipient must be an active user."))
        users.append(user)
    return users
