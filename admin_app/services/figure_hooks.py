"""Every ORM flush that writes an invoice, a payment, a credit note, a credit use or an exchange
refreshes the figures stored from them (services/figures.py) before anything else reads them:
forms, bulk actions, the card, the API, imports alike. Set-based statements bypass the flush
and call services/figures.refresh themselves."""
from itertools import chain

from sqlalchemy import event, inspect, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..models import CreditNote, CreditUse, Exchange, Invoice, Payment
from . import figures

TOUCHED = "figures_touched"
MONTHS = "figures_months"
# Revenue per month comes from these; payments and credit uses leave it as it is.
MONTHLY = (Invoice, CreditNote)
# What a row of each followed model points at: (invoice keys, company keys, exchange keys).
KEYS = {Invoice: (("id",), ("company_id",), ()), Payment: (("invoice_id",), (), ()),
        CreditUse: (("invoice_id",), (), ()), CreditNote: (("invoice_id",), ("company_id",), ()),
        Exchange: ((), (), ("company_id",))}


def _touched(session: Session) -> tuple[set, set, set]:
    return session.info.setdefault(TOUCHED, (set(), set(), set()))


def _note_before(session: Session, _context, _instances) -> None:
    # What changed or deleted rows pointed at before: read from the database, as an expired
    # object set or deleted without loading does not know its former invoice or company.
    before: dict[type, list[int]] = {}
    for obj in chain(_changed(session), session.deleted):
        model = type(obj)
        key = inspect(obj).key
        if model in KEYS and key is not None:
            before.setdefault(model, []).append(key[1][0])
    for model, ids in before.items():
        columns = [getattr(model, name) for keys in KEYS[model] for name in keys]
        for row in session.connection().execute(select(*columns).where(model.id.in_(ids))):
            _add(session, model, dict(zip([c.key for c in columns], row)))


def _note_after(session: Session, _context) -> None:
    # What new and changed rows point at now, as the flush wrote them.
    for obj in chain(session.new, _changed(session)):
        if type(obj) in KEYS:
            _add(session, type(obj), inspect(obj).dict)


def _changed(session: Session):
    # An invoice whose payments list grew is "dirty" too: its own columns did not change.
    return (obj for obj in session.dirty if type(obj) in KEYS
            and session.is_modified(obj, include_collections=False))


def _add(session: Session, model: type, values: dict) -> None:
    if model in MONTHLY:
        session.info[MONTHS] = True
    for keys, ids in zip(KEYS[model], _touched(session)):
        ids.update(values[name] for name in keys if values.get(name) is not None)


def _refresh_touched(session: Session, _context) -> None:
    invoices, companies, exchanges = session.info.pop(TOUCHED, (set(), set(), set()))
    months = session.info.pop(MONTHS, False)
    if not (invoices or companies or exchanges):
        return
    connection = session.connection()
    figures.refresh_money(connection, invoices, companies, months)
    if exchanges:
        figures.refresh_exchange_counts(connection, exchanges)
    # Written past the ORM: the loaded invoices read their new state on next access.
    mapper = inspect(Invoice)
    for invoice_id in invoices:
        loaded = session.identity_map.get(mapper.identity_key_from_primary_key([invoice_id]))
        if loaded is not None:
            session.expire(loaded, ["balance_cents", "paid_on"])


def _forget_touched(session: Session, *_args) -> None:
    session.info.pop(TOUCHED, None)
    session.info.pop(MONTHS, None)


def install() -> None:
    """Follow every flush of the app's session (once per process: the session is shared)."""
    for name, hook in (("before_flush", _note_before), ("after_flush", _note_after),
                       ("after_flush_postexec", _refresh_touched),
                       ("after_soft_rollback", _forget_touched)):
        if not event.contains(db.session, name, hook):
            event.listen(db.session, name, hook)
