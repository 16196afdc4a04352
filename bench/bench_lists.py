"""Time the company list page on many companies: our CompanyView vs a stock Flask-Admin ModelView.

    python bench/bench_lists.py                      # 20,000 companies on SQLite (a few minutes)
    python bench/bench_lists.py --companies 100000   # the full size
    python bench/bench_lists.py --postgres postgresql+psycopg://postgres@127.0.0.1:5432/postgres

Prints, per page (plain list, a search typed letter by letter, a filter, a deep page): median and
p95 in milliseconds and SQL statements per request, for both views, and the ratio.
"""
import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, event, insert, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_admin.contrib.sqla import ModelView  # noqa: E402

from admin_app import create_app  # noqa: E402
from admin_app.extensions import db  # noqa: E402
from admin_app.models import Company  # noqa: E402
from timing import median_p95, progress, timed_get  # noqa: E402  (bench/, the script's folder)
from admin_app.normalize import email_domain, normalize_name, normalize_phone  # noqa: E402
from config import TestingConfig  # noqa: E402

PAGES = [("list", "/admin/{ep}/"),
         ("search 'a'", "/admin/{ep}/?search=a"),
         ("search 'atl'", "/admin/{ep}/?search=atl"),
         ("search 'atlas 12'", "/admin/{ep}/?search=atlas+12"),
         ("search no match", "/admin/{ep}/?search=zzzzqq"),
         ("page 200", "/admin/{ep}/?page=200")]


class StockCompanyView(ModelView):
    """What a Flask-Admin tutorial gives: exact COUNT(*) per request, same columns and search."""

    column_list = ["name", "status", "email", "phone", "account_manager", "created_at"]
    column_searchable_list = ["name", "email", "phone", "legal_id", "website"]
    column_default_sort = "name"

    def is_accessible(self):
        return True


def seed(count: int) -> None:
    from admin_app.services.demo import PREFIXES, SUFFIXES
    from admin_app.services.users import create_user
    user = create_user("bench@example.com", "bench-password", role="admin")
    rows = []
    for i in range(count):
        name = f"{PREFIXES[i % len(PREFIXES)]} {SUFFIXES[(i // 25) % len(SUFFIXES)]} {i}"
        email = f"contact{i}@{PREFIXES[i % len(PREFIXES)].lower()}.example"
        phone = f"+34 91{i % 10} {i % 1000:03d} {i % 997:03d}"
        rows.append({"name": name, "status": "client" if i % 3 else "lead", "email": email,
                     "phone": phone, "account_manager_id": user.id if i % 2 else None,
                     "name_key": normalize_name(name), "phone_key": normalize_phone(phone),
                     "email_domain": email_domain(email), "legal_id_key": ""})
        if len(rows) == 5000:
            db.session.execute(insert(Company), rows)
            rows = []
    if rows:
        db.session.execute(insert(Company), rows)
    db.session.commit()
    # Statistics, visibility map and the GIN pending list, as autovacuum leaves them.
    from admin_app.services.db_maintenance import refresh_statistics
    refresh_statistics()


def measure(client, url: str, repeat: int) -> tuple[float, float, int]:
    client.get(url)  # warm up
    runs = [timed_get(client, url) for _ in progress(range(repeat), url)]
    median, p95 = median_p95([ms for ms, _ in runs])
    return median, p95, runs[-1][1]


def print_search_plan(client, url: str) -> None:
    """EXPLAIN ANALYZE the list's search page query: which index does it read?"""
    searches = []

    def keep(_conn, _cursor, statement, params, *_args):
        if ("ORDER BY companies.name" in statement
                and not statement.lstrip().upper().startswith("SELECT COUNT")):
            searches.append((statement, params))

    event.listen(db.engine, "before_cursor_execute", keep)
    try:
        client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", keep)
    if not searches:
        print(f"\nPlan of {url}: no page statement seen")
        return
    statement, params = searches[0]
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + statement, params)
        print(f"\nPlan of {url}:")
        for (line,) in rows:
            print("   ", line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL server URL (a fresh "
                        "database is created and dropped)")
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-lists-")
    url, admin_engine, name = f"sqlite:///{tmp}/bench.sqlite3", None, None
    if args.postgres:
        name = f"bench_{uuid.uuid4().hex[:10]}"
        admin_engine = create_engine(args.postgres, isolation_level="AUTOCOMMIT")
        with admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = args.postgres.rsplit("/", 1)[0] + f"/{name}"

    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = url
        UPLOAD_DIR = os.path.join(tmp, "uploads")
        WTF_CSRF_ENABLED = False

    app = create_app(Config)
    app.extensions["admin"][0].add_view(StockCompanyView(Company, db, endpoint="stockcompany",
                                                         url="/admin/stockcompany"))
    try:
        with app.app_context():
            from flask_migrate import upgrade
            upgrade()
            started = time.perf_counter()
            seed(args.companies)
            print(f"{db.engine.dialect.name}: seeded {args.companies:,} companies in "
                  f"{time.perf_counter() - started:.1f} s; {args.repeat} requests per figure\n")
            client = app.test_client()
            client.post("/login", data={"email": "bench@example.com",
                                        "password": "bench-password"})
            print(f"{'page':<20}{'ours median':>12}{'p95':>8}{'SQL':>5}   "
                  f"{'stock median':>12}{'p95':>8}{'SQL':>5}   {'stock/ours':>10}")
            for label, pattern in PAGES:
                ours = measure(client, pattern.format(ep="company"), args.repeat)
                stock = measure(client, pattern.format(ep="stockcompany"), args.repeat)
                print(f"{label:<20}{ours[0]:>10.1f}ms{ours[1]:>6.1f}ms{ours[2]:>5}   "
                      f"{stock[0]:>10.1f}ms{stock[1]:>6.1f}ms{stock[2]:>5}   "
                      f"{stock[0] / ours[0]:>9.2f}x")
            if db.engine.dialect.name == "postgresql":
                for term in ("atl", "atlas+12"):  # the word index; the other reads
                    print_search_plan(client, f"/admin/company/?search={term}")
            db.session.remove()
            db.engine.dispose()
    finally:
        if admin_engine is not None:
            with admin_engine.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin_engine.dispose()


if __name__ == "__main__":
    main()
