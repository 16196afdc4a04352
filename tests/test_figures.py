"""The figures stored for the card (services/figures.py) follow every path that changes money or
exchanges, and the card reads them in statements and rows that do not grow with the client's
history. (After every test, conftest's check compares all of them with a recompute.)"""
import threading
import time
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, insert, select, text

from admin_app.extensions import db
from admin_app.models import Company, Exchange, Invoice, Payment
from admin_app.services import figures
from admin_app.services.card import TIMELINE_PAGE, exchange_counts, load_card
from admin_app.services.card_money import company_kpis, monthly_revenue
from admin_app.services.credit_notes import (
    apply_credit, full_parts, issue_credit_note, refund_credit,
)
from admin_app.services.imports.undo import undo_import
from admin_app.services.merge import merge_companies, undo_merge
from admin_app.services.payments import record_payment, remove_payment
from admin_app.unit_of_work import unit_of_work
from tests.card_support import days
from tests.credit_support import figures_from_rows
from tests.import_helpers import csv_bytes, preview, run_import

FIGURES = ("revenue", "outstanding", "unpaid_count", "unpaid_amount", "average_payment_delay",
           "client_credit")


def exchange(company_id: int, kind: str, title: str) -> Exchange:
    return Exchange(company_id=company_id, kind=kind, title=title,
                    occurred_at=datetime(2026, 1, 1, 9, 0))


def card_figures(company_id: int) -> dict:
    kpis = company_kpis(company_id)
    return {name: getattr(kpis, name) for name in FIGURES}


def assert_right(*companies) -> None:
    """The card's figures are those recomputed from the rows by hand, and nothing drifted."""
    for company in companies:
        assert card_figures(company.id) == figures_from_rows(company.id), company.name
    assert figures.verify() is None


def test_figures_follow_payments_recorded_and_removed(make_company, make_invoice):
    company = make_company()
    invoice = make_invoice(company, [("1", "100.00", "0")], issue_date=days(-40),
                           due_date=days(-10))
    assert card_figures(company.id)["unpaid_amount"] == Decimal("100.00")
    first = record_payment(invoice, Decimal("30.00"), days(-30))
    assert invoice.balance_cents == 7000  # in the same transaction, before any commit
    db.session.commit()
    assert_right(company)
    record_payment(invoice, Decimal("70.00"), days(-20))
    assert invoice.paid_on == days(-20)
    db.session.commit()
    assert card_figures(company.id)["average_payment_delay"] == Decimal("20.0")
    assert_right(company)
    remove_payment(first)
    db.session.commit()
    assert invoice.paid_on is None and invoice.balance_cents == 3000
    assert card_figures(company.id)["unpaid_amount"] == Decimal("30.00")
    assert_right(company)


def test_figures_follow_credit_notes_and_the_credit_refunded_or_applied(make_company,
                                                                         make_invoice):
    company = make_company()
    paid = make_invoice(company, [("1", "100.00", "0")], issue_date=days(-50),
                        due_date=days(-20), payments=[("100.00", days(-45))])
    open_one = make_invoice(company, [("1", "80.00", "0")], issue_date=days(-40),
                            due_date=days(-5))
    issue_credit_note(paid, full_parts(paid), "returned")
    db.session.commit()
    assert card_figures(company.id)["client_credit"] == Decimal("100.00")
    assert card_figures(company.id)["revenue"] == Decimal("80.00")
    assert_right(company)
    refund_credit(paid, Decimal("30.00"), days(0))
    db.session.commit()
    assert_right(company)
    apply_credit(paid, open_one, Decimal("50.00"))
    db.session.commit()
    card = load_card(db.session.get(Company, company.id))
    assert [(i.id, credit) for i, credit in card.credits] == [(paid.id, Decimal("20.00"))]
    assert [(i.id, left) for i, left in card.credit_targets] == [(open_one.id, Decimal("30.00"))]
    assert card.kpis.outstanding == Decimal("30.00")
    assert_right(company)


