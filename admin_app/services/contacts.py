"""Rules about a company's contacts shared by the card and the admin forms."""
from sqlalchemy import update

from ..extensions import db
from ..models import Contact


def keep_single_billing_contact(contact: Contact) -> None:
    """The billing contact is unique within its company: the others lose the flag."""
    if not contact.is_billing_contact:
        return
    db.session.flush()
    db.session.execute(
        update(Contact).where(Contact.company_id == contact.company_id, Contact.id != contact.id,
                              Contact.is_billing_contact)
        .values(is_billing_contact=False).execution_options(synchronize_session="fetch"))
