"""The dashboard's office-wide counts from running tallies (models/office_tallies.py): always
what counting the rows gives, whoever wrote them, folded or not. Both databases."""
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import OperationalError

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import Company, Invoice, Merge, OfficeTally, Opportunity, PipelineStage, Quote
from admin_app.services import office_counts as tallies
from admin_app.services.figures import unsettled
from admin_app.services.merge import merge_companies, undo_merge
from admin_app.services.office_counts import OfficeCounts, fold_tallies, office_counts
from admin_app.services.opportunities import StageTotal, open_counts, stage_totals


def _counted(today: date) -> OfficeCounts:
    """The counts as the dashboard used to read them: from the rows."""
    live = Company.merged_into_id.is_(None)
    by_status = dict(db.session.execute(
        select(Company.status, func.count()).where(live).group_by(Company.status)).all())

    def count(model, *conditions):
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))
    return OfficeCounts(
        clients=by_status.get("client", 0), leads=by_status.get("lead", 0),
        open_quotes=count(Quote, Quote.status.in_(("draft", "sent"))),
        open_opportunities=count(Opportunity, Opportunity.status == "open"),
        overdue_invoices=count(Invoice, unsettled(), Invoice.status == "issued",
                               Invoice.due_date < today, Invoice.balance_cents > 0))


def _stage() -> PipelineStage:
    stage = db.session.scalar(select(PipelineStage).limit(1))
    if stage is None:
        stage = PipelineStage(name="Lead in", position=1, probability=10)
        db.session.add(stage)
        db.session.flush()
    return stage


@pytest.fixture
def office(make_company, make_invoice, admin_user):
    today = clock.today()
    companies = [make_company(f"Office {n}", status=("client", "lead")[n % 2]) for n in range(8)]
    stage = _stage()
    for n, company in enumerate(companies):
        db.session.add(Quote(company_id=company.id, status=("draft", "sent", "accepted")[n % 3],
                             issue_date=today))
        db.session.add(Opportunity(company_id=company.id, title=f"Deal {n}", stage_id=stage.id,
                                   status=("open", "won", "lost")[n % 3], amount=1000))
    db.session.commit()
    def due_in(company, days, **kwargs):
        due = today + timedelta(days=days)
        return make_invoice(company, issue_date=due - timedelta(days=30), due_date=due, **kwargs)
    invoices = [due_in(company, days)
                for company, days in zip(companies, (-40, -1, 0, 1, 30, -5, -5, -400))]
    due_in(companies[0], -9, status="draft")
    due_in(companies[1], -9, payments=[("120.00", today - timedelta(days=2))])  # paid
    return companies, invoices


def test_the_tallies_give_what_counting_the_rows_gives(office):
    today = clock.today()
    assert office_counts(today) == _counted(today)
    assert office_counts(today).overdue_invoices == 5  # due 40, 1, 5, 5 and 400 days ago


def test_every_writer_moves_the_tallies(office, admin_user):
    companies, invoices = office
    today = clock.today()
    # The ORM: a lead made a client, a quote sent, an opportunity won.
    companies[1].status = "client"
    quote = db.session.scalar(select(Quote).where(Quote.status == "draft").limit(1))
    quote.status = "sent"
    deal = db.session.scalar(select(Opportunity).where(Opportunity.status == "open").limit(1))
    deal.status = "won"
    db.session.commit()
    assert office_counts(today) == _counted(today)
    # Plain SQL, one statement for many rows (PostgreSQL: one trigger run for all of them).
    db.session.execute(update(Quote).where(Quote.status == "draft").values(status="refused"))
    db.session.execute(insert(Company), [{"name": f"Bulk {n}", "status": "lead"} for n in range(30)])
    db.session.execute(text("UPDATE invoices SET due_date = :day WHERE id = :id"),
                       {"day": today + timedelta(days=3), "id": invoices[0].id})
    db.session.commit()
    assert office_counts(today) == _counted(today)
    # A merge leaves one company of two (and moves their rows), its undo brings it back.
    merge_companies(companies[2], companies[3], admin_user)
    db.session.commit()
    assert office_counts(today) == _counted(today)
    undo_merge(db.session.scalars(select(Merge)).one(), admin_user)
    db.session.commit()
    assert office_counts(today) == _counted(today)
    # A deletion; a company whose status a rolled-back transaction changed counts as before.
    db.session.delete(db.session.scalar(select(Company).where(Company.name == "Bulk 0")))
    db.session.commit()
    companies[4].status = "lead"
    db.session.flush()
    db.session.rollback()
    assert office_counts(today) == _counted(today)