def test_a_payment_moved_to_another_invoice_in_the_form_refreshes_both(admin_client,
                                                                        make_company,
                                                                        make_invoice):
    company = make_company()
    first = make_invoice(company, [("1", "50.00", "0")], issue_date=days(-20),
                         payments=[("50.00", days(-10))])
    second = make_invoice(company, [("1", "50.00", "0")], issue_date=days(-20))
    payment = db.session.scalar(select(Payment).where(Payment.invoice_id == first.id))
    response = admin_client.post(f"/admin/payment/edit/?id={payment.id}", data={
        "invoice": second.id, "amount": "50.00", "paid_on": days(-10).isoformat(),
        "method": "transfer", "reference": ""})
    assert response.status_code == 302
    db.session.expire_all()
    assert (first.balance_cents, second.balance_cents) == (5000, 0)
    assert (first.paid_on, second.paid_on) == (None, days(-10))
    assert_right(company)
    admin_client.post("/admin/payment/delete/", data={"id": payment.id})
    db.session.expire_all()
    assert second.balance_cents == 5000
    assert_right(company)


def test_figures_and_exchange_counts_follow_a_merge_and_its_undo(make_company, make_invoice,
                                                                  admin_user):
    kept, absorbed = make_company("Kept SA"), make_company("Absorbed SL")
    make_invoice(kept, [("1", "100.00", "0")], issue_date=days(-30), due_date=days(-1))
    make_invoice(absorbed, [("1", "40.00", "0")], issue_date=days(-60), due_date=days(-30),
                 payments=[("40.00", days(-50))])
    db.session.add_all([exchange(kept.id, "call", "Hello"),
                        exchange(absorbed.id, "note", "Note")])
    db.session.commit()
    before = {c.id: (card_figures(c.id), exchange_counts(c.id)) for c in (kept, absorbed)}
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert card_figures(kept.id)["revenue"] == Decimal("140.00")
    assert card_figures(absorbed.id)["revenue"] is None
    assert exchange_counts(kept.id) == {"call": 1, "meeting": 0, "email": 0, "note": 1}
    assert sum(m.amount for m in monthly_revenue(kept.id)) == Decimal("140.00")
    assert_right(kept)
    undo_merge(merge, admin_user)
    db.session.commit()
    assert {c.id: (card_figures(c.id), exchange_counts(c.id)) for c in (kept, absorbed)} == before
    assert_right(kept, absorbed)


def test_exchange_counts_follow_exchanges_added_moved_and_deleted(make_company):
    first, second = make_company("First"), make_company("Second")
    call = exchange(first.id, "call", "Call")
    db.session.add_all([call, exchange(first.id, "email", "Mail")])
    db.session.commit()
    assert exchange_counts(first.id) == {"call": 1, "meeting": 0, "email": 1, "note": 0}
    call.company_id, call.kind = second.id, "meeting"
    db.session.commit()
    assert exchange_counts(first.id)["call"] == 0
    assert exchange_counts(second.id)["meeting"] == 1
    db.session.delete(call)
    db.session.commit()
    assert exchange_counts(second.id) == {"call": 0, "meeting": 0, "email": 0, "note": 0}
    assert figures.verify() is None


def test_an_import_and_its_undo_leave_the_figures_right(admin_user, make_company,
                                                        make_invoice):
    client = make_company("Acme Logistics", status="lead", legal_id="B64717838")
    make_invoice(client, [("1", "100.00", "0")], issue_date=days(-30), due_date=days(-1))
    before = card_figures(client.id)
    workspace, _state = preview(csv_bytes([
        ["Acme Logistics", "new@acme.example", "", "B64717838", "", "client", "Madrid"],
        ["Nimbus Labs", "hi@nimbus.example", "", "", "", "client", "Lyon"]]), admin_user)
    batch = run_import(workspace, admin_user)
    created = db.session.scalar(select(Company).where(Company.name == "Nimbus Labs"))
    db.session.add(exchange(created.id, "note", "Imported, then met"))
    db.session.commit()
    assert card_figures(client.id) == before
    assert exchange_counts(created.id)["note"] == 1
    with unit_of_work(flash_errors=False) as work:
        undo_import(batch, admin_user)
    assert work.committed, work.error
    assert card_figures(client.id) == before
    assert_right(client)


