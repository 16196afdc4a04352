"""The data-quality counts from running tallies (models/quality_flags.py, quality_tallies): always
what counting the rows gives, and the two flags always what the rows say, whoever wrote them
(the ORM, plain SQL, a merge and its undo, a cascade), folded or not. Both databases."""
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import delete, func, insert, select, text, update

from admin_app.extensions import db
from admin_app.models import Address, Company, Contact, Exchange, Merge, QualityTally
from admin_app.models.base import utcnow
from admin_app.services import office_counts as tallies
from admin_app.services.data_quality import (
    COMPANY_CHECKS, company_counts, contact_mismatch_count, stale_before,
)
from admin_app.services.merge import merge_companies, undo_merge
from admin_app.services.office_counts import fold_tallies, quality_sums


def _mismatch(contact: Contact) -> bool:
    """The rule written again in Python."""
    email, domain = (contact.email or "").strip(), contact.company.email_domain
    return bool(email and domain and not contact.email.lower().endswith("@" + domain))


def _assert_exact() -> None:
    """The flags as the rows say, and each tallied count as counting the rows gives."""
    db.session.expire_all()
    companies = db.session.scalars(select(Company)).all()
    for company in companies:
        assert company.has_main_address == any(a.is_main for a in company.addresses), company.name
    contacts = db.session.scalars(select(Contact)).all()
    for contact in contacts:
        assert contact.domain_mismatch == _mismatch(contact), contact.last_name
    live = Company.merged_into_id.is_(None)
    counted = {check.key: db.session.scalar(select(func.count()).select_from(Company)
                                            .where(live, check.condition()))
               for check in COMPANY_CHECKS}
    counted["no_main_address"] = sum(1 for c in companies if c.merged_into_id is None
                                     and not any(a.is_main for a in c.addresses))
    counted["contact_mismatch"] = sum(_mismatch(c) for c in contacts)
    counted["leads"] = sum(1 for c in companies if c.merged_into_id is None and c.status == "lead")
    assert quality_sums(stale_before()) == counted


@pytest.fixture
def office(make_company):
    companies = [
        make_company("Clean", email="a@clean.example", phone="1", legal_id="B64717838"),
        make_company("No Email", phone="2", legal_id="B64717839"),
        make_company("Nothing"),
        make_company("Bad Email", email="bad@", phone="3", legal_id="732829321"),
        make_company("Free Mail", email="someone@gmail.com", phone="4"),
    ]
    clean, no_email, nothing = companies[:3]
    db.session.add_all([
        Address(company=clean, line1="1 Rue", city="Lyon", is_main=True),
        Address(company=no_email, line1="2 Rue", city="Lyon"),
        Contact(company=clean, last_name="Same", email="same@CLEAN.example"),
        Contact(company=clean, last_name="Other", email="other@elsewhere.example"),
        Contact(company=clean, last_name="Blank", email="  "),
        Contact(company=nothing, last_name="NoDomain", email="z@anything.example"),
        Contact(company=companies[4], last_name="Free", email="x@else.example"),
    ])
    db.session.commit()
    return companies


def test_the_tallies_give_what_counting_the_rows_gives(office):
    _assert_exact()
    sums = quality_sums()
    assert sums["no_email"] == 2 and sums["bad_es_id"] == 1 and sums["bad_fr_id"] == 1
    assert sums["no_main_address"] == 4 and sums["contact_mismatch"] == 1
    assert sums["invalid_email"] == 1 and sums["unreachable"] == 1


def test_edits_through_the_orm_move_the_flags_and_the_tallies(office):
    clean, no_email, nothing, bad, free = office
    clean.email = "boss@elsewhere.example"  # "Other" now matches, "Same" no longer does
    no_email.legal_id = "B64717838"
    bad.phone = " "
    db.session.commit()
    _assert_exact()
    main = db.session.scalar(select(Address).where(Address.company_id == no_email.id))
    main.is_main = True
    db.session.commit()
    _assert_exact()
    main.company = nothing  # moved: one gains a main address, the other loses it
    db.session.commit()
    _assert_exact()
    db.session.add(Contact(company=nothing, last_name="Late", email="late@x.example"))
    nothing.email = "info@nothing.example"
    db.session.commit()
    _assert_exact()
    contact = db.session.scalar(select(Contact).where(Contact.last_name == "Late"))
    contact.email = "LATE@Nothing.Example"
    contact_moved = db.session.scalar(select(Contact).where(Contact.last_name == "Free"))
    contact_moved.company = clean
    db.session.commit()
    _assert_exact()
    db.session.delete(main)
    db.session.commit()
    _assert_exact()


