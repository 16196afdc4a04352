"""The inalterable register of issued invoices and credit notes (DESIGN.md, services/register).

Each issue appends a record, in the transaction that gave the number: the SHA-256 of the
document's canonical content (number, date, buyer, totals, lines) chained with the previous
record's hash. `verify()` recomputes every record from the rows as they are now and names the
first one that no longer matches. The Invoices list reads the last verification, not the chain.
"""
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from ..models import (CreditNote, CreditNoteLine, DocumentSnapshot, Invoice, InvoiceLine,
                      NumberCounter, RegisterCheck, RegisterRecord)
from ..models.base import utcnow
from .register_chain import GENESIS, content_hash, money_text, quantity_text, record_hash

MODELS = {"invoice": (Invoice, InvoiceLine, "invoice_id"),
          "credit": (CreditNote, CreditNoteLine, "credit_note_id")}
KIND_OF = {Invoice: "invoice", CreditNote: "credit"}
BATCH = 500


def _lock_chain() -> None:
    """Serialise appends: one counter row locked until the caller commits (PostgreSQL)."""
    session = db.session
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(NumberCounter).values(kind="register", year=0, last_value=0)
                    .on_conflict_do_nothing(index_elements=["kind", "year"]))
    session.execute(select(NumberCounter.last_value).where(
        NumberCounter.kind == "register", NumberCounter.year == 0).with_for_update())


def _content(kind: str, document_id: int) -> str | None:
    """The content hash of a document from the rows as they are now; None if it is gone."""
    model, line_model, key = MODELS[kind]
    row = db.session.execute(select(model.number, model.issue_date, model.total_excl_tax,
                                    model.total_tax, model.total_incl_tax)
                             .where(model.id == document_id)).one_or_none()
    if row is None:
        return None
    lines = db.session.execute(
        select(line_model.description, line_model.quantity, line_model.unit_price,
               line_model.tax_rate, line_model.total_excl_tax, line_model.total_tax)
        .where(getattr(line_model, key) == document_id)
        .order_by(line_model.position, line_model.id)).all()
    buyer = db.session.scalar(select(DocumentSnapshot.data).where(
        DocumentSnapshot.kind == kind, DocumentSnapshot.document_id == document_id))
    return _hash_of(kind, row, lines, (buyer or {}).get("buyer", {}))


def _hash_of(kind: str, document, lines, buyer: dict) -> str:
    """The content hash from a document's values (a row or a loaded object) and its lines in
    (position, id) order."""
    return content_hash(
        kind, document.number, str(document.issue_date), buyer,
        {"total_excl_tax": money_text(document.total_excl_tax),
         "total_tax": money_text(document.total_tax),
         "total_incl_tax": money_text(document.total_incl_tax)},
        [{"description": l.description, "quantity": quantity_text(l.quantity, 3),
          "unit_price": money_text(l.unit_price), "tax_rate": money_text(l.tax_rate),
          "total_excl_tax": money_text(l.total_excl_tax), "total_tax": money_text(l.total_tax)}
         for l in lines])


def record_many_in_register(frozen: list[tuple]) -> None:
    """Append loaded, numbered documents to the register in the given order, each with the
    snapshot data just built for it: `[(document, snapshot_data), …]`. The bulk path of
    `record_in_register` (demo data): the same records, without reading back each document."""
    if not frozen:
        return
    _lock_chain()
    previous = db.session.scalar(select(RegisterRecord.record_hash)
                                 .order_by(RegisterRecord.id.desc()).limit(1)) or GENESIS
    records = []
    for document, data in frozen:
        kind = KIND_OF[type(document)]
        lines = sorted(document.lines, key=lambda line: (line.position, line.id))
        content = _hash_of(kind, document, lines, data.get("buyer", {}))
        record_hash_ = record_hash(previous, content, kind, document.number)
        records.append(RegisterRecord(kind=kind, document_id=document.id, number=document.number,
                                      content_hash=content, previous_hash=previous,
                                      record_hash=record_hash_))
        previous = record_hash_
    db.session.add_all(records)
    db.session.flush()


def record_in_register(document) -> RegisterRecord:
    """Append the issued document to the register (after its number and snapshot). Flushes."""
    kind = KIND_OF[type(document)]
    db.session.flush()
    _lock_chain()
    previous = db.session.scalar(select(RegisterRecord.record_hash)
                                 .order_by(RegisterRecord.id.desc()).limit(1)) or GENESIS
    content = _content(kind, document.id)
    record = RegisterRecord(kind=kind, document_id=document.id, number=document.number,
                            content_hash=content, previous_hash=previous,
                            record_hash=record_hash(previous, content, kind, document.number))
    db.session.add(record)
    db.session.flush()
    return record


@dataclass(frozen=True)
class Verdict:
    records: int
    broken: RegisterRecord | None = None
    problem: str = ""

    @property
    def intact(self) -> bool:
        return self.broken is None


def verify() -> Verdict:
    """Recompute the whole chain; the first record whose content or link no longer matches."""
    previous, count, last_id = GENESIS, 0, 0
    query = select(RegisterRecord).order_by(RegisterRecord.id)
    for record in db.session.scalars(query.execution_options(yield_per=BATCH)):
        count += 1
        problem = ""
        if record.previous_hash != previous:
            problem = "its link to the previous record is broken"
        elif _content(record.kind, record.document_id) != record.content_hash:
            problem = "the document no longer matches what was issued"
        elif record_hash(previous, record.content_hash, record.kind,
                         record.number) != record.record_hash:
            problem = "the record's own hash does not match"
        if problem:
            return _remember(Verdict(count, record, problem), last_id, previous)
        previous, last_id = record.record_hash, record.id
    return _remember(Verdict(count), last_id, previous)


def _remember(verdict: Verdict, last_id: int, last_hash: str) -> Verdict:
    db.session.add(RegisterCheck(checked_at=utcnow(), records=verdict.records,
                                 last_record_id=last_id, last_hash=last_hash,
                                 broken_record_id=verdict.broken.id if verdict.broken else None,
                                 problem=verdict.problem or None))
    db.session.flush()
    return verdict


# The badge counts the records appended since the last check up to this many ("10,000+"): a
# register left unchecked for years is not counted whole on every invoice list.
UNCHECKED_CAP = 10_000


@dataclass(frozen=True)
class Badge:
    check: RegisterCheck | None
    unchecked: int  # records appended since that check (UNCHECKED_CAP + 1: more than the cap)

    @property
    def intact(self) -> bool:
        return self.check is not None and self.check.broken_record_id is None

    @property
    def capped(self) -> bool:
        return self.unchecked > UNCHECKED_CAP

    @property
    def unchecked_shown(self) -> int:
        return min(self.unchecked, UNCHECKED_CAP)


def badge() -> Badge:
    """The last verification and how many records came since (what the badge shows of an intact
    register only): two queries, whatever the size."""
    check = db.session.scalar(select(RegisterCheck).order_by(RegisterCheck.id.desc()).limit(1))
    if check is None or check.broken_record_id is not None:
        return Badge(check, 0)
    newer = (select(RegisterRecord.id).where(RegisterRecord.id > check.last_record_id)
             .limit(UNCHECKED_CAP + 1).subquery())
    return Badge(check, int(db.session.scalar(select(func.count()).select_from(newer)) or 0))
