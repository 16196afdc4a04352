"""Life cycle of quotes, orders and invoices: totals, numbers, transitions, invoicing orders."""
from datetime import timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from .. import clock
from ..extensions import db
from ..models import Invoice, InvoiceLine, Opportunity, Order, OrderLine, Quote, QuoteLine
from ..models.base import utcnow
from . import audit, snapshots
from .conversion import convert_on_invoice
from .numbering import next_number
from .pricing import ZERO, apply_line_totals, to_cents
from .settings import get_setting
from ..errors import Refusal

HUNDRED = Decimal("100")
LINE_FIELDS = ("description", "quantity", "unit_price", "tax_rate")


KINDS = {"Quote": _l("Quote"), "Order": _l("Order"), "Invoice": _l("Invoice")}
DRAFTS = {"Quote": _l("Draft quote"), "Order": _l("Draft order"), "Invoice": _l("Draft invoice")}
STATUSES = {"draft": _l("draft"), "sent": _l("sent"), "accepted": _l("accepted"),
            "refused": _l("refused"), "expired": _l("expired"), "open": _l("open"),
            "invoiced": _l("invoiced"), "closed": _l("closed"), "issued": _l("issued"),
            "cancelled": _l("cancelled")}
# Past participles in the refusals ("it cannot be sent").
VERBS = {"sent": _l("sent"), "accepted": _l("accepted"), "refused": _l("refused"),
         "expired": _l("marked expired"), "closed": _l("closed"), "issued": _l("issued"),
         "cancelled": _l("cancelled"), "invoiced": _l("invoiced")}


class SalesError(Refusal):
    """A refused sales operation; the message is shown to the user as is."""


# --- shared -----------------------------------------------------------------------------------

def lock(model, pk):
    """Load a document and lock its row until the transaction ends (PostgreSQL)."""
    return db.session.get(model, pk, with_for_update=True, populate_existing=True)


def recompute_totals(document) -> None:
    """Drop lines removed in the form, then compute line and document totals on the server."""
    for line in [l for l in document.lines if l in db.session.deleted]:
        document.lines.remove(line)
    for line in document.lines:
        if line.quantity is None or line.unit_price is None or line.tax_rate is None:
            raise SalesError(_("Line “%(line)s”: quantity, unit price and tax rate are "
                               "required.", line=line.description or ""))
        if line.quantity < 0 or line.unit_price < 0:
            raise SalesError(_("Line “%(line)s”: quantity and unit price must be 0 or more.",
                               line=line.description))
        if not ZERO <= line.tax_rate <= HUNDRED:
            raise SalesError(_("Line “%(line)s”: the tax rate must be between 0 and 100.",
                               line=line.description))
    apply_line_totals(document)


def save_document(document, is_created: bool) -> None:
    """The rules of a quote, order or invoice saved from a form: only drafts change, dates in
    order, totals computed here; a new order takes its number, a new invoice converts its lead."""
    if not is_created:
        ensure_editable(document)
    check_dates(document)
    recompute_totals(document)
    if is_created and isinstance(document, Order):
        number_new_order(document)
    if is_created and isinstance(document, Invoice):
        prepare_new_invoice(document)


def check_dates(document) -> None:
    """A quote is valid from its issue date on; an invoice falls due on or after its issue."""
    if isinstance(document, Quote) and document.valid_until and document.issue_date \
            and document.valid_until < document.issue_date:
        raise SalesError(_("“Valid until” cannot be before the issue date."))
    if isinstance(document, Invoice) and document.due_date and document.issue_date \
            and document.due_date < document.issue_date:
        raise SalesError(_("The due date cannot be before the issue date."))


def delete_document(document) -> None:
    """Delete a draft; numbered documents stay (see ensure_deletable)."""
    ensure_deletable(document)
    db.session.delete(document)


def copy_lines(source, line_class) -> list:
    return [line_class(**{f: getattr(l, f) for f in LINE_FIELDS}) for l in source.lines]


