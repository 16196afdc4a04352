"""Merge and undo of big clients: statements constant in the rows moved, undo exact, and the
exchange indexes a moved row no longer has to fill."""
from datetime import datetime

import pytest
from sqlalchemy import func, insert, select, text

from admin_app.extensions import db
from admin_app.models import Contact, Exchange
from admin_app.services.merge import merge_companies, undo_merge

WHEN = datetime(2024, 5, 1)
# More rows than the 5,000-id chunks the undo used to send, so a chunked undo would show.
MANY = 6000


def _add_rows(company_id: int, n: int, tag: str = "") -> None:
    db.session.execute(insert(Contact), [{"company_id": company_id, "last_name": f"P{tag}{i}",
                                          "first_name": "", "created_at": WHEN} for i in range(n)])
    db.session.execute(insert(Exchange), [{"company_id": company_id, "kind": "note",
                                           "title": f"{tag}{i}", "occurred_at": WHEN}
                                          for i in range(n)])
    db.session.commit()


def _ids(model, company_id: int) -> set[int]:
    return set(db.session.scalars(select(model.id).where(model.company_id == company_id)))


def _statements(count_queries, make_company, admin_user, rows: int) -> tuple[int, int]:
    kept, absorbed = make_company(f"Kept {rows}"), make_company(f"Absorbed {rows}")
    _add_rows(absorbed.id, rows)
    with count_queries() as merging:
        merge = merge_companies(kept, absorbed, admin_user)
        db.session.commit()
    assert len(_ids(Exchange, kept.id)) == rows
    with count_queries() as undoing:
        undo_merge(merge, admin_user)
        db.session.commit()
    assert len(_ids(Exchange, absorbed.id)) == rows and not _ids(Exchange, kept.id)
    return len(merging), len(undoing)


def test_merge_and_undo_run_as_many_statements_for_6000_rows_as_for_3(
        count_queries, make_company, admin_user):
    few = _statements(count_queries, make_company, admin_user, 3)
    many = _statements(count_queries, make_company, admin_user, MANY)
    assert few == many
    merge_statements, undo_statements = many
    assert merge_statements < 40 and undo_statements < 25


def test_the_moved_ids_never_reach_the_garbage_collector_as_a_row_each(
        is_postgres, make_company, admin_user):
    """A row per moved id made Python's cyclic collector run a full collection in every other
    merge of a big client (120-190 ms): PostgreSQL hands each table's ids back as one array
    (the rows received do not grow with the rows moved); SQLite, whose RETURNING gives rows
    alone, fetches them with the collector paused."""
    import gc

    from sqlalchemy import event

    def merge_rows(rows: int) -> tuple[int, set[bool]]:
        kept, absorbed = make_company(f"Kept {rows}"), make_company(f"Absorbed {rows}")
        _add_rows(absorbed.id, rows)
        received, collecting = [], set()

        def count(conn, cursor, statement, parameters, context, executemany):
            if cursor.description is not None:
                received.append(cursor.rowcount)
            if "SET company_id" in statement and "RETURNING" in statement:
                collecting.add(gc.isenabled())
        event.listen(db.engine, "after_cursor_execute", count)
        try:
            merge = merge_companies(kept, absorbed, admin_user)
            db.session.commit()
        finally:
            event.remove(db.engine, "after_cursor_execute", count)
        assert merge.moved["exchanges.company_id"] == sorted(_ids(Exchange, kept.id))
        assert len(merge.moved["exchanges.company_id"]) == rows
        return sum(received), collecting
    assert gc.isenabled()
    many, few = merge_rows(MANY), merge_rows(3)
    if is_postgres:
        assert many[0] == few[0]
    else:
        assert many[1] == few[1] == {False}
    assert gc.isenabled()


