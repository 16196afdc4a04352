"""Merge integrity: every foreign key covered, constant statements, atomic, safe under concurrency."""
import threading
import time
from datetime import datetime

import pytest
from sqlalchemy import Column, ForeignKey, Integer, Table, event, func, insert, select

from admin_app.extensions import db
from admin_app.models import Company, Contact, Exchange, Merge
from admin_app.services import figures
from admin_app.services.merge import (
    NOT_MOVED, MergeError, company_foreign_keys, merge_companies, undo_merge,
)
from tests.merge_helpers import FIGURE_TABLES, fill_company, snapshot


def _all_foreign_keys_to_companies() -> set[str]:
    companies = db.metadata.tables["companies"]
    return {f"{t.name}.{fk.parent.name}" for t in db.metadata.sorted_tables
            for fk in t.foreign_keys if fk.column.table is companies}


def test_every_foreign_key_to_companies_is_moved_or_deliberately_excluded():
    moved = {f"{t.name}.{c.name}" for t, c in company_foreign_keys()}
    assert moved | set(NOT_MOVED) == _all_foreign_keys_to_companies()
    assert not moved & set(NOT_MOVED)
    assert all(reason.strip() for reason in NOT_MOVED.values())
    assert {"addresses.company_id", "contacts.company_id", "exchanges.company_id",
            "opportunities.company_id", "quotes.company_id", "orders.company_id",
            "invoices.company_id", "documents.company_id",
            "custom_field_values.company_id"} <= moved
    for table, _column in company_foreign_keys():
        # Undo records and restores rows by a single-column id.
        assert [c.name for c in table.primary_key.columns] == ["id"], table.name


def test_a_table_added_later_is_found_from_the_metadata_without_code_changes():
    table = Table("merge_probe_notes", db.metadata,
                  Column("id", Integer, primary_key=True),
                  Column("client_id", ForeignKey("companies.id")))
    try:
        assert (table, table.c.client_id) in company_foreign_keys()
    finally:
        db.metadata.remove(table)


def test_the_merge_fixture_has_rows_in_every_moved_table_and_all_of_them_move(
        make_company, make_invoice, admin_user):
    kept, absorbed = make_company("Kept"), make_company("Absorbed")
    fill_company(kept, make_invoice, "K")
    fill_company(absorbed, make_invoice, "A", custom={"industry": "Retail"})
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    # A new table referencing companies fails here until the fixture (and so the test) covers it.
    assert set(merge.moved) == {f"{t.name}.{c.name}" for t, c in company_foreign_keys()}
    for table, column in company_foreign_keys():
        left = db.session.scalar(select(func.count()).select_from(table)
                                 .where(column == absorbed.id))
        assert left == 0, table.name


def _bulk_children(company_id: int, n: int) -> None:
    when = datetime(2024, 5, 1)
    db.session.execute(insert(Contact), [{"company_id": company_id, "last_name": f"P{i}",
                                          "first_name": "", "created_at": when} for i in range(n)])
    db.session.execute(insert(Exchange), [{"company_id": company_id, "kind": "note", "title": "",
                                           "occurred_at": when} for _ in range(n)])
    figures.refresh(company_ids=[company_id])  # a bulk insert, past the session hooks
    db.session.commit()


def _merge_statements(count_queries, make_company, admin_user, children: int) -> int:
    kept, absorbed = make_company(f"Kept {children}"), make_company(f"Absorbed {children}")
    _bulk_children(absorbed.id, children)
    with count_queries() as statements:
        merge_companies(kept, absorbed, admin_user)
        db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Contact)
                             .where(Contact.company_id == kept.id)) == children
    return len(statements)


def test_merge_runs_a_constant_number_of_statements_whatever_the_number_of_rows(
        count_queries, make_company, admin_user):
    few = _merge_statements(count_queries, make_company, admin_user, 3)
    many = _merge_statements(count_queries, make_company, admin_user, 3000)
    assert few == many
    assert many < 40


