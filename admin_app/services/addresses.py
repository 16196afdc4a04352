"""Company addresses and their flags: the main address and the defaults for invoices,
deliveries and quotes. The card, the company form and the address list share one rule: an
address that takes a flag takes it from the company's other addresses, in one transaction."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, update

from ..errors import Refusal
from ..extensions import db
from ..models import Address, Company
from . import audit

ADDRESS_FLAGS = {"is_main": _l("the main address"),
                 "is_billing_default": _l("the default for invoices"),
                 "is_delivery_default": _l("the default for deliveries"),
                 "is_quote_default": _l("the default for quotes")}
ADDRESS_FIELDS = ("label", "contact_name", "line1", "line2", "postal_code", "city", "country")
REQUIRED_TEXT = ("label", "city", "country")  # NOT NULL columns: empty text, not None


class AddressError(Refusal):
    """An address refused, with a message meant for the user."""


def check_address_flags(addresses: list[Address]) -> list[str]:
    """Messages for flags ticked on more than one of these addresses (one holder each)."""
    errors = []
    for flag, meaning in ADDRESS_FLAGS.items():
        holders = [a for a in addresses if getattr(a, flag)]
        if len(holders) > 1:
            names = ", ".join(a.label or a.line1 or "(new address)" for a in holders)
            errors.append(f"Only one address can be {meaning}; {len(holders)} are ticked: {names}.")
    return errors


def save_company_addresses(addresses: list[Address]) -> None:
    """Addresses edited together on the company form: one holder per flag, then take them."""
    errors = check_address_flags(addresses)
    if errors:
        raise AddressError(" ".join(errors))
    take_address_flags(addresses)


def take_address_flags(addresses: list[Address]) -> None:
    """The flags ticked on `addresses` (one company's) become theirs; its other addresses lose them.

    A company with addresses always has a main one: when none would be, the first given takes it.
    The ticked flags are cleared and flushed, the other holders cleared, then the flags set
    again, so the partial unique indexes never see two holders. The caller commits once.
    """
    if not addresses:
        return
    wanted = [(a, {flag: bool(getattr(a, flag)) for flag in ADDRESS_FLAGS}) for a in addresses]
    taken = {flag for _a, flags in wanted for flag, on in flags.items() if on}
    for address, _flags in wanted:
        for flag in taken:
            setattr(address, flag, False)
    db.session.flush()
    company_id, ids = addresses[0].company_id, [a.id for a in addresses]
    others = (Address.company_id == company_id, Address.id.not_in(ids))
    for flag in taken:
        db.session.execute(update(Address).where(*others, getattr(Address, flag))
                           .values({flag: False}).execution_options(synchronize_session="fetch"))
    if "is_main" not in taken and not db.session.scalar(
            select(exists().where(*others, Address.is_main))):
        wanted[0][1]["is_main"] = True
    for address, flags in wanted:
        for flag, on in flags.items():
            setattr(address, flag, on)
    db.session.flush()


def save_address(company: Company, values: dict, address: Address | None = None) -> Address:
    """Create or update one address of the company from the card's form, with its flags."""
    creating = address is None
    if creating:
        address = Address(company_id=company.id)
        db.session.add(address)
    for key in ADDRESS_FIELDS:
        setattr(address, key, values.get(key) or ("" if key in REQUIRED_TEXT else None))
    if not (address.line1 or "").strip():
        raise AddressError(_("The address line is required."))
    for flag in ADDRESS_FLAGS:
        setattr(address, flag, bool(values.get(flag)))
    take_address_flags([address])
    audit.record("create" if creating else "update", address,
                 changes=audit.snapshot(address) if creating else None,
                 summary=f"Address {address.label or address.line1} of {company.name}")
    return address
