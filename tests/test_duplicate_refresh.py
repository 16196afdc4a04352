"""An edit re-scores only its company's blocks, read by index, and still gives what a full scan
gives: every pair, the groups, the company count and the blocks skipped as too big."""
import random

import pytest
from sqlalchemy import select, text

from admin_app.extensions import db
from admin_app.models import Company, DuplicateKey, DuplicateKeyChange
from admin_app.services import duplicates
from admin_app.services.duplicate_cache import cached_scan
from admin_app.services.duplicate_keys import SOURCE_COLUMNS
from admin_app.services.duplicates import block_keys, ignore_pair, live_rows, scan

STEMS = ["Kestrel", "Kestrl", "Nordic", "Nordik", "Umbra", "Zentrix", "Zentrik", "Halcyon"]
WORDS = ["Media", "Foods", "Labs", "Group"]
PHONES = [None, "612 345 678", "+34 699 000 111", "655 444 333"]
EMAILS = [None, "a@kestrel.example", "b@nordic.example", "c@umbra.example"]


def _random_fields(rng: random.Random) -> dict:
    return {"name": f"{rng.choice(STEMS)} {rng.choice(WORDS)}", "phone": rng.choice(PHONES),
            "email": rng.choice(EMAILS), "legal_id": rng.choice([None, "B1", "B2"])}


def _assert_same_as_a_full_scan() -> None:
    cached, fresh = cached_scan(), scan()
    assert cached.from_cache  # patched at the commit, not rescanned
    result = cached.result()
    assert result.pairs == fresh.pairs
    assert result.groups == fresh.groups
    assert result.companies == fresh.companies
    assert result.skipped_keys == fresh.skipped_keys


def _assert_keys_stored_for_every_live_company() -> None:
    stored: dict[int, set[str]] = {}
    for key, company_id in db.session.execute(select(DuplicateKey.key, DuplicateKey.company_id)):
        stored.setdefault(company_id, set()).add(key)
    assert stored == {row.id: block_keys(row) for row in live_rows() if block_keys(row)}
    sources = {r[0]: tuple(r[1:]) for r in db.session.execute(select(*SOURCE_COLUMNS))}
    assert sources == {row.id: (row.name_key, row.legal_id_key, row.email_domain, row.phone_key)
                       for row in live_rows()}
    assert db.session.scalar(select(DuplicateKeyChange.seq).limit(1)) is None


@pytest.fixture
def small_blocks(monkeypatch):
    """Block limits of 3 and 4: a few companies move blocks across them."""
    for kind, limit in {"l": 3, "e": 3, "p": 3, "n": 3, "t": 4, "d": 4}.items():
        monkeypatch.setitem(duplicates.BLOCK_LIMIT, kind, limit)


def test_random_edits_and_new_companies_equal_a_full_scan_after_each_commit(
        make_company, admin_user, small_blocks):
    rng = random.Random(16)
    companies = [make_company(**_random_fields(rng), commit=False) for _ in range(30)]
    db.session.commit()
    cached_scan()
    for step in range(40):
        action = rng.random()
        if action < 0.55:
            for company in rng.sample(companies, rng.choice([1, 1, 1, 3])):
                for field, value in _random_fields(rng).items():
                    if rng.random() < 0.6:
                        setattr(company, field, value)
        elif action < 0.9:
            companies.append(make_company(**_random_fields(rng), commit=False))
        else:
            a, b = rng.sample(companies, 2)
            ignore_pair(a.id, b.id, admin_user)
            a.name = a.name + " SL"  # an ignore and an edit: one commit, rescanned
        db.session.commit()
        if action < 0.9:
            _assert_same_as_a_full_scan()
        else:
            assert cached_scan().result().pairs == scan().pairs
        _assert_keys_stored_for_every_live_company()


def test_a_block_growing_past_its_limit_drops_the_pairs_it_alone_made(make_company,
                                                                       small_blocks):
    shared = [make_company(f"Company {i}", phone="612 345 678") for i in range(3)]
    cached_scan()
    assert len(cached_scan().result().pairs) == 3  # a block of 3: compared
    fourth = make_company("Someone Else", phone="612345678")
    _assert_same_as_a_full_scan()
    assert cached_scan().result().pairs == [] and cached_scan().result().skipped_keys == 1
    fourth.phone = None
    db.session.commit()
    _assert_same_as_a_full_scan()
    assert {(p.low.id, p.high.id) for p in cached_scan().result().pairs} == {
        (shared[0].id, shared[1].id), (shared[0].id, shared[2].id), (shared[1].id, shared[2].id)}