def _check_from(document, allowed_from: tuple[str, ...], verb: str) -> None:
    if document.status not in allowed_from:
        raise SalesError(_("%(document)s is %(status)s: it cannot be %(verb)s.",
                           document=_label(document), status=_status(document),
                           verb=VERBS.get(verb, verb)))


def _transition(document, new_status: str, allowed_from: tuple[str, ...], verb: str) -> str:
    _check_from(document, allowed_from, verb)
    old = document.status
    document.status = new_status
    return old


def _audit_transition(document, old: str, summary: str = "") -> None:
    db.session.flush()
    audit.record("transition", document, summary=summary or f"{_label(document)}: {old} → "
                 f"{document.status}", changes={"status": [old, document.status]})


def _label(document) -> str:
    """"Invoice INV-2026-0001" or "Draft invoice", in the reader's language."""
    kind = type(document).__name__
    if document.number:
        return _("%(kind)s %(number)s", kind=KINDS[kind], number=document.number)
    return str(DRAFTS[kind])


def _status(document) -> str:
    return str(STATUSES.get(document.status, document.status))


def _require_lines(document, verb: str) -> None:
    if not document.lines:
        raise SalesError(_("%(document)s has no lines: add at least one before it is %(verb)s.",
                           document=_label(document), verb=VERBS.get(verb, verb)))


def ensure_editable(document) -> None:
    """Refuse changing the amounts or lines of a document past its draft stage."""
    if isinstance(document, Invoice) and document.status != "draft":
        raise SalesError(_("%(document)s is %(status)s: its amounts and lines cannot change. "
                           "Issue a credit note to correct it.", document=_label(document),
                           status=_status(document)))
    if isinstance(document, Quote) and document.status != "draft":
        raise SalesError(_("%(document)s is %(status)s: only draft quotes can be edited.",
                           document=_label(document), status=_status(document)))
    if isinstance(document, Order) and (document.status != "open" or invoiced_amount(document)):
        raise SalesError(_("%(document)s is %(status)s or already invoiced: its lines cannot "
                           "change.", document=_label(document), status=_status(document)))


def status_allows_editing(document) -> bool:
    """The part of `ensure_editable` read from the row alone: lists ask it for every row."""
    return document.status == ("open" if isinstance(document, Order) else "draft")


def is_deletable(document) -> bool:
    """Whether `ensure_deletable` lets the document go (lists hide Delete otherwise)."""
    return not document.number


def is_editable(document) -> bool:
    """Whether `ensure_editable` lets the document change (the pages hide Edit otherwise)."""
    try:
        ensure_editable(document)
    except SalesError:
        return False
    return True


def ensure_deletable(document) -> None:
    """Numbered documents are never deleted: the numbering must stay without gaps."""
    if document.number:
        hint = {"Invoice": _("issue a credit note to correct it"),
                "Quote": _("mark it refused or expired instead"),
                "Order": _("close it instead")}[type(document).__name__]
        raise SalesError(_("%(document)s has a number and cannot be deleted: %(hint)s.",
                           document=_label(document), hint=hint))


# --- quotes -----------------------------------------------------------------------------------

def send_quote(quote: Quote) -> None:
    """draft → sent; the quote takes its number now."""
    _require_lines(quote, "sent")
    _check_from(quote, ("draft",), "sent")
    # The number first: taking it flushes, and the status must not change before it is there.
    quote.number = quote.number or next_number("quote", quote.issue_date.year)
    old = _transition(quote, "sent", ("draft",), "sent")
    _audit_transition(quote, old)
    snapshots.freeze(quote)


