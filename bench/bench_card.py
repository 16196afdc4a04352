"""Benchmark of the client card: render time and query count for a very large client.

Prints median and p95 render time and the number of SQL queries of /admin/company/card/?id=N
for one client with many invoices and exchanges in a database of many companies, on SQLite and
PostgreSQL, next to the same figures for Flask-Admin's stock details view of that company.

    python bench/bench_card.py                      # quick: 2,000 companies
    python bench/bench_card.py --companies 100000   # the full size of the issue

After the load it refreshes the planner statistics (ANALYZE; VACUUM ANALYZE on PostgreSQL), as
autovacuum does in production; --no-analyze measures the freshly loaded database instead.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from timing import median_p95, progress, timed_get  # noqa: E402  (bench/, the script's folder)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def build_app(url: str, upload_dir: str):
    from admin_app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": upload_dir,
                      "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
    return app


def big_client(invoices: int, exchanges: int, today: date) -> int:
    """One client with `invoices` invoices (most paid, some partly) and `exchanges` exchanges."""
    from admin_app.extensions import db
    from admin_app.models import Address, Company, Contact, Exchange, Invoice, Payment
    company = Company(name="Bench Giant SA", status="client", email="ap@giant.example")
    db.session.add(company)
    db.session.flush()
    cid = company.id
    db.session.execute(insert(Address), [{"company_id": cid, "label": "Head office",
                                          "line1": "1 Main St", "city": "Madrid",
                                          "country": "Spain", "is_main": True,
                                          "is_billing_default": True}])
    db.session.execute(insert(Contact), [{"company_id": cid, "first_name": f"P{n}",
                                          "last_name": "Bench", "is_billing_contact": n == 0}
                                         for n in range(25)])
    for start in range(0, invoices, 2000):
        rows = []
        for n in range(start, min(invoices, start + 2000)):
            issued = today - timedelta(days=n % 700)
            status = "draft" if n % 29 == 0 else ("cancelled" if n % 31 == 0 else "issued")
            rows.append({"company_id": cid, "status": status,
                         "number": None if status == "draft" else f"BENCH-{n:06d}",
                         "issue_date": issued, "due_date": issued + timedelta(days=30),
                         "total_excl_tax": Decimal("100.00"), "total_tax": Decimal("21.00"),
                         "total_incl_tax": Decimal("121.00")})
        ids = list(db.session.scalars(insert(Invoice).returning(Invoice.id), rows))
        payments = []
        for invoice_id, row in zip(ids, rows):
            if row["status"] != "issued" or invoice_id % 5 == 0:
                continue
            paid_on = min(row["issue_date"] + timedelta(days=invoice_id % 50), today)
            payments.append({"invoice_id": invoice_id, "amount": Decimal("60.50"),
                             "paid_on": paid_on, "method": "transfer"})
            if invoice_id % 3:
                payments.append({"invoice_id": invoice_id, "amount": Decimal("60.50"),
                                 "paid_on": paid_on + timedelta(days=3), "method": "transfer"})
        if payments:
            db.session.execute(insert(Payment), payments)
    now = datetime.combine(today, datetime.min.time())
    for start in range(0, exchanges, 5000):
        db.session.execute(insert(Exchange), [
            {"company_id": cid, "kind": ("call", "meeting", "email", "note")[n % 4],
             "title": f"Exchange {n}", "body": "Discussed next steps.",
             "occurred_at": now - timedelta(minutes=37 * n), "send_invitation": False}
            for n in range(start, min(exchanges, start + 5000))])
    from admin_app.services import figures
    figures.refresh(company_ids=[cid], invoice_ids=db.session.scalars(  # bulk inserts: past
        select(Invoice.id).where(Invoice.company_id == cid)))  # the session's hooks
    db.session.commit()
    return cid


def measure(app, url: str, runs: int) -> tuple[float, float, int]:
    from admin_app.extensions import db
    client = app.test_client()
    response = client.post("/login", data={"email": "admin@example.com",
                                           "password": "demo-admin-pass"})
    assert response.status_code == 302, "login failed"
    times, queries = [], []
    for n in progress(range(runs + 2), url):
        with app.app_context():
            db.session.remove()
        with app.app_context():
            elapsed, statements = timed_get(client, url)
        if n >= 2:  # two warm-up requests
            times.append(elapsed)
            queries.append(statements)
    median, p95 = median_p95(times)
    return median, p95, max(queries)


def run_on(label: str, url: str, args) -> list[tuple]:
    from admin_app.extensions import db
    from admin_app.services.db_maintenance import refresh_statistics
    from admin_app.services.demo import seed_demo
    with tempfile.TemporaryDirectory() as uploads:
        app = build_app(url, uploads)
        with app.app_context():
            started = time.perf_counter()
            seed_demo(companies=args.companies)
            cid = big_client(args.invoices, args.exchanges, date.today())
            db.session.commit()
            if not args.no_analyze:  # what autovacuum does in production after a bulk load
                refresh_statistics()
            print(f"[{label}] loaded {args.companies:,} companies + a client with "
                  f"{args.invoices:,} invoices and {args.exchanges:,} exchanges in "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
        rows = []
        for name, path in (("client card", f"/admin/company/card/?id={cid}"),
                           ("stock details view", f"/admin/company/details/?id={cid}")):
            median, p95, queries = measure(app, path, args.runs)
            rows.append((label, name, median, p95, queries))
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
    return rows


def postgres_database(base: str):
    name = f"bo_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return admin, name, make_url(base).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=2000)
    parser.add_argument("--invoices", type=int, default=10000)
    parser.add_argument("--exchanges", type=int, default=50000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--no-analyze", action="store_true",
                        help="measure right after the load, before any planner statistics")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT))
    args = parser.parse_args()
    results = []
    if args.db in ("sqlite", "both"):
        with tempfile.TemporaryDirectory() as tmp:
            results += run_on("SQLite", f"sqlite:///{tmp}/bench.sqlite3", args)
    if args.db in ("postgres", "both"):
        admin, name, url = postgres_database(args.pg_url)
        try:
            results += run_on("PostgreSQL", url, args)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    print(f"\n{'database':<11} {'page':<19} {'median ms':>10} {'p95 ms':>8} {'queries':>8}")
    for label, name, median, p95, queries in results:
        print(f"{label:<11} {name:<19} {median:>10.1f} {p95:>8.1f} {queries:>8}")
    for label in dict.fromkeys(r[0] for r in results):
        card, stock = [r for r in results if r[0] == label]
        print(f"{label}: the card takes {card[2] / stock[2]:.1f}x the stock details view's "
              f"median time, with {card[4]} queries against {stock[4]}.")


if __name__ == "__main__":
    main()