def test_a_write_outside_the_application_is_rescored_with_the_next_edit(make_company):
    a = make_company("Kestrel Media", phone="612 345 678")
    b = make_company("Nordic Foods")
    c = make_company("Umbra Labs")
    cached_scan()
    with db.engine.begin() as conn:  # no session: no refresh, only the trigger notes it
        conn.execute(text("UPDATE companies SET name = 'Nordic Food', name_key = 'nordic food' "
                          "WHERE id = :id"), {"id": a.id})
    c.name = "Umbra Lab"
    db.session.commit()
    _assert_same_as_a_full_scan()
    assert [(p.low.id, p.high.id) for p in cached_scan().result().pairs] == [(a.id, b.id)]


def test_an_edit_reads_only_its_blocks_not_every_company(make_company, count_queries):
    for i in range(120):  # a word every company shares: a block far too big to compare
        make_company(f"Company{i:03d} Group", commit=False)
    twin = make_company("Nordic Group", commit=False)
    db.session.commit()
    cached_scan()
    company = db.session.get(Company, twin.id - 1)
    company.name = "Nordic Groups"
    with count_queries() as statements:
        db.session.commit()
    # Every read of companies names its ids: the whole-table read of the full scan never runs.
    reads = [s for s in statements if "FROM companies" in s and "companies.name_key" in s]
    assert reads and all("companies.id IN" in s for s in reads), reads
    assert len(statements) <= 16, statements  # 14 today: none per company in the table
    assert any({p.low.id, p.high.id} == {company.id, twin.id} for p in cached_scan().result().pairs)
    _assert_same_as_a_full_scan()


def test_every_company_is_listed_as_changed_until_a_full_scan_stores_its_keys(make_company):
    a = make_company("Kestrel Media")
    listed = set(db.session.scalars(select(DuplicateKeyChange.company_id)))
    assert a.id in listed and not db.session.scalar(select(DuplicateKey.key).limit(1))
    cached_scan()
    _assert_keys_stored_for_every_live_company()


def test_too_many_changes_since_the_scan_make_the_next_load_rescan(make_company, count_queries):
    from admin_app.services.duplicate_cache import INCREMENTAL_LIMIT
    cached_scan()
    with db.engine.begin() as conn:  # outside the application: listed by the trigger only
        for i in range(INCREMENTAL_LIMIT + 1):
            conn.execute(text("INSERT INTO companies (name, status, name_key, phone_key, "
                              "email_domain, legal_id_key, legal_id_check, created_at, "
                              "updated_at) VALUES (:n, 'lead', :k, '', '', '', '', "
                              "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"),
                         {"n": f"Imported {i}", "k": f"imported {i}"})
    make_company("Kestrel Media")
    result = cached_scan()
    assert not result.from_cache and result.companies == INCREMENTAL_LIMIT + 2
    _assert_keys_stored_for_every_live_company()


def test_the_triggers_that_list_changed_companies_exist_at_the_head_revision(is_postgres):
    # A later batch_alter_table on `companies` rebuilds the table on SQLite and drops its
    # triggers silently: re-scores would then miss edits. Recreate them (models/duplicate_keys).
    from admin_app.models.duplicate_keys import TRIGGER_NAMES
    sql = ("SELECT tgname FROM pg_trigger WHERE tgrelid = 'companies'::regclass" if is_postgres
           else "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'companies'")
    with db.engine.connect() as conn:
        names = {row[0] for row in conn.exec_driver_sql(sql)}
    assert set(TRIGGER_NAMES["postgresql" if is_postgres else "sqlite"]) <= names


def test_upgrading_lists_every_existing_company_as_changed(database_at_revision):
    from flask_migrate import upgrade
    database_at_revision("0015c")
    db.session.execute(text(
        "INSERT INTO companies (id, name, status, name_key, phone_key, email_domain, legal_id_key, "
        "created_at, updated_at) VALUES (7, 'Old Client SL', 'client', 'old client sl', '', '', "
        "'', '2026-01-01', '2026-01-01'), (9, 'Old Client', 'lead', 'old client', '', '', '', "
        "'2026-01-01', '2026-01-01')"))
    db.session.commit()
    upgrade(revision="0016d")
    assert list(db.session.scalars(select(DuplicateKeyChange.company_id)
                                   .order_by(DuplicateKeyChange.seq))) == [7, 9]
    result = cached_scan()
    assert [(p.low.id, p.high.id) for p in result.result().pairs] == [(7, 9)]
    _assert_keys_stored_for_every_live_company()