def test_verify_names_the_company_a_raw_write_left_behind_and_refresh_repairs_it(
        make_company, make_invoice):
    quiet, tampered = make_company("Quiet SA"), make_company("Tampered SL")
    make_invoice(quiet)
    invoice = make_invoice(tampered, [("1", "100.00", "0")])
    db.session.execute(insert(Payment), [{"invoice_id": invoice.id, "amount": Decimal("10.00"),
                                          "paid_on": days(-1), "method": "cash"}])
    assert figures.verify() == figures.Drift(tampered.id, "invoice", invoice.id)
    db.session.execute(text("UPDATE invoices SET balance_cents = 9000 WHERE id = :id"),
                       {"id": invoice.id})
    assert figures.verify() == figures.Drift(tampered.id, "totals")
    figures.refresh(company_ids=[tampered.id])
    assert figures.verify() is None
    db.session.commit()
    assert card_figures(tampered.id)["outstanding"] == Decimal("90.00")


def _settled_history(company, invoices: int) -> None:
    """Invoices issued and paid long ago, inserted in bulk: history the card must not read."""
    first = db.session.scalar(select(Invoice.id).order_by(Invoice.id.desc()).limit(1)) or 0
    ids = list(db.session.scalars(insert(Invoice).returning(Invoice.id), [
        {"company_id": company.id, "status": "issued", "number": f"OLD-{first + n}",
         "issue_date": days(-400), "due_date": days(-370), "total_excl_tax": 100,
         "total_tax": 0, "total_incl_tax": 100, "currency": "EUR"} for n in range(invoices)]))
    db.session.execute(insert(Payment), [{"invoice_id": i, "amount": 100,
                                          "paid_on": days(-380), "method": "transfer"}
                                         for i in ids])
    db.session.execute(insert(Exchange), [
        {"company_id": company.id, "kind": "call", "title": f"Call {n}",
         "occurred_at": datetime(2020, 1, 1) + timedelta(hours=n), "send_invitation": False}
        for n in range(invoices)])
    figures.refresh(company_ids=[company.id], invoice_ids=ids)  # bulk: past the session hooks
    db.session.commit()


def _rows_read(plan: dict, tables: tuple[str, ...]) -> int:
    """Rows of `tables` a PostgreSQL plan node (and those under it) read: returned or filtered
    out, times loops."""
    own = 0
    if plan.get("Relation Name") in tables:
        own = (plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
               + plan.get("Rows Removed by Index Recheck", 0)) * plan.get("Actual Loops", 1)
    return own + sum(_rows_read(child, tables) for child in plan.get("Plans", ()))


def _card_reads(company_id: int, capture_statements,
                is_postgres: bool) -> tuple[int, int, int]:
    """(statements, rows of invoices and payments, rows of exchanges) one card load reads."""
    db.session.remove()
    with capture_statements() as captured:
        load_card(db.session.get(Company, company_id))
    money = exchanges = 0
    if is_postgres:
        connection = db.session.connection()
        # The index paths the card relies on, whatever a tiny test table makes the planner
        # prefer (a few pages are cheaper read whole, by a scan or a bitmap, than in order).
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        for statement, parameters in captured:
            explained = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + statement, parameters).scalar()
            money += _rows_read(explained[0]["Plan"], ("invoices", "payments"))
            exchanges += _rows_read(explained[0]["Plan"], ("exchanges",))
        db.session.rollback()
    return len(captured), money, exchanges


