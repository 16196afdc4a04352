"""The dashboard and the agenda read the user's own rows through indexes, never a whole table of
exchanges or invoices, whatever the database holds (migration 0021, services/reminders.py)."""
from datetime import datetime, timedelta

from sqlalchemy import insert

from admin_app.extensions import db
from admin_app.models import Company, Exchange, Invoice, Payment
from admin_app.services import figures
from admin_app.services.calendar import local_now
from admin_app.services.reminders import agenda_items, open_reminders


def _plans(seen, is_postgres: bool) -> list[str]:
    connection = db.session.connection()
    if is_postgres:
        # A few rows make a table scan cheapest; with it priced out, a scan that is left is one
        # no index can replace.
        for setting in ("enable_seqscan", "enable_bitmapscan"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
    prefix = "EXPLAIN " if is_postgres else "EXPLAIN QUERY PLAN "
    plans = []
    for statement, parameters in seen:
        if statement.lstrip().upper().startswith("SELECT"):
            rows = connection.exec_driver_sql(prefix + statement, parameters)
            plans.append("\n".join(str(row[-1]) for row in rows))
    db.session.rollback()
    return plans


def _whole_table_reads(plans: list[str], is_postgres: bool) -> list[str]:
    # The office-wide counts read their running tallies (a few rows), not these tables.
    tables = ("exchanges", "invoices", "companies", "quotes", "opportunities")
    if is_postgres:
        return [p for p in plans if any(f"Seq Scan on {t}" in p for t in tables)]
    # SQLite: "SCAN t" reads the table (or a whole index of it).
    return [p for p in plans for line in p.splitlines()
            if any(line.strip().startswith(f"SCAN {t}") for t in tables)]


def _history(make_company, admin_user, normal_user):
    mine = make_company("Mine SA", account_manager_id=admin_user.id)
    theirs = make_company("Theirs SA", account_manager_id=normal_user.id)
    now = local_now().replace(second=0, microsecond=0)
    rows = []
    for n in range(60):
        for company, author in ((mine, normal_user), (theirs, normal_user), (theirs, admin_user)):
            rows.append({"company_id": company.id, "author_id": author.id, "kind": "call",
                         "title": f"{company.name} by {author.id} #{n}",
                         "occurred_at": now - timedelta(days=40),
                         "callback_at": now + timedelta(hours=n - 30),
                         "callback_done_at": now if n % 3 == 0 else None,
                         "send_invitation": False})
    db.session.execute(insert(Exchange), rows)
    figures.refresh(company_ids=[mine.id, theirs.id])  # a bulk insert, past the session hooks
    db.session.commit()
    return mine, theirs, now


def _an_office_around(now):
    """Other users' clients and their call-backs: what the pages must not read, and enough of
    it for SQLite's statistics to look like an office (a near-empty table is read whole)."""
    ids = db.session.scalars(insert(Company).returning(Company.id), [
        {"name": f"Elsewhere {n}", "status": "client"} for n in range(400)]).all()
    db.session.execute(insert(Exchange), [
        {"company_id": company_id, "kind": ("call", "note", "meeting", "email")[n % 4],
         "title": f"elsewhere {n}", "occurred_at": now - timedelta(days=n % 300),
         "callback_at": now + timedelta(days=n % 20) if n % 3 == 0 else None,
         "send_invitation": False}
        for n, company_id in enumerate(ids * 4)])
    # Their invoices, most of them paid long ago: the overdue count reads the unsettled ones.
    invoices = db.session.scalars(insert(Invoice).returning(Invoice.id), [
        {"company_id": company_id, "status": "issued", "number": f"ELSEWHERE-{n}",
         "issue_date": now.date() - timedelta(days=400), "currency": "EUR",
         "due_date": now.date() - timedelta(days=370), "total_excl_tax": 100, "total_tax": 0,
         "total_incl_tax": 100} for n, company_id in enumerate(ids * 2)]).all()
    db.session.execute(insert(Payment), [
        {"invoice_id": invoice_id, "amount": 100, "paid_on": now.date() - timedelta(days=380),
         "method": "transfer"} for invoice_id in invoices if invoice_id % 10])
    figures.refresh(company_ids=ids, invoice_ids=invoices)
    db.session.commit()


def test_the_dashboard_and_the_agenda_read_no_whole_table(
        admin_client, admin_user, normal_user, make_company, is_postgres, analyze,
        capture_statements):
    _, _, now = _history(make_company, admin_user, normal_user)
    _an_office_around(now)
    analyze()
    with capture_statements() as seen:
        assert admin_client.get("/admin/").status_code == 200
        assert admin_client.get("/admin/agenda/").status_code == 200
    plans = _plans(seen, is_postgres)
    assert plans and _whole_table_reads(plans, is_postgres) == [], plans
    joined = "\n".join(plans)
    for index in ("ix_exchanges_author_id_open_callback_at", "ix_exchanges_company_id_callback_at",
                  "ix_companies_account_manager_id_name", "office_tallies"):
        assert index in joined, index


def test_my_reminders_are_what_i_wrote_or_what_is_on_my_clients_once_each(
        admin_user, normal_user, make_company):
    mine, theirs, now = _history(make_company, admin_user, normal_user)
    # Written by me on my own client: on both sides of "mine", shown once.
    both = Exchange(company_id=mine.id, author_id=admin_user.id, kind="call", title="Both",
                    occurred_at=now, callback_at=now - timedelta(minutes=90))
    db.session.add(both)
    db.session.commit()
    groups = open_reminders(admin_user.id, limit=100)
    shown = [item.exchange for group in groups.values() for item in group]
    expected = sorted(
        (e for e in db.session.query(Exchange).filter(Exchange.callback_done_at.is_(None))
         if e.author_id == admin_user.id or e.company_id == mine.id),
        key=lambda e: (e.callback_at, e.id))
    assert [e.id for e in shown] == [e.id for e in expected]
    assert [e.title for e in shown].count("Both") == 1
    # The first 20 of a group only, still in order.
    first = open_reminders(admin_user.id, limit=20)
    assert [i.exchange.id for i in first["overdue"]] == [
        i.exchange.id for i in groups["overdue"]][:20]
    # The agenda: done call-backs too, and their call on my client.
    start = (now - timedelta(days=2)).date()
    items = agenda_items(admin_user.id, start, start + timedelta(days=4))
    titles = [item.exchange.title for item in items]
    assert len(titles) == len(set(titles)) and "Both" in titles
    assert f"Mine SA by {normal_user.id} #0" in titles  # done, written by someone else
    assert not any(t.startswith(f"Theirs SA by {normal_user.id}") for t in titles)
    assert [i.at for i in items] == sorted(i.at for i in items)


def test_a_merged_away_company_leaves_no_reminder_behind(admin_user, make_company):
    kept = make_company("Kept", account_manager_id=admin_user.id)
    gone = make_company("Gone", account_manager_id=admin_user.id)
    call = Exchange(company_id=gone.id, author_id=admin_user.id, kind="call", title="Tombstone",
                    occurred_at=datetime(2026, 1, 1), callback_at=local_now() + timedelta(days=1))
    db.session.add(call)
    gone.merged_into_id = kept.id  # a row left on a tombstone, as an interrupted import might
    db.session.commit()
    shown = [i.exchange.title for g in open_reminders(admin_user.id).values() for i in g]
    assert "Tombstone" not in shown
