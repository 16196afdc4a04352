"""What the card's faster queries and the scale indexes must keep: the same figures, and the
indexes the card and the company search rely on actually serving their queries."""
import random
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert, select, text

from admin_app.admin.company import CompanyView
from admin_app.extensions import db
from admin_app.models import Exchange, Invoice, Payment
from admin_app.models.companies import SEARCHED_COLUMNS
from admin_app.services import figures
from admin_app.services.card import exchange_counts, timeline
from admin_app.services.card_money import company_kpis
from tests.card_support import days


def _expected_delay(company_id: int) -> Decimal | None:
    """The rule in plain Python: days from issue to the payment whose running total, in
    (paid_on, id) order, first reaches the invoice total; mean over issued invoices."""
    invoices = db.session.scalars(select(Invoice).where(Invoice.company_id == company_id,
                                                        Invoice.status == "issued")).all()
    delays = []
    for invoice in invoices:
        running = Decimal("0")
        payments = db.session.scalars(select(Payment).where(Payment.invoice_id == invoice.id)
                                      .order_by(Payment.paid_on, Payment.id)).all()
        for payment in payments:
            running += payment.amount
            if running >= invoice.total_incl_tax:
                delays.append((payment.paid_on - invoice.issue_date).days)
                break
    if not delays:
        return None
    return (Decimal(sum(delays)) / len(delays)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_average_delay_matches_the_completing_payment_rule_on_random_histories(make_company,
                                                                                 make_invoice):
    rng = random.Random(7)
    company = make_company("Random Payers SA")
    for _ in range(40):
        price = Decimal(rng.choice(["10.00", "33.33", "99.99", "120.00"]))
        issued = days(-rng.randint(30, 300))
        total = price  # no tax: the total is the price
        # Under, exactly or over the total (over: imported data the payment service would
        # refuse), on distinct or identical dates, in any insertion order.
        parts = rng.choice([[Decimal("0.50")], [Decimal("0.5"), Decimal("0.5")],
                            [Decimal("0.25"), Decimal("0.5"), Decimal("0.5")], [Decimal("1")],
                            [Decimal("0.6"), Decimal("0.6")], []])
        payments = [((total * part).quantize(Decimal("0.01")),
                     issued + timedelta(days=rng.choice([0, 3, 3, 10, 25])))
                    for part in parts]
        make_invoice(company, [("1", str(price), "0")], issue_date=issued,
                     due_date=issued + timedelta(days=30), payments=payments)
    expected = _expected_delay(company.id)
    assert expected is not None
    assert company_kpis(company.id).average_payment_delay == expected


def test_overpaid_invoice_is_completed_by_the_payment_that_reached_its_total(make_company,
                                                                              make_invoice):
    company = make_company()
    # 100.00 paid 60 + 60 + 30: the second payment (day -40, 20 days after issue) completes it,
    # not the last one (day -30) as "sum equals total" would say for an exactly paid invoice.
    make_invoice(company, [("1", "100.00", "0")], issue_date=days(-60), due_date=days(-30),
                 payments=[("60.00", days(-50)), ("60.00", days(-40)), ("30.00", days(-30))])
    kpis = company_kpis(company.id)
    assert kpis.average_payment_delay == Decimal("20.0")
    # DESIGN.md: outstanding sums positive balances; the overpayment is the client's credit.
    assert kpis.outstanding == Decimal("0.00") and kpis.client_credit == Decimal("50.00")


def test_exchange_counts_and_kind_filter_are_exact_per_company(make_company):
    mine, other = make_company("Mine"), make_company("Other")
    now = datetime(2026, 1, 1, 12, 0)
    rows = [{"company_id": company.id, "kind": kind, "title": f"{kind} {n}",
             "occurred_at": now - timedelta(hours=n), "send_invitation": False}
            for company, kinds in ((mine, ("call",) * 5 + ("note",) * 2), (other, ("meeting",) * 3))
            for n, kind in enumerate(kinds)]
    db.session.execute(insert(Exchange), rows)
    figures.refresh(company_ids=[mine.id, other.id])  # a bulk insert, past the session hooks
    db.session.commit()
    assert exchange_counts(mine.id) == {"call": 5, "meeting": 0, "email": 0, "note": 2}
    page = timeline(mine.id, kind="note", page_size=1)
    assert [e.title for e in page.items] == ["note 5"]
    assert [e.title for e in timeline(mine.id, "note", page.next_cursor).items] == ["note 6"]


def test_the_timeline_merges_every_kind_newest_first_and_pages_through_ties(make_company):
    mine, other = make_company("Mine"), make_company("Other")
    noon = datetime(2026, 1, 1, 12, 0)
    kinds = ("call", "meeting", "email", "note")
    rng = random.Random(7)
    # Three instants only: most rows tie on occurred_at, across kinds, and only the id orders
    # them; the other company's rows at the same instants must never show.
    rows = [{"company_id": company.id, "kind": rng.choice(kinds), "title": f"{company.name} {n}",
             "occurred_at": noon - timedelta(hours=rng.randrange(3)), "send_invitation": False}
            for company in (mine, other) for n in range(40)]
    db.session.execute(insert(Exchange), rows)
    figures.refresh(company_ids=[mine.id, other.id])  # a bulk insert, past the session hooks
    db.session.commit()
    expected = db.session.execute(
        select(Exchange.id, Exchange.kind).where(Exchange.company_id == mine.id)
        .order_by(Exchange.occurred_at.desc(), Exchange.id.desc())).all()
    for kind in (None, *kinds):
        wanted = [i for i, k in expected if kind in (None, k)]
        seen, cursor = [], None
        while True:
            page = timeline(mine.id, kind, cursor, page_size=3)
            seen += [e.id for e in page.items]
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        assert seen == wanted, kind


def test_the_timeline_reads_each_kind_from_the_index_in_order(make_company, is_postgres,
                                                             capture_statements):
    company = make_company("Indexed")
    db.session.execute(insert(Exchange), [
        {"company_id": company.id, "kind": "call", "title": f"call {n}", "send_invitation": False,
         "occurred_at": datetime(2026, 1, 1) + timedelta(minutes=n)} for n in range(30)])
    figures.refresh(company_ids=[company.id])
    db.session.commit()
    cursor = timeline(company.id, page_size=5).next_cursor
    with capture_statements() as statements:
        assert len(timeline(company.id, cursor=cursor, page_size=5).items) == 5
    statement, parameters = statements[-1]
    connection = db.session.connection()
    if is_postgres:
        # A few rows make a scan of the table cheapest; a client with 50,000 must not be sorted.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            connection.exec_driver_sql(f"SET LOCAL {setting} = off")
        plan = "\n".join(row[0] for row in connection.exec_driver_sql(
            "EXPLAIN " + statement, parameters))
        lines = plan.splitlines()
        per_kind = [n for n, line in enumerate(lines)
                    if "Scan Backward using ix_exchanges_company_id_kind_occurred_at_id" in line]
        # Each kind's page is the index read in order and cut: its scan sits right under the
        # Limit, no Sort between. Only the page of 20 rows is sorted, at the top.
        assert len(per_kind) == 4 and "ROW(occurred_at, id) < ROW(" in plan, plan
        assert all("Limit" in lines[n - 1] for n in per_kind), plan
    else:
        plan = "\n".join(str(row[-1]) for row in connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN " + statement, parameters))
        assert plan.count("INDEX ix_exchanges_company_id_kind_occurred_at_id (company_id=? AND kind=?") == 4, plan
    db.session.rollback()


def test_per_kind_counts_are_read_from_the_index_alone(app, is_postgres):
    if is_postgres:
        # PostgreSQL picks index-only scans from statistics and the visibility map, which a
        # tiny test table does not have: bench/bench_card.py shows it at scale instead.
        return
    plan = "\n".join(str(row[-1]) for row in db.session.execute(text(
        "EXPLAIN QUERY PLAN SELECT kind, count(*) FROM exchanges WHERE company_id = :cid "
        "GROUP BY kind"), {"cid": 1}))
    assert "COVERING INDEX ix_exchanges_company_id_kind_occurred_at_id" in plan, plan


def test_the_company_list_searches_the_columns_the_search_indexes_cover(app):
    # services/search.py and both search indexes (0002's trigram GIN, 0012s's FTS5 table) are
    # built over SEARCHED_COLUMNS; tests/test_search.py checks the plans.
    assert set(CompanyView.column_searchable_list) == set(SEARCHED_COLUMNS)