def test_an_error_in_the_middle_of_a_merge_leaves_the_database_unchanged(
        make_company, make_invoice, admin_user):
    kept, absorbed = make_company("Kept"), make_company("Absorbed")
    fill_company(kept, make_invoice, "K")
    fill_company(absorbed, make_invoice, "A", custom={"industry": "Retail"})
    before = snapshot()

    def fail_on_invoices(conn, cursor, statement, *args):
        if "UPDATE invoices SET company_id" in statement:  # alone, or in a WITH on PostgreSQL
            raise RuntimeError("disk on fire")

    event.listen(db.engine, "before_cursor_execute", fail_on_invoices)
    try:
        with pytest.raises(RuntimeError, match="disk on fire"):
            merge_companies(kept, absorbed, admin_user)
    finally:
        event.remove(db.engine, "before_cursor_execute", fail_on_invoices)
    db.session.rollback()
    assert snapshot() == before
    assert db.session.scalar(select(func.count()).select_from(Merge)) == 0


def test_both_companies_are_locked_in_id_order(count_queries, make_company, admin_user,
                                               is_postgres):
    low, high = make_company("Low"), make_company("High")
    with count_queries() as statements:
        merge_companies(high, low, admin_user)
    lock = next(s for s in statements if "FROM companies" in s and "companies.id IN" in s)
    assert "ORDER BY companies.id" in lock
    assert ("FOR UPDATE OF companies" in lock) == is_postgres


def test_two_crossing_merges_at_once_end_with_one_success_and_one_refusal(
        app, make_company, make_invoice, admin_user, is_postgres):
    if not is_postgres:
        pytest.skip("row locks need PostgreSQL; SQLite serialises writers")
    a, b = make_company("Twin A"), make_company("Twin B")
    fill_company(a, make_invoice, "A")
    fill_company(b, make_invoice, "B")
    total_before = {k: len(v) for k, v in snapshot().items() if k not in FIGURE_TABLES}
    ids, user_id = (a.id, b.id), admin_user.id
    outcomes: dict[str, str] = {}
    started = threading.Event()

    def hold_lock(conn, cursor, statement, *args):
        # The first thread keeps both rows locked a moment, so the second really waits on them.
        if "FOR UPDATE" in statement and threading.current_thread().name == "first":
            started.set()
            time.sleep(0.5)

    def run(kept_id, absorbed_id):
        with app.app_context():
            try:
                merge_companies(db.session.get(Company, kept_id), db.session.get(Company, absorbed_id),
                                db.session.get(type(admin_user), user_id))
                db.session.commit()
                outcomes[threading.current_thread().name] = "merged"
            except MergeError as exc:
                db.session.rollback()
                outcomes[threading.current_thread().name] = str(exc)
            finally:
                db.session.remove()

    event.listen(db.engine, "after_cursor_execute", hold_lock)
    try:
        first = threading.Thread(target=run, args=ids, name="first")
        second = threading.Thread(target=run, args=ids[::-1], name="second")
        first.start()
        assert started.wait(10)
        second.start()
        first.join(30)
        second.join(30)
    finally:
        event.remove(db.engine, "after_cursor_execute", hold_lock)
    assert outcomes["first"] == "merged"
    assert "was merged into another company" in outcomes["second"]
    db.session.expire_all()
    assert db.session.get(Company, b.id).merged_into_id == a.id
    assert db.session.get(Company, a.id).merged_into_id is None
    after = snapshot()
    # Nothing lost or duplicated.
    assert {k: len(v) for k, v in after.items() if k not in FIGURE_TABLES} == total_before
    for table, column in company_foreign_keys():
        assert db.session.scalar(select(func.count()).select_from(table)
                                 .where(column == b.id)) == 0, table.name


def test_after_undo_the_pair_can_be_merged_the_other_way(make_company, admin_user):
    a, b = make_company("A"), make_company("B")
    merge = merge_companies(a, b, admin_user)
    db.session.commit()
    undo_merge(merge, admin_user)
    db.session.commit()
    again = merge_companies(b, a, admin_user)  # the pair can be merged the other way after undo
    db.session.commit()
    assert again.kept_id == b.id and db.session.get(Company, a.id).merged_into_id == b.id
