"""Numbers per kind and year: prefixed from Settings, gapless and unique, even when concurrent."""
import threading
from datetime import date

import pytest

from admin_app.extensions import db
from admin_app.models import Invoice, NumberCounter
from admin_app.services.numbering import next_number
from admin_app.services.sales import issue_invoice
from admin_app.services.settings import set_setting


def test_numbers_follow_each_other_per_kind_and_year():
    assert next_number("invoice", 2026) == "INV-2026-0001"
    assert next_number("invoice", 2026) == "INV-2026-0002"
    assert next_number("quote", 2026) == "QUO-2026-0001"
    assert next_number("invoice", 2025) == "INV-2025-0001"
    db.session.commit()
    assert db.session.get(NumberCounter, ("invoice", 2026)).last_value == 2


def test_prefix_comes_from_settings():
    set_setting("invoice_prefix", "FAC")
    assert next_number("invoice", 2026) == "FAC-2026-0001"


def test_a_rolled_back_issue_gives_its_number_back(make_company, make_document):
    invoice = make_document("invoice", make_company())
    issue_invoice(invoice)
    assert invoice.number.endswith("-0001")
    db.session.rollback()
    again = db.session.get(Invoice, invoice.id)
    issue_invoice(again)
    db.session.commit()
    assert again.number == f"INV-{date.today().year}-0001"


def test_invoice_number_year_is_the_issue_year(make_company, make_document):
    invoice = make_document("invoice", make_company(), issue_date=date(2024, 12, 31),
                            due_date=date(2025, 1, 30))
    issue_invoice(invoice)
    db.session.commit()
    assert invoice.number == "INV-2024-0001"


def _issue_concurrently(app, invoice_ids: list[int]) -> list[BaseException]:
    barrier = threading.Barrier(len(invoice_ids))
    errors: list[BaseException] = []

    def issue(invoice_id: int) -> None:
        with app.app_context():  # its own session and connection
            try:
                invoice = db.session.get(Invoice, invoice_id)
                barrier.wait(timeout=30)
                issue_invoice(invoice)
                db.session.commit()
            except BaseException as exc:  # noqa: BLE001 - reported by the test
                errors.append(exc)
                db.session.rollback()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=issue, args=(i,)) for i in invoice_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_concurrent_issuers_get_numbers_1_to_n_without_gaps_or_duplicates(
        app, is_postgres, make_company, make_document):
    if not is_postgres:
        pytest.skip("Row locks (SELECT ... FOR UPDATE) are what is proven here: PostgreSQL only; "
                    "SQLite serialises all writers with its single database lock.")
    company = make_company()
    ids = [make_document("invoice", company).id for _ in range(12)]
    db.session.remove()
    errors = _issue_concurrently(app, ids)
    assert errors == []
    numbers = sorted(db.session.scalars(db.select(Invoice.number)))
    year = date.today().year
    assert numbers == [f"INV-{year}-{n:04d}" for n in range(1, 13)]
    assert db.session.get(NumberCounter, ("invoice", year)).last_value == 12


def test_first_number_of_a_year_taken_concurrently_creates_one_counter(
        app, is_postgres, make_company, make_document):
    if not is_postgres:
        pytest.skip("Concurrent INSERT ... ON CONFLICT of the counter row: PostgreSQL only.")
    company = make_company()
    ids = [make_document("invoice", company, issue_date=date(2031, 1, 2),
                         due_date=date(2031, 2, 1)).id for _ in range(6)]
    db.session.remove()
    assert _issue_concurrently(app, ids) == []
    assert sorted(db.session.scalars(db.select(Invoice.number))) == [
        f"INV-2031-{n:04d}" for n in range(1, 7)]


def test_sequential_issuers_in_separate_sessions_on_any_database(app, make_company, make_document):
    company = make_company()
    ids = [make_document("invoice", company).id for _ in range(5)]
    db.session.remove()
    for invoice_id in ids:
        with app.app_context():
            issue_invoice(db.session.get(Invoice, invoice_id))
            db.session.commit()
            db.session.remove()
    year = date.today().year
    assert sorted(db.session.scalars(db.select(Invoice.number))) == [
        f"INV-{year}-{n:04d}" for n in range(1, 6)]
