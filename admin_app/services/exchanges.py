"""The rules every exchange follows, wherever it is recorded: from the card or the Exchanges list."""
from flask_babel import gettext as _
from ..errors import Refusal
from ..models.base import utcnow
from ..extensions import db
from ..models import Company, Contact, Exchange
from ..models.exchanges import EXCHANGE_KINDS


class ExchangeError(Refusal):
    """An exchange refused, with a message meant for the user."""


def check_exchange(exchange: Exchange) -> None:
    """Refuse (ExchangeError) an exchange whose kind, title, contact or dates break a rule."""
    if exchange.kind not in EXCHANGE_KINDS:
        raise ExchangeError(_("Choose the kind of exchange: call, meeting, email or note."))
    if not (exchange.title or "").strip():
        raise ExchangeError(_("The title is required."))
    company = exchange.company or db.session.get(Company, exchange.company_id or 0)
    contact = exchange.contact
    if contact is None and exchange.contact_id is not None:
        contact = db.session.get(Contact, exchange.contact_id)
        if contact is None:
            raise ExchangeError(_("The contact must be one of this company's contacts."))
    if contact is not None and company is not None and contact.company_id != company.id:
        raise ExchangeError(_("The contact must be one of this company's contacts (%(contact)s "
                              "works for %(company)s): choose one of its contacts or none.",
                              contact=contact, company=contact.company))
    if exchange.kind == "meeting" and not exchange.starts_at:
        raise ExchangeError(_("A meeting needs a start time."))
    if exchange.starts_at and exchange.ends_at and exchange.ends_at < exchange.starts_at:
        raise ExchangeError(_("The meeting cannot end before it starts."))
    if exchange.callback_at and exchange.occurred_at and exchange.callback_at < exchange.occurred_at:
        raise ExchangeError(_("The call-back date must be after the date of the exchange."))


def save_exchange(exchange: Exchange, author_id: int | None) -> None:
    """An exchange from a form: it happened when the meeting starts (or now) unless told, it is
    written by the user who records it unless told, and it follows the rules above."""
    if exchange.occurred_at is None:
        exchange.occurred_at = exchange.starts_at or utcnow()
    check_exchange(exchange)
    if exchange.author_id is None and exchange.author is None:
        exchange.author_id = author_id
