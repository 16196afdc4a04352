"""The variables a template may use: documented here, once, and built from the models by one
function (`build_context`), so the list beside the editor, the save-time check and what mail and
PDFs render with never disagree."""
from datetime import date
from decimal import Decimal

from flask_babel import lazy_gettext as _l

from .settings import get_setting
from .templating import Vars

# group -> (variable, what it holds, example used by the save-time check and the docs)
VARIABLES: dict[str, tuple[tuple[str, object, object], ...]] = {
    "company": (
        ("name", _l("Company name"), "Acme Logistics"),
        ("status", _l("lead or client"), "client"),
        ("email", _l("Company email"), "contact@acme.example"),
        ("phone", _l("Company phone"), "+34 910 000 000"),
        ("website", _l("Website"), "https://acme.example"),
        ("legal_id", _l("Legal ID"), "B12345678"),
        ("address", _l("Main address on one line"), "1 Harbour Road, 28001 Madrid, Spain"),
        ("city", _l("City of the main address"), "Madrid"),
    ),
    "contact": (
        ("first_name", _l("First name"), "Ann"),
        ("last_name", _l("Last name"), "Lee"),
        ("full_name", _l("First and last name"), "Ann Lee"),
        ("email", _l("Email"), "ann.lee@acme.example"),
        ("phone", _l("Phone"), "+34 600 000 000"),
        ("job_title", _l("Job title"), "Buyer"),
    ),
    "sender": (
        ("name", _l("Your organisation's name (Settings)"), "Our Company"),
        ("email", _l("Your organisation's email (Settings)"), "hello@our-company.example"),
        ("address", _l("Your organisation's address (Settings)"), "2 Main Street, Madrid"),
    ),
    "user": (
        ("full_name", _l("The user who sends"), "Sara Ortega"),
        ("email", _l("That user's email"), "sara.ortega@our-company.example"),
    ),
    "document": (
        ("kind", _l("quote, invoice or file"), "invoice"),
        ("title", _l("What the document is"), "Invoice INV-2026-0001"),
        ("number", _l("Its number (empty for a draft)"), "INV-2026-0001"),
        ("issue_date", _l("Issue date (use |date('%d/%m/%Y') to format it)"), date(2026, 1, 15)),
        ("due_date", _l("Invoices: due date"), date(2026, 2, 14)),
        ("valid_until", _l("Quotes: valid until"), None),
        ("total_excl_tax", _l("Total excluding tax (use |money(document.currency))"),
         Decimal("1000.00")),
        ("total_tax", _l("Tax"), Decimal("210.00")),
        ("total_incl_tax", _l("Total including tax"), Decimal("1210.00")),
        ("balance", _l("Invoices: left to pay"), Decimal("1210.00")),
        ("currency", _l("Currency it was issued in"), "EUR"),
    ),
    "signature": (
        ("link", _l("The signer's personal portal link (signature requests)"),
         "https://backoffice.example/portal/Xy12..."),
        ("expires_on", _l("The last day the link works (use |date('%d/%m/%Y'))"),
         date(2026, 2, 14)),
    ),
}
GROUP_HELP = {
    "company": _l("The company the message or document is for"),
    "contact": _l("The contact it is addressed to (empty fields when there is none)"),
    "sender": _l("Your organisation, as set in Settings"),
    "user": _l("The user who sends it"),
    "document": _l("The quote, invoice or file it is about"),
    "signature": _l("The signature request: its portal link and until when it works"),
}
FILTER_HELP = (
    ("upper, lower, title, trim, truncate(40)", _l("change text")),
    ("date('%d/%m/%Y')", _l("format a date")),
    ("money(document.currency)", _l("format an amount: 1,210.00 EUR")),
    ("default('…')", _l("a value when it is empty")),
)


def sample_context(groups) -> dict[str, Vars]:
    """Every group with its example values (what the save-time check renders on)."""
    return {group: Vars(group, {name: example for name, _help, example in VARIABLES[group]})
            for group in groups}


def build_context(groups, company=None, contact=None, user=None, document=None,
                  signature: dict | None = None) -> dict:
    """The variables of `groups`, from the models; absent objects give empty values."""
    builders = {"company": lambda: _company(company), "contact": lambda: _contact(contact),
                "sender": _sender, "user": lambda: _user(user),
                "document": lambda: _document(document),
                "signature": lambda: signature or _empty("signature")}
    return {group: Vars(group, builders[group]()) for group in groups}


def _text(value) -> str:
    return "" if value is None else str(value)


def _company(company) -> dict:
    if company is None:
        return _empty("company")
    address = company.main_address
    parts = []
    if address is not None:
        parts = [address.line1, address.line2,
                 " ".join(p for p in (address.postal_code, address.city) if p), address.country]
    return {"name": company.name, "status": company.status, "email": _text(company.email),
            "phone": _text(company.phone), "website": _text(company.website),
            "legal_id": _text(company.legal_id), "address": ", ".join(p for p in parts if p),
            "city": _text(address.city) if address is not None else ""}


def _contact(contact) -> dict:
    if contact is None:
        return _empty("contact")
    return {"first_name": _text(contact.first_name), "last_name": _text(contact.last_name),
            "full_name": contact.full_name, "email": _text(contact.email),
            "phone": _text(contact.phone), "job_title": _text(contact.job_title)}


def _sender() -> dict:
    return {"name": _text(get_setting("company_name")), "email": _text(get_setting("company_email")),
            "address": _text(get_setting("company_address"))}


def _user(user) -> dict:
    if user is None:
        return _empty("user")
    return {"full_name": user.full_name or user.email, "email": user.email}


def _document(document) -> dict:
    if document is None:
        return _empty("document")
    kind = type(document).__name__.lower()
    if kind == "document":  # an uploaded file (a signature request)
        return {**_empty("document"), "kind": "file", "title": str(document)}
    currency = getattr(document, "currency", None) or get_setting("currency") or "EUR"
    label = {"quote": "Quote", "invoice": "Invoice", "order": "Order"}.get(kind, kind)
    balance = document.balance if kind == "invoice" else None
    return {"kind": kind, "title": f"{label} {document.number or '(draft)'}",
            "number": _text(document.number), "issue_date": getattr(document, "issue_date", None),
            "due_date": getattr(document, "due_date", None),
            "valid_until": getattr(document, "valid_until", None),
            "total_excl_tax": document.total_excl_tax, "total_tax": document.total_tax,
            "total_incl_tax": document.total_incl_tax, "balance": balance, "currency": currency}


def _empty(group: str) -> dict:
    return {name: ("" if not isinstance(example, (date, Decimal)) else None)
            for name, _help, example in VARIABLES[group]}