def accept_quote(quote: Quote, user=None) -> Order:
    """sent → accepted; creates the order with the quote's lines and wins its opportunity."""
    old = _transition(quote, "accepted", ("sent",), "accepted")
    quote.decided_at = utcnow()
    order = Order(company_id=quote.company_id, quote=quote, order_date=clock.today(),
                  status="open", created_by_id=getattr(user, "id", None),
                  notes=f"From quote {quote.number}")
    order.lines = copy_lines(quote, OrderLine)
    apply_line_totals(order)
    order.number = next_number("order", order.order_date.year)
    db.session.add(order)
    snapshots.freeze(order)
    if quote.opportunity_id:
        opportunity = db.session.get(Opportunity, quote.opportunity_id)
        if opportunity is not None and opportunity.status == "open":
            opportunity.status, opportunity.closed_on = "won", clock.today()
    _audit_transition(quote, old, f"Quote {quote.number} accepted: order {order.number} created")
    return order


def refuse_quote(quote: Quote) -> None:
    old = _transition(quote, "refused", ("sent",), "refused")
    quote.decided_at = utcnow()
    _audit_transition(quote, old)


def expire_quote(quote: Quote) -> None:
    old = _transition(quote, "expired", ("sent",), "marked expired")
    quote.decided_at = utcnow()
    _audit_transition(quote, old)


QUOTE_ACTIONS = {"send": send_quote, "accept": accept_quote, "refuse": refuse_quote,
                 "expire": expire_quote}


def quote_actions(quote: Quote) -> list[str]:
    return {"draft": ["send"], "sent": ["accept", "refuse", "expire"]}.get(quote.status, [])


# --- orders -----------------------------------------------------------------------------------

def number_new_order(order: Order) -> None:
    """A new order takes its number and is frozen as created."""
    order.number = order.number or next_number("order", order.order_date.year)
    snapshots.freeze(order)


def _live_invoices(order_id: int):
    return (Invoice.order_id == order_id, Invoice.status != "cancelled")


def invoiced_amount(order: Order) -> Decimal:
    """Excl.-tax total of the order's draft and issued invoices (cancelled ones do not count)."""
    if order.id is None:
        return ZERO
    return db.session.scalar(select(func.coalesce(func.sum(Invoice.total_excl_tax), 0))
                             .where(*_live_invoices(order.id))) or ZERO


def remaining_by_rate(order: Order) -> dict[Decimal, Decimal]:
    """Excl.-tax amount still to invoice, per tax rate."""
    invoiced = dict(db.session.execute(
        select(InvoiceLine.tax_rate, func.sum(InvoiceLine.total_excl_tax))
        .join(Invoice, Invoice.id == InvoiceLine.invoice_id)
        .where(*_live_invoices(order.id)).group_by(InvoiceLine.tax_rate)).all())
    ordered: dict[Decimal, Decimal] = {}
    for line in order.lines:
        ordered[line.tax_rate] = ordered.get(line.tax_rate, ZERO) + line.total_excl_tax
    return {rate: max(ZERO, amount - Decimal(invoiced.get(rate) or 0))
            for rate, amount in ordered.items()}


def refresh_order_status(order: Order) -> None:
    """open ↔ invoiced follows the invoiced amount; a closed order stays closed."""
    if order.status == "closed":
        return
    db.session.flush()
    done = order.total_excl_tax > 0 and invoiced_amount(order) >= order.total_excl_tax
    order.status = "invoiced" if done else "open"


def invoice_order(order: Order, percent: Decimal | None = None, user=None) -> Invoice:
    """A draft invoice for the whole rest of an order, or for `percent` % of its total."""
    if order.status != "open":
        raise SalesError(_("%(document)s is %(status)s: it cannot be invoiced.",
                           document=_label(order), status=_status(order)))
    if percent is not None and not ZERO < percent <= HUNDRED:
        raise SalesError(_("The part to invoice must be a percentage above 0 and up to 100."))
    remaining = remaining_by_rate(order)
    if sum(remaining.values(), ZERO) <= 0:
        raise SalesError(_("%(document)s is already fully invoiced.", document=_label(order)))
    today = clock.today()
    invoice = Invoice(company_id=order.company_id, order=order, status="draft", issue_date=today,
                      due_date=today + timedelta(days=int(get_setting("payment_terms_days") or 0)),
                      created_by_id=getattr(user, "id", None), notes=f"Order {order.number}")
    if invoiced_amount(order) == 0 and percent in (None, HUNDRED):
        invoice.lines = copy_lines(order, InvoiceLine)
    else:
        invoice.lines = _part_lines(order, remaining, percent)
    apply_line_totals(invoice)
    db.session.add(invoice)
    db.session.flush()
    convert_on_invoice(order.company, invoice)
    refresh_order_status(order)
    what = f"{percent}%" if percent is not None else "the rest"
    audit.record("create", invoice, summary=f"Draft invoice for {what} of order {order.number}")
    return invoice


