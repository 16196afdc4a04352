"""The dashboard's office-wide counts from running tallies (models/office_tallies.py): always
what counting the rows gives, whoever wrote them, folded or not. Both databases."""
from datetime import date, timedelta

import pytest
from sqlalchemy import func, insert, select, text, update

from admin_app import clock
from admin_app.extensions import db
from admin_app.models import Company, Invoice, Merge, OfficeTally, Opportunity, PipelineStage, Quote
from admin_app.services import office_counts as tallies
from admin_app.services.figures import unsettled
from admin_app.services.merge import merge_companies, undo_merge
from admin_app.services.office_counts import OfficeCounts, fold_tallies, office_counts


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


def test_the_dashboard_shows_the_tallied_counts(admin_client, office):
    counts = office_counts()
    html = admin_client.get("/admin/").get_data(as_text=True)
    assert counts.clients and counts.overdue_invoices
    for value in (counts.clients, counts.leads, counts.open_quotes, counts.open_opportunities,
                  counts.overdue_invoices):
        assert str(value) in html