def _migration(name: str):
    from importlib.util import module_from_spec, spec_from_file_location
    from pathlib import Path
    path = Path(__file__).parents[1] / "migrations" / "versions" / f"{name}.py"
    spec = spec_from_file_location(f"migration_{name}", path)
    migration = module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


def test_the_migrations_create_what_the_models_create():
    """Migration 0026 writes its DDL out (history must not follow later model changes), and
    0027 rewrites the last-exchange functions: together, they are what create_all builds."""
    from admin_app.models import office_tallies, quality_flags
    migration, rewrite = _migration("0026_quality_tallies"), _migration("0027_lighter_moves")
    rewritten = {f"companies_last_exchange_{operation}()": rewrite._last_exchange(operation, True)
                 for operation in ("insert", "delete", "update")}

    def after_0027(statement: str) -> str:
        return next((new for name, new in rewritten.items()
                     if statement.startswith(f"CREATE OR REPLACE FUNCTION {name}")), statement)
    assert migration.SQLITE_STATEMENTS == quality_flags.SQLITE_STATEMENTS
    assert [after_0027(s) for s in migration.POSTGRESQL_STATEMENTS] == (
        quality_flags.POSTGRESQL_STATEMENTS)
    assert sum(after_0027(s) != s for s in migration.POSTGRESQL_STATEMENTS) == 3
    assert migration.BACKFILL == quality_flags.BACKFILL
    assert migration.TALLY_SQLITE == [s for s in office_tallies.SQLITE_STATEMENTS
                                      if "quality_tallies" in s]
    assert migration.TALLY_POSTGRESQL == [s for s in office_tallies.POSTGRESQL_STATEMENTS
                                          if "quality_tallies" in s]


def test_plain_sql_of_many_rows_moves_them(office):
    clean = office[0]
    db.session.execute(insert(Company), [
        {"name": f"Bulk {n}", "status": "lead", "email": ("ok@bulk.example", None, "x y@z.io")[n % 3]}
        for n in range(30)])
    db.session.commit()
    ids = db.session.scalars(select(Company.id).where(Company.name.like("Bulk%"))).all()
    db.session.execute(insert(Address), [
        {"company_id": company_id, "line1": "Main", "city": "X", "is_main": n % 2 == 0}
        for n, company_id in enumerate(ids)])
    db.session.execute(insert(Contact), [
        {"company_id": clean.id, "last_name": f"Many {n}", "email": f"m{n}@other.example"}
        for n in range(10)])
    db.session.commit()
    _assert_exact()
    db.session.execute(update(Company).where(Company.id.in_(ids[:10])).values(phone="+34 1"))
    db.session.execute(update(Address).where(Address.company_id.in_(ids[:6]))
                       .values(is_main=False))
    # email_domain is what the application derives; plain SQL sets it too
    db.session.execute(text("UPDATE companies SET email_domain = 'other.example' WHERE id = :id"),
                       {"id": clean.id})
    db.session.commit()
    _assert_exact()
    db.session.execute(delete(Address).where(Address.company_id.in_(ids[10:20])))
    db.session.commit()
    _assert_exact()


def test_a_merge_its_undo_and_a_deletion_keep_them_exact(office, admin_user):
    clean, no_email, nothing, bad, free = office
    merge_companies(clean, no_email, admin_user)  # the keeper takes the other's rows
    db.session.commit()
    _assert_exact()
    undo_merge(db.session.scalars(select(Merge)).one(), admin_user)
    db.session.commit()
    _assert_exact()
    # Deleted with its addresses and contacts (cascade): nothing of it stays counted.
    db.session.add(Address(company=free, line1="5 Rue", city="Nantes", is_main=True))
    db.session.add(Contact(company=free, last_name="Gone", email="gone@x.example"))
    free.email = "info@free.example"
    db.session.commit()
    _assert_exact()
    db.session.delete(db.session.get(Company, free.id))
    db.session.commit()
    _assert_exact()
    nothing.email = None
    nothing.phone = "5"
    db.session.flush()
    db.session.rollback()
    _assert_exact()


def test_folding_keeps_every_count(office, monkeypatch):
    before = quality_sums()
    fold_tallies()
    assert db.session.scalar(select(func.count()).select_from(QualityTally)) <= 2
    assert quality_sums() == before
    monkeypatch.setattr(tallies, "FOLD_ABOVE", 1)
    office[2].email = "now@nothing.example"
    db.session.commit()
    quality_sums()  # read, then folded
    db.session.commit()
    _assert_exact()