def _part_lines(order: Order, remaining: dict, percent: Decimal | None) -> list[InvoiceLine]:
    lines = []
    for rate, left in sorted(remaining.items()):
        share = to_cents(sum((l.total_excl_tax for l in order.lines if l.tax_rate == rate), ZERO)
                         * percent / HUNDRED) if percent is not None else left
        amount = min(share, left)
        if amount <= 0:
            continue
        what = f"{percent.normalize():f}% of order" if percent is not None else "Balance of order"
        lines.append(InvoiceLine(description=f"{what} {order.number} (tax {rate.normalize():f}%)",
                                 quantity=Decimal("1"), unit_price=amount, tax_rate=rate))
    if not lines:
        raise SalesError(_("This part rounds to nothing left to invoice."))
    return lines


def close_order(order: Order) -> None:
    """Close an order by hand: it stops being pending even if not fully invoiced."""
    old = _transition(order, "closed", ("open",), "closed")
    order.closed_at = utcnow()
    _audit_transition(order, old)


ORDER_ACTIONS = {"close": close_order}


def order_actions(order: Order) -> list[str]:
    return ["invoice", "invoice_part", "close"] if order.status == "open" else []


# --- invoices ---------------------------------------------------------------------------------

def prepare_new_invoice(invoice: Invoice) -> None:
    """A new invoice (from the form): totals, the lead conversion, its order's status."""
    recompute_totals(invoice)
    db.session.flush()
    convert_on_invoice(invoice.company, invoice)
    if invoice.order is not None:
        refresh_order_status(invoice.order)


def issue_invoice(invoice: Invoice) -> None:
    """draft → issued: takes the next gapless number of its issue year; amounts freeze."""
    _require_lines(invoice, "issued")
    if invoice.due_date < invoice.issue_date:
        raise SalesError(_("The due date cannot be before the issue date."))
    _check_from(invoice, ("draft",), "issued")
    # The number first: an issued invoice without a number would break a CHECK on flush.
    invoice.number = next_number("invoice", invoice.issue_date.year)
    old = _transition(invoice, "issued", ("draft",), "issued")
    invoice.issued_at = utcnow()
    _audit_transition(invoice, old)
    snapshots.freeze(invoice)
    from .register import record_in_register
    record_in_register(invoice)


def cancel_invoice(invoice: Invoice) -> None:
    """Refused: an issued invoice is corrected by a credit note, never cancelled (DESIGN.md)."""
    if invoice.status == "draft":
        raise SalesError(_("A draft invoice cannot be cancelled: delete it instead."))
    raise SalesError(_("Invoice %(number)s is %(status)s: an issued invoice cannot be cancelled. "
                       "Issue a credit note to correct it.", number=invoice.number,
                       status=_status(invoice)))


INVOICE_ACTIONS = {"issue": issue_invoice, "cancel": cancel_invoice}


def invoice_actions(invoice: Invoice) -> list[str]:
    """What the invoice page offers: issuing a draft; an issued invoice is credited instead."""
    return ["issue"] if invoice.status == "draft" else []


def line_class(document):
    return {Quote: QuoteLine, Order: OrderLine, Invoice: InvoiceLine}[type(document)]