def test_the_overdue_count_follows_the_calendar_without_a_write(office):
    today = clock.today()
    for day in (today - timedelta(days=500), today, today + timedelta(days=2),
                today + timedelta(days=60)):
        assert office_counts(day).overdue_invoices == _counted(day).overdue_invoices, day


def test_folding_keeps_every_count_and_leaves_a_row_per_tally(office):
    today = clock.today()
    before = office_counts(today)
    fold_tallies()
    names = db.session.execute(select(OfficeTally.name, OfficeTally.day)).all()
    assert len(names) == len(set(names))  # one row per tally left
    assert office_counts(today) == before == _counted(today)
    fold_tallies()  # folding folded rows changes nothing
    assert office_counts(today) == before


def test_reading_folds_the_tallies_once_they_pile_up(office, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_ABOVE", 5)
    today = clock.today()
    assert db.session.scalar(select(func.count()).select_from(OfficeTally)) > 5
    first = office_counts(today)  # read, then folded
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(OfficeTally)) <= len(
        db.session.execute(select(OfficeTally.name, OfficeTally.day).distinct()).all())
    assert office_counts(today) == first == _counted(today)


@contextmanager
def tallies_held():
    """Another transaction holding the tally table against writers, readers let through: an
    EXCLUSIVE lock on PostgreSQL, SQLite's write lock (readers go on under the write-ahead log)."""
    with db.engine.connect() as other:
        if other.dialect.name == "postgresql":
            # Released by the server after a while, so a read that waits fails, not hangs.
            other.exec_driver_sql("SET idle_in_transaction_session_timeout = '15s'")
            other.exec_driver_sql(f"LOCK TABLE {OfficeTally.__tablename__} IN EXCLUSIVE MODE")
        else:
            other.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            try:
                other.rollback()
            except OperationalError:  # the server ended the holder's session: nothing held
                other.invalidate()