def test_the_page_reads_the_same_statements_whatever_the_number_of_companies(
        admin_client, office, count_queries):
    def statements() -> list[str]:
        with count_queries() as seen:
            assert admin_client.get("/admin/data-quality/").status_code == 200
        return seen
    few = statements()
    db.session.execute(insert(Company), [{"name": f"More {n}", "status": "client"}
                                         for n in range(200)])
    db.session.commit()
    many = statements()
    assert len(many) == len(few)
    # The tallies are read once, the companies never.
    assert sum("FROM quality_tallies" in str(statement) for statement in many) == 1
    assert not any("FROM companies" in str(statement) for statement in many)
    assert company_counts()["no_email"] == 202 and contact_mismatch_count() == 1


@pytest.fixture
def leads(make_company):
    made = [make_company(f"Lead {n}", status="lead", email=f"l{n}@lead.example", phone="1")
            for n in range(4)]
    for n, lead in enumerate(made):  # last changed 300, 350, 400 and 450 days ago
        lead.updated_at = utcnow() - timedelta(days=300 + 50 * n)
    db.session.commit()
    return made


def _stale_counted(before: date) -> int:
    """Live leads whose own last change and latest exchange are both before the day."""
    db.session.expire_all()
    count = 0
    for lead in db.session.scalars(select(Company).where(Company.status == "lead",
                                                         Company.merged_into_id.is_(None))):
        exchanges = db.session.scalars(select(Exchange.occurred_at)
                                       .where(Exchange.company_id == lead.id)).all()
        assert lead.last_exchange_at == max(exchanges, default=None), lead.name
        count += max([lead.updated_at, *exchanges]).date() < before
    return count


def _assert_stale_exact() -> None:
    today = utcnow().date()
    for days in (0, 320, 365, 380, 425, 500):
        before = today - timedelta(days=days)
        assert quality_sums(before)["stale_lead"] == _stale_counted(before), days
    _assert_exact()


@pytest.mark.raw_figures  # exchanges written in plain SQL: the card's stored counts lag on purpose
def test_stale_leads_follow_their_exchanges_and_the_calendar(leads, admin_user):
    first, second, third, fourth = leads
    _assert_stale_exact()
    assert quality_sums(stale_before())["stale_lead"] == 2
    def exchange(company, days_ago):
        return Exchange(company=company, kind="call", title="Call",
                        occurred_at=utcnow() - timedelta(days=days_ago))
    recent, old = exchange(third, 30), exchange(fourth, 600)
    db.session.add_all([recent, old, exchange(second, -10)])  # one planned ahead
    db.session.commit()
    _assert_stale_exact()
    assert quality_sums(stale_before())["stale_lead"] == 1
    # Plain SQL: the recent one moved, more of them at once, a deletion.
    db.session.execute(update(Exchange).where(Exchange.id == recent.id)
                       .values(company_id=fourth.id))
    db.session.execute(insert(Exchange), [
        {"company_id": first.id, "kind": "note", "title": f"N{n}",
         "occurred_at": utcnow() - timedelta(days=700 - n)} for n in range(5)])
    db.session.commit()
    _assert_stale_exact()
    db.session.execute(delete(Exchange).where(Exchange.id == recent.id))
    db.session.execute(update(Exchange).where(Exchange.id == old.id)
                       .values(occurred_at=utcnow() - timedelta(days=100)))
    db.session.commit()
    _assert_stale_exact()
    # An edit through the form's path touches the lead; a lead made a client leaves the count.
    third.phone = "2"
    first.status = "client"
    db.session.commit()
    _assert_stale_exact()
    merge_companies(second, fourth, admin_user)  # the exchanges move to the keeper
    db.session.commit()
    _assert_stale_exact()
    undo_merge(db.session.scalars(select(Merge)).one(), admin_user)
    db.session.commit()
    _assert_stale_exact()


def test_the_stale_lead_filter_lists_what_the_page_counts(admin_client, leads):
    html = admin_client.get("/admin/company/?flt0_data_quality_is=stale_lead").get_data(as_text=True)
    listed = set(re.findall(r'<a href="/admin/company/card/\?id=\d+">([^<]+)</a>', html))
    assert listed == {"Lead 2", "Lead 3"} and company_counts()["stale_lead"] == 2