def test_undo_moves_back_exactly_the_moved_rows_and_leaves_what_changed_since(
        make_company, admin_user):
    kept, absorbed, third = make_company("Kept"), make_company("Absorbed"), make_company("Third")
    _add_rows(kept.id, 5, "k")
    _add_rows(absorbed.id, MANY, "a")
    kept_exchanges, kept_contacts = _ids(Exchange, kept.id), _ids(Contact, kept.id)
    moved_exchanges, moved_contacts = _ids(Exchange, absorbed.id), _ids(Contact, absorbed.id)
    merge = merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    assert sorted(merge.moved["exchanges.company_id"]) == sorted(moved_exchanges)

    # After the merge: new rows on the kept company, a moved exchange handed to a third
    # company, a moved contact deleted.
    _add_rows(kept.id, 2, "new")
    added_exchanges = _ids(Exchange, kept.id) - kept_exchanges - moved_exchanges
    added_contacts = _ids(Contact, kept.id) - kept_contacts - moved_contacts
    handed_over, deleted = min(moved_exchanges), max(moved_contacts)
    # Through the ORM, as the app does it: the stored figures follow the exchange.
    db.session.get(Exchange, handed_over).company_id = third.id
    db.session.delete(db.session.get(Contact, deleted))
    db.session.commit()

    undo_merge(merge, admin_user)
    db.session.commit()
    assert _ids(Exchange, absorbed.id) == moved_exchanges - {handed_over}
    assert _ids(Exchange, kept.id) == kept_exchanges | added_exchanges
    assert _ids(Exchange, third.id) == {handed_over}
    assert _ids(Contact, absorbed.id) == moved_contacts - {deleted}
    assert _ids(Contact, kept.id) == kept_contacts | added_contacts
    assert db.session.scalar(select(func.count()).select_from(Exchange)) == (
        len(kept_exchanges) + len(moved_exchanges) + len(added_exchanges))


def _definition(name: str, is_postgres: bool) -> str:
    query = ("SELECT indexdef FROM pg_indexes WHERE indexname = :name" if is_postgres
             else "SELECT sql FROM sqlite_master WHERE type = 'index' AND name = :name")
    return db.session.scalar(text(query), {"name": name}) or ""


def _plan(sql: str, is_postgres: bool) -> str:
    if is_postgres:
        db.session.execute(text("SET LOCAL enable_seqscan = off"))
        rows = db.session.execute(text(f"EXPLAIN {sql}")).scalars()
    else:
        rows = (row[-1] for row in db.session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
    plan = "\n".join(rows)
    db.session.rollback()
    return plan


@pytest.mark.parametrize("index, column", [
    ("ix_exchanges_contact_id", "contact_id"),
    ("ix_exchanges_email_template_id", "email_template_id"),
    ("uq_exchanges_ics_uid", "ics_uid"),
])
def test_mostly_empty_exchange_columns_are_indexed_where_set_and_lookups_still_use_it(
        is_postgres, index, column):
    definition = _definition(index, is_postgres).replace("(", "").replace(")", "")
    assert f"WHERE {column} IS NOT NULL" in definition
    value = "'x@example.org'" if column == "ics_uid" else "7"
    assert index in _plan(f"SELECT id FROM exchanges WHERE {column} = {value}", is_postgres)


def test_exchanges_by_author_are_found_through_the_author_and_callback_index(is_postgres):
    assert not _definition("ix_exchanges_author_id", is_postgres)
    assert "ix_exchanges_author_id_callback_at" in _plan(
        "SELECT id FROM exchanges WHERE author_id = 7", is_postgres)


def test_the_card_lists_a_merge_without_reading_the_ids_it_moved(
        count_queries, make_company, admin_user):
    from admin_app.services.card import merges_into
    kept, absorbed = make_company("Kept"), make_company("Absorbed")
    _add_rows(absorbed.id, 50)
    merge_companies(kept, absorbed, admin_user)
    db.session.commit()
    kept_id, absorbed_id = kept.id, absorbed.id
    db.session.expunge_all()
    with count_queries() as statements:
        listed = merges_into(kept_id)
    assert [m.absorbed_id for m in listed] == [absorbed_id]
    assert not any("moved" in statement for statement in statements)