def test_the_card_reads_the_same_statements_and_rows_whatever_the_clients_history(
        make_company, make_invoice, capture_statements, is_postgres):
    short, long = make_company("Short History SL"), make_company("Long History SA")
    for company in (short, long):  # the same open business for both
        make_invoice(company, [("1", "120.00", "0")], issue_date=days(-40), due_date=days(-10),
                     payments=[("20.00", days(-20))])
        make_invoice(company, status="draft")
        db.session.add(exchange(company.id, "note", "Today"))
    db.session.commit()
    _settled_history(short, 30)  # past the timeline's first page, as the long one
    _settled_history(long, 300)
    short_id, long_id = short.id, long.id
    if is_postgres:
        db.session.execute(text("ANALYZE"))  # as autovacuum would: plans from real statistics
        db.session.commit()
    _card_reads(short_id, capture_statements, is_postgres)  # warm-up: settings read once per context
    short_reads = _card_reads(short_id, capture_statements, is_postgres)
    long_reads = _card_reads(long_id, capture_statements, is_postgres)
    assert short_reads[:2] == long_reads[:2]  # statements; invoices and payments rows
    assert long_reads[2] <= TIMELINE_PAGE + 5  # one page of the timeline, not 300 exchanges
    assert card_figures(long_id)["revenue"] == Decimal("30120.00")


def test_the_cards_money_queries_read_payments_never_and_invoices_through_their_indexes(
        make_company, make_invoice, is_postgres, capture_statements):
    if is_postgres:
        return  # PostgreSQL's plans: the row counters of the test above
    company = make_company()
    make_invoice(company, payments=[("10.00", days(-1))])
    with capture_statements() as captured:
        load_card(db.session.get(Company, company.id))
    plans = []
    for statement, parameters in captured:
        plans += [row[-1] for row in db.session.connection().exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters)]
    assert not [p for p in plans if "payments" in p or "SCAN invoices" in p
                or "SCAN exchanges" in p], plans
    assert any("ix_invoices_unsettled" in p for p in plans), plans


def test_two_payments_for_one_client_at_the_same_moment_both_count(app, make_company,
                                                                    make_invoice, is_postgres):
    if not is_postgres:
        pytest.skip("concurrent writers need PostgreSQL; SQLite serialises them")
    company = make_company()
    invoices = {name: make_invoice(company, [("1", "100.00", "0")]).id
                for name in ("first", "second")}
    started, failures = threading.Event(), {}

    def hold_lock(conn, cursor, statement, *args):
        # The first payment keeps the company's figures a moment, so the second really waits.
        if "pg_advisory_xact_lock" in statement and threading.current_thread().name == "first":
            started.set()
            time.sleep(0.5)

    def pay():
        name = threading.current_thread().name
        with app.app_context():
            try:
                record_payment(db.session.get(Invoice, invoices[name]), Decimal("40.00"),
                               days(-1))
                db.session.commit()
            except Exception as exc:  # noqa: BLE001 - reported by the assertion below
                failures[name] = exc
            finally:
                db.session.remove()

    event.listen(db.engine, "after_cursor_execute", hold_lock)
    try:
        first = threading.Thread(target=pay, name="first")
        second = threading.Thread(target=pay, name="second")
        first.start()
        assert started.wait(10)
        second.start()
        first.join(30)
        second.join(30)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold_lock)
    assert failures == {}
    assert card_figures(company.id)["outstanding"] == Decimal("120.00")
    assert figures.verify() is None


def test_verify_figures_command_names_the_drifted_company_and_repairs_on_request(
        app, make_company, make_invoice):
    runner = app.test_cli_runner()
    company = make_company("Drifted SL")
    invoice = make_invoice(company)
    fine = runner.invoke(args=["verify-figures"])
    assert (fine.exit_code, fine.output.strip()) == (
        0, "Stored money figures match the rows for every company.")
    db.session.execute(text("UPDATE invoices SET balance_cents = 1 WHERE id = :id"),
                       {"id": invoice.id})
    db.session.commit()
    drifted = runner.invoke(args=["verify-figures"])
    assert drifted.exit_code == 1
    assert f"invoice {invoice.number} of Drifted SL (#{company.id})" in drifted.output
    repaired = runner.invoke(args=["verify-figures", "--repair"])
    assert repaired.exit_code == 1 and "was recomputed from the rows" in repaired.output
    assert runner.invoke(args=["verify-figures"]).exit_code == 0