def test_the_migration_flags_and_tallies_the_rows_already_there(database_at_revision):
    from flask_migrate import downgrade, upgrade
    database_at_revision("0025", on_test_server=True)
    old, recent = utcnow() - timedelta(days=500), utcnow() - timedelta(days=10)
    for id_, name, status, email, domain, merged in (
            (1, "Kept", "lead", "a@kept.example", "kept.example", None),
            (2, "Busy Lead", "lead", None, "", None),
            (3, "Gone", "lead", None, "", 1)):
        db.session.execute(text(
            "INSERT INTO companies (id, name, status, email, name_key, phone_key, email_domain, "
            "legal_id_key, legal_id_check, merged_into_id, created_at, updated_at) VALUES "
            "(:id, :name, :status, :email, '', '', :domain, '', '', :merged, :old, :old)"),
            {"id": id_, "name": name, "status": status, "email": email, "domain": domain,
             "merged": merged, "old": old})
    db.session.execute(text(
        "INSERT INTO addresses (company_id, label, line1, city, country, is_main, "
        "is_billing_default, is_delivery_default, is_quote_default) "
        "VALUES (2, '', '1 Rue', 'Lyon', 'FR', :yes, :no, :no, :no)"), {"yes": True, "no": False})
    db.session.execute(text(
        "INSERT INTO contacts (company_id, first_name, last_name, email, is_billing_contact, "
        "created_at) VALUES (1, '', 'Out', 'o@else.example', :no, :old), "
        "(1, '', 'In', 'i@KEPT.example', :no, :old)"), {"no": False, "old": old})
    db.session.execute(text(
        "INSERT INTO exchanges (company_id, kind, title, occurred_at, send_invitation, "
        "ics_sequence, created_at) VALUES (2, 'call', 'Call', :recent, :no, 0, :recent)"),
        {"recent": recent, "no": False})
    db.session.commit()

    upgrade()

    _assert_exact()
    sums = quality_sums(stale_before())
    assert sums["no_main_address"] == 1 and sums["contact_mismatch"] == 1
    assert sums["no_email"] == 1 and sums["leads"] == 2 and sums["stale_lead"] == 1
    db.session.rollback()
    downgrade(revision="0025")
    upgrade()
    assert quality_sums(stale_before()) == sums


def test_recount_puts_flags_and_tallies_back_after_writes_the_triggers_missed(app, office, leads):
    from tests.test_office_counts import _counted
    from admin_app import clock
    from admin_app.services.office_counts import office_counts
    today = clock.today()
    expected_office, expected_quality = office_counts(today), quality_sums(stale_before())
    # As a TRUNCATE or a load with triggers off would leave them: tallies gone or wrong, flags
    # wrong (their own tallies following the wrong flags).
    for table in ("office_tallies", "quality_tallies", "pipeline_tallies"):
        db.session.execute(text(f"DELETE FROM {table}"))
    db.session.execute(text("UPDATE companies SET has_main_address = NOT has_main_address, "
                            "last_exchange_at = NULL"))
    db.session.execute(text("UPDATE contacts SET domain_mismatch = NOT domain_mismatch"))
    db.session.commit()
    assert quality_sums(stale_before()) != expected_quality

    result = app.test_cli_runner().invoke(args=["recount-tallies"])

    assert result.exit_code == 0 and "Tallies recounted from the rows" in result.output
    assert "quality_tallies" in result.output
    _assert_exact()
    assert quality_sums(stale_before()) == expected_quality
    assert office_counts(today) == expected_office == _counted(today)


def test_a_fold_merges_the_days_before_the_reading_day(make_company):
    today = utcnow().date()
    for n in range(12):  # leads last touched 12 different days, from 430 to 320 days ago
        lead = make_company(f"Lead {n}", status="lead", email=f"l{n}@x.example", phone="1")
        lead.updated_at = utcnow() - timedelta(days=430 - 10 * n)
    db.session.commit()
    cutoffs = [today - timedelta(days=days) for days in (365, 340, 300, 0)]
    before = {cutoff: quality_sums(cutoff) for cutoff in cutoffs}
    fold_tallies(QualityTally.__table__, before=stale_before())
    days = db.session.scalars(select(QualityTally.day).where(QualityTally.day.is_not(None))).all()
    # The 7 days before the stale line are one; the 5 after it stay apart.
    assert len(days) == len(set(days)) == 1 + 5
    assert min(days) == stale_before() - timedelta(days=1)
    for cutoff in cutoffs:  # the reading day and every later one read as before
        assert quality_sums(cutoff) == before[cutoff], cutoff
    _assert_exact()


def test_a_read_folds_only_rows_beyond_one_per_key(make_company, monkeypatch, count_queries):
    for n in range(6):
        lead = make_company(f"Lead {n}", status="lead")
        lead.updated_at = utcnow() - timedelta(days=30 + n)
    db.session.commit()
    fold_tallies(QualityTally.__table__)
    monkeypatch.setattr(tallies, "FOLD_ABOVE", 3)  # fewer than the keys (6 days, 1 undated)
    with count_queries() as statements:
        quality_sums(stale_before())
    assert not any("DELETE" in str(statement) for statement in statements)
    for n in range(1, 7):  # rows beyond one per key: each edit moves the lead out and back in
        db.session.get(Company, lead.id).email = None if n % 2 == 0 else "back@x.example"
        db.session.commit()
    with count_queries() as statements:
        quality_sums(stale_before())
    assert any("DELETE" in str(statement) for statement in statements)
    _assert_exact()