def test_a_read_does_not_wait_for_a_fold_it_cannot_do_now_and_a_later_read_folds(
        admin_client, office, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_ABOVE", 5)
    today = clock.today()

    def rows() -> int:
        db.session.rollback()
        return db.session.scalar(select(func.count()).select_from(OfficeTally))
    piled = rows()
    assert piled > 5
    with tallies_held():  # without the lock timeout this would wait for the lock's holder
        assert office_counts(today) == _counted(today)
        page = admin_client.get("/admin/")
        assert page.status_code == 200 and "dashboard-counts" in page.get_data(as_text=True)
        assert rows() == piled  # nothing folded, nothing lost
    assert admin_client.get("/admin/").status_code == 200
    assert rows() < piled and office_counts(today) == _counted(today)


def test_the_dashboard_shows_the_tallied_counts(admin_client, office):
    counts = office_counts()
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert counts.clients and counts.overdue_invoices
    for value in (counts.clients, counts.leads, counts.open_quotes, counts.open_opportunities,
                  counts.overdue_invoices):
        assert str(value) in html


def _totals_from_rows(owner_id=None) -> dict:
    """The board's totals as they used to be read: from the open opportunities."""
    totals: dict = {}
    query = select(Opportunity).where(Opportunity.status == "open")
    if owner_id:
        query = query.where(Opportunity.owner_id == owner_id)
    for deal in db.session.scalars(query):
        total = totals.setdefault(deal.stage_id, StageTotal())
        percent = deal.probability if deal.probability is not None else (
            deal.stage.probability if deal.stage else 0)
        total.count += 1
        total.amount += deal.amount
        total.weighted += deal.amount * percent / 100
    return totals


def _same(tallied: dict, counted: dict) -> bool:
    return {k: (t.count, t.amount, t.weighted) for k, t in tallied.items()} == {
        k: (t.count, t.amount, t.weighted) for k, t in counted.items()}


def test_the_pipeline_totals_follow_every_change_to_an_opportunity(
        make_company, admin_user, normal_user):
    company = make_company("Pipeline SA")
    first = _stage()
    second = PipelineStage(name="Proposal", position=2, probability=50)
    db.session.add(second)
    db.session.flush()
    deals = [Opportunity(company_id=company.id, title=f"Deal {n}", amount=f"{n * 37}.{n:02d}",
                         stage_id=(first.id, second.id, None)[n % 3],
                         probability=(None, 80, 5)[n % 3] if n % 4 else None,
                         owner_id=(admin_user.id, normal_user.id, None)[n % 3])
             for n in range(1, 13)]
    db.session.add_all(deals)
    db.session.commit()
    for owner in (None, admin_user.id, normal_user.id):
        assert _same(stage_totals(owner), _totals_from_rows(owner)), owner
    # Moved, re-weighted, re-owned, won, deleted, and a bulk statement.
    deals[0].stage_id = second.id
    deals[1].probability = 100
    deals[2].owner_id = admin_user.id
    deals[3].status = "won"
    deals[4].amount = deals[4].amount + 1
    db.session.delete(deals[5])
    db.session.commit()
    db.session.execute(update(Opportunity).where(Opportunity.stage_id.is_(None))
                       .values(stage_id=first.id))
    db.session.execute(insert(Opportunity), [
        {"company_id": company.id, "title": f"Bulk {n}", "amount": "10.10", "stage_id": second.id}
        for n in range(20)])
    db.session.commit()
    # A stage's own probability changes the weighted amount of those without theirs: no write.
    second.probability = 70
    db.session.commit()
    for owner in (None, admin_user.id, normal_user.id):
        assert _same(stage_totals(owner), _totals_from_rows(owner)), owner
    fold_tallies()
    assert _same(stage_totals(), _totals_from_rows())
    assert open_counts([first.id, second.id]) == {
        stage: total.count for stage, total in _totals_from_rows().items() if stage}


def test_a_fold_given_today_merges_the_overdue_days_before_it(office):
    today = clock.today()
    later = [today, today + timedelta(days=2), today + timedelta(days=60)]
    before = {day: office_counts(day) for day in later}
    fold_tallies(before=today)
    days = db.session.scalars(select(OfficeTally.day).where(OfficeTally.name == "overdue")).all()
    # Due 400, 40, 5 and 1 days ago: one day now; today, in 1 and in 30 days stay apart.
    assert sorted(days) == [today - timedelta(days=1), today, today + timedelta(days=1),
                            today + timedelta(days=30)]
    for day in later:
        assert office_counts(day) == before[day] == _counted(day), day


def test_after_a_bulk_load_the_tallies_take_the_room_of_what_they_hold(office, is_postgres):
    """A bulk load leaves a tally table hundreds of thousands of rows deep; folded, it holds a
    row per key, but on PostgreSQL its file stayed as deep and every read scanned it."""
    if not is_postgres:
        pytest.skip("SQLite reads only the pages a table uses")
    from admin_app.services.db_maintenance import compact_tallies, refresh_statistics
    today = clock.today()
    before = office_counts(today)
    piled = [{"name": "companies:lead", "day": None, "delta": delta}
             for _ in range(20_000) for delta in (1, -1)]  # sums unchanged
    db.session.execute(insert(OfficeTally), piled)
    db.session.commit()

    def pages() -> int:
        return db.session.scalar(text(
            "SELECT pg_relation_size('office_tallies') / current_setting('block_size')::int"))
    refresh_statistics()  # what seed-demo and the benchmarks run after their load
    assert pages() <= 2 and office_counts(today) == before == _counted(today)
    db.session.execute(insert(OfficeTally), piled)
    db.session.commit()
    fold_tallies()
    assert pages() > 100  # folded, the file is as deep as the load made it
    compact_tallies()  # what recount-tallies runs after its commit
    assert pages() <= 2 and office_counts(today) == before
