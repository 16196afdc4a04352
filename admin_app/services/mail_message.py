"""Building one outgoing email: headers checked, text and HTML parts, attachments, an optional
calendar part. Nothing here sends; services.outbox keeps and delivers what is built."""
import mimetypes
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid

from flask_babel import gettext as _

from ..errors import Refusal
from .html import html_to_text
from .settings import get_setting

MAX_HEADER_CHARS = 998  # RFC 5322 line limit


class MailRefusal(Refusal):
    """An email that cannot be built, with a message meant for the user."""


@dataclass
class Attachment:
    filename: str
    content: bytes
    content_type: str = ""


@dataclass
class Calendar:
    """An iCalendar body and its METHOD (REQUEST, CANCEL), sent as text/calendar."""
    ics: bytes
    method: str


@dataclass
class Draft:
    to: list[str]
    subject: str
    html: str
    cc: list[str] = field(default_factory=list)
    reply_to: str | None = None
    attachments: list[Attachment] = field(default_factory=list)
    calendar: Calendar | None = None


def check_header(label: str, value: str) -> str:
    """Refuse a header value holding a line break (header injection) or too long to send."""
    if any(ch in value for ch in "\r\n\x00"):
        raise MailRefusal(_("%(field)s cannot contain a line break.", field=label))
    if len(value) > MAX_HEADER_CHARS:
        raise MailRefusal(_("%(field)s is too long.", field=label))
    return value


def sender_address(default: str) -> Address:
    """The From address: Settings > Exchanges sender name and email, else the configured one."""
    name = check_header(_("The sender name"), get_setting("mail_sender_name") or "")
    email = check_header(_("The sender email"), get_setting("mail_sender_email") or default)
    return _address(_("The sender email"), email, name)


def _address(label: str, email: str, name: str = "") -> Address:
    check_header(label, email)
    check_header(label, name)
    if email.count("@") != 1:
        raise MailRefusal(_("%(field)s is not an email address: %(value)s.", field=label,
                            value=repr(email)))
    username, domain = email.rsplit("@", 1)
    try:
        return Address(display_name=name, username=username, domain=domain)
    except (ValueError, IndexError):
        raise MailRefusal(_("%(field)s is not an email address: %(value)s.", field=label,
                            value=repr(email))) from None


def build(draft: Draft, sender: Address) -> EmailMessage:
    """The message to send, with its own Message-ID; MailRefusal for a bad header or address."""
    if not draft.to:
        raise MailRefusal(_("The email needs a recipient with an email address."))
    message = EmailMessage(policy=SMTP)
    message["From"] = sender
    message["To"] = [_address(_("The recipient"), a) for a in draft.to]
    if draft.cc:
        message["Cc"] = [_address(_("A recipient in copy"), a) for a in draft.cc]
    if draft.reply_to:
        message["Reply-To"] = _address(_("The reply address"), draft.reply_to)
    message["Subject"] = check_header(_("The subject"), draft.subject.strip())
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(html_to_text(draft.html) + "\n")
    message.add_alternative(f"<!doctype html><html><body>{draft.html}</body></html>",
                            subtype="html")
    if draft.calendar is not None:
        # Calendar clients read the invitation from a text/calendar alternative with a method.
        message.add_alternative(draft.calendar.ics, maintype="text", subtype="calendar",
                                params={"method": draft.calendar.method})
    for item in draft.attachments:
        name = check_header(_("An attachment name"), item.filename)
        kind = item.content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
        maintype, _sep, subtype = kind.partition("/")
        message.add_attachment(item.content, maintype=maintype, subtype=subtype or "octet-stream",
                               filename=name)
    if draft.calendar is not None:
        message.add_attachment(draft.calendar.ics, maintype="application", subtype="ics",
                               filename="invite.ics")
    return message


def envelope_recipients(message: EmailMessage) -> list[str]:
    """Every address the message goes to (To and Cc), for the SMTP envelope."""
    found = []
    for header in ("To", "Cc", "Bcc"):
        for address in getattr(message[header], "addresses", ()) or ():
            if address.addr_spec not in found:
                found.append(address.addr_spec)
    return found
