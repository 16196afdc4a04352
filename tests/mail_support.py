"""Helpers for the mail tests: a company with contacts, documents with files, posting the card's
email form."""
import hashlib
import io
from pathlib import Path

from flask import current_app

from admin_app.extensions import db
from admin_app.models import Contact, Document, EmailTemplate


def email_url(company) -> str:
    return f"/admin/company/card/email/?id={company.id}"


def add_contacts(company):
    """A billing contact, another contact, and one without an email."""
    billing = Contact(company=company, first_name="Bea", last_name="Billing",
                      email="bea@client.example", is_billing_contact=True)
    other = Contact(company=company, first_name="Carl", last_name="Copy",
                    email="carl@client.example")
    silent = Contact(company=company, first_name="Nora", last_name="Nomail")
    db.session.add_all([billing, other, silent])
    db.session.commit()
    return billing, other, silent


def add_document(company, name="offer.pdf", content=b"%PDF-1.4 offer \x00\xff bytes"):
    """A document of `company` (None: a shared document) with its file on disk."""
    relative = f"documents/test-{hashlib.sha256(name.encode() + content).hexdigest()[:16]}"
    path = Path(current_app.config["UPLOAD_DIR"]) / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    document = Document(company_id=company.id if company else None, title=name,
                        original_name=name, file=relative, content_type="application/pdf",
                        size_bytes=len(content))
    db.session.add(document)
    db.session.commit()
    return document


def add_template(subject="Hello {{ contact.first_name }}",
                 body="<p>Dear {{ contact.full_name }} of {{ company.name }},</p>"
                      "<p>{{ user.full_name }}</p>", name="Follow-up", purpose="exchange"):
    template = EmailTemplate(name=name, subject=subject, body=body, purpose=purpose)
    db.session.add(template)
    db.session.commit()
    return template


def post_email(client, company, **fields):
    """Post the email form; multipart when a file is given."""
    data = {"send": "1", **fields}
    if "upload" in data:
        name, content = data["upload"]
        data["upload"] = (io.BytesIO(content), name)
    return client.post(email_url(company), data=data, content_type="multipart/form-data",
                       follow_redirects=True)


def parts(message):
    """(text, html, attachments {filename: bytes}, calendar parts) of a parsed message."""
    text = html = None
    attachments, calendars = {}, []
    for part in message.walk():
        kind = part.get_content_type()
        if part.get_filename():
            attachments[part.get_filename()] = part.get_payload(decode=True)
        elif kind == "text/plain" and text is None:
            text = part.get_content()
        elif kind == "text/html" and html is None:
            html = part.get_content()
        elif kind == "text/calendar":
            calendars.append(part)
    return text, html, attachments, calendars
