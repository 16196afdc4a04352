"""Readable, translatable names of model attributes, used by every list, filter and form."""
from flask_babel import lazy_gettext as _l

# A view's own `column_labels` win; these fill the rest so that no attribute name reaches a
# reader untranslated ("First Name" would otherwise come from the attribute name).
FIELD_LABELS = {
    "absorbed": _l("Absorbed card"), "account_manager": _l("Account manager"),
    "action": _l("Action"), "addresses": _l("Addresses"), "amount": _l("Amount"),
    "at": _l("When"), "attachments": _l("Attachments"), "attempts": _l("Tries"),
    "attendee_contacts": _l("Contacts attending"), "attendee_users": _l("Users attending"),
    "author": _l("Author"), "balance": _l("Balance"), "body": _l("Description"),
    "callback_at": _l("Call back on"),
    "callback_done_at": _l("Called back on"), "cancelled_at": _l("Cancelled on"),
    "changes": _l("Changes"), "choices": _l("Choices"), "city": _l("City"),
    "closed_at": _l("Closed on"), "closed_on": _l("Closed on"), "comments": _l("Comments"),
    "company": _l("Company"), "company.name": _l("Company"), "contact": _l("Contact"),
    "contact_name": _l("Contact name"),
    "contacts": _l("Contacts"), "content_type": _l("File type"), "converted_at": _l("Client since"),
    "country": _l("Country"), "created_at": _l("Created on"), "custom_values": _l("Custom fields"),
    "definition": _l("Custom field"), "description": _l("Description"),
    "due_date": _l("Due date"), "email": _l("Email"), "email_status": _l("Email status"),
    "email_template": _l("Email template"), "email_to": _l("To"), "ends_at": _l("Ends at"),
    "entity_id": _l("ID"), "entity_type": _l("Entity"), "exchange": _l("Exchange"),
    "expected_close_on": _l("Expected close"), "field_choices": _l("Choices"),
    "field_type": _l("Type"), "file": _l("File"), "filename": _l("File"),
    "first_name": _l("First name"), "full_name": _l("Full name"), "id": _l("ID"),
    "internal": _l("Internal copy"), "internal_recipients": _l("Internal copy to"),
    "invoice": _l("Invoice"), "invoice.number": _l("Invoice number"), "is_active": _l("Active"),
    "is_billing_contact": _l("Billing contact"), "is_billing_default": _l("Invoices"),
    "is_default": _l("Default"), "is_delivery_default": _l("Deliveries"),
    "is_main": _l("Main"), "is_quote_default": _l("Quotes"), "issue_date": _l("Issue date"),
    "issued_at": _l("Issued on"), "job_title": _l("Job title"), "kept": _l("Kept card"),
    "key": _l("Key"), "kind": _l("Type"), "label": _l("Label"), "last_error": _l("Last error"),
    "last_login_at": _l("Last login"), "last_name": _l("Last name"), "legal_id": _l("Legal ID"),
    "line1": _l("Address"), "line2": _l("Address line 2"), "lines": _l("Lines"),
    "location": _l("Location"), "message": _l("Message"), "method": _l("Method"),
    "moved": _l("Records moved"), "name": _l("Name"), "note": _l("Note"), "notes": _l("Notes"),
    "number": _l("Number"), "occurred_at": _l("When"), "opportunity": _l("Opportunity"),
    "order": _l("Order"), "order_date": _l("Order date"), "original_name": _l("File"),
    "owner": _l("Owner"), "paid_on": _l("Paid on"), "payments": _l("Payments"),
    "phone": _l("Phone"), "photo": _l("Photo"), "position": _l("Position"),
    "postal_code": _l("Postal code"), "probability": _l("Probability (%)"),
    "purpose": _l("Used for"), "quantity": _l("Quantity"), "quote": _l("Quote"),
    "reason": _l("Reason"), "recipients": _l("Recipients"), "reference": _l("Reference"),
    "role": _l("Role"),
    "send_invitation": _l("Send invitation"), "sender": _l("Sender"), "sent_at": _l("Sent on"),
    "signature_status": _l("Signature"), "signed_at": _l("Signed on"),
    "signer_name": _l("Signed by"), "size_bytes": _l("Size"), "stage": _l("Stage"),
    "starts_at": _l("Starts at"), "status": _l("Status"), "subject": _l("Subject"),
    "summary": _l("Summary"), "tax_rate": _l("Tax rate (%)"), "title": _l("Title"),
    "total_excl_tax": _l("Excl. tax"), "total_incl_tax": _l("Incl. tax"),
    "total_tax": _l("Tax"), "undone_at": _l("Undone on"), "undone_by": _l("Undone by"),
    "unit_price": _l("Unit price"), "updated_at": _l("Updated on"),
    "uploaded_by": _l("Uploaded by"), "user": _l("User"), "valid_until": _l("Valid until"),
    "value": _l("Value"), "version": _l("Version"), "website": _l("Website"),
}


def labels_for(own: dict | None) -> dict:
    """The shared labels under a view's own ones."""
    return {**FIELD_LABELS, **(own or {})}

# Stored status codes as a reader sees them (badges on the card, lists, history).
STATUS_LABELS = {
    "lead": _l("Lead"), "client": _l("Client"), "draft": _l("draft"), "sent": _l("sent"),
    "accepted": _l("accepted"), "refused": _l("refused"), "expired": _l("expired"),
    "open": _l("open"), "closed": _l("closed"), "invoiced": _l("invoiced"),
    "issued": _l("issued"), "cancelled": _l("cancelled"), "paid": _l("paid"),
    "won": _l("won"), "lost": _l("lost"), "none": _l("none"), "pending": _l("pending"),
    "signed": _l("signed"), "declined": _l("declined"), "failed": _l("failed"),
    "call": _l("Phone call"), "meeting": _l("Meeting"), "email": _l("Email"), "note": _l("Note"),
    "quote": _l("Quote"), "order": _l("Order"), "invoice": _l("Invoice"),
    "admin": _l("Administrator"), "user": _l("User"), "queued": _l("queued"),
    "sending": _l("sending"), "transfer": _l("Bank transfer"), "card": _l("Card"),
    "cheque": _l("Cheque"), "cash": _l("Cash"), "direct_debit": _l("Direct debit"),
    "other": _l("Other"),
}


def status_label(code: str | None) -> str:
    """The reader's word for a stored code; an unknown code is shown as it is."""
    if code is None:
        return ""
    label = STATUS_LABELS.get(str(code))
    return str(label) if label is not None else str(code)
