"""Scale benchmark: our views against stock Flask-Admin ModelViews on a big demo database.

    python -m bench --companies 10000                 # SQLite, building the database once
    python -m bench --companies 100000 --db both      # SQLite and PostgreSQL

The database (demo data of --companies companies plus one whale client: 10,000 invoices, 50,000
exchanges, 50 open orders) is built on the first run and reused after (SQLite under
instance/bench/, PostgreSQL as database bench_companies_N). Prints, per operation, median and
p95 in ms and SQL statements per run, for ours and for the stock view doing the same work (same
columns, searched fields and page size), and stock/ours; the dashboard, agenda, pipeline board
and data-quality page, which stock has no counterpart for, alone. Results are also saved as
JSON under instance/bench/ for bench/RESULTS.md. Nothing is asserted; the target figures are in
issue 16.
"""
import argparse
import json
import platform
import time
import tracemalloc

from flask_admin.contrib.sqla import ModelView
from sqlalchemy import event, select

from bench.scale_db import DATA_DIR, EMAIL, PASSWORD, PG_DEFAULT, build_app, database_url, ensure_loaded
from bench.timing import median_p95

COLUMNS = ["name", "status", "email", "phone", "account_manager", "created_at"]
SEARCHED = ["name", "email", "phone", "legal_id", "website"]
MERGE_LABELS = ("merge of the whale (60,000+ rows)", "undo of that merge")


def stock_views():
    """What a Flask-Admin tutorial gives, over the same models, columns and searches."""
    from admin_app.extensions import db
    from admin_app.models import Company, Invoice

    class Open:
        def is_accessible(self):
            return True

    class StockCompanyView(Open, ModelView):
        column_list = COLUMNS
        column_searchable_list = SEARCHED
        column_sortable_list = ["name", "status", "email", "created_at"]
        column_default_sort = "name"
        page_size = 25
        can_export = True
        can_view_details = True
        export_max_rows = 0

    class StockInvoiceView(Open, ModelView):
        form_ajax_refs = {"company": {"fields": ["name"], "page_size": 10}}

    return [StockCompanyView(Company, db, endpoint="stockcompany", url="/admin/stockcompany"),
            StockInvoiceView(Invoice, db, endpoint="stockinvoice", url="/admin/stockinvoice")]


class Counter:
    """SQL statements run while active, and the milliseconds spent waiting for them: the part of
    a request's time the database takes, apart from Python's (rendering, the ORM), which on a
    shared machine varies more from one run to the next than the database's part does."""

    def __init__(self, engine):
        self.engine, self.count, self.ms, self._started = engine, 0, 0.0, 0.0

    def _before(self, *_args):
        self.count += 1
        self._started = time.perf_counter()

    def _after(self, *_args):
        self.ms += (time.perf_counter() - self._started) * 1000

    def __enter__(self):
        event.listen(self.engine, "before_cursor_execute", self._before)
        event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc):
        event.remove(self.engine, "before_cursor_execute", self._before)
        event.remove(self.engine, "after_cursor_execute", self._after)


def run(fn, repeat: int) -> dict:
    """Median and p95 ms, statements and median ms in the database of `fn()` (after one
    warm-up run)."""
    from admin_app.extensions import db
    fn()
    times, in_database, statements = [], [], 0
    for _ in range(repeat):
        with Counter(db.engine) as counter:
            started = time.perf_counter()
            fn()
            times.append((time.perf_counter() - started) * 1000)
        statements = counter.count
        in_database.append(counter.ms)
    median, p95 = median_p95(times)
    return {"median": median, "p95": p95, "sql": statements, "db": median_p95(in_database)[0]}


def getter(client, url: str):
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    return get


def sort_index(app, endpoint: str, column: str) -> int:
    view = next(v for v in app.extensions["admin"][0]._views if v.endpoint == endpoint)
    return [name for name, _label in view._list_columns].index(column)


def export_figures(client, url: str) -> dict:
    """Time to the first byte, total time, rows and peak Python memory of a streamed export."""
    started = time.perf_counter()
    response = client.get(url, buffered=False)
    chunks = iter(response.response)
    next(chunks)
    first = (time.perf_counter() - started) * 1000
    rows = 1 + sum(chunk.count(b"\n") for chunk in chunks)
    total = (time.perf_counter() - started) * 1000
    response.close()
    tracemalloc.start()
    response = client.get(url, buffered=False)
    for _chunk in response.response:
        pass
    response.close()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {"first_byte_ms": first, "total_ms": total, "rows": rows - 2, "peak_mb": peak}


def vacuum_moved_tables() -> None:
    """Clean up the row versions the last merge and undo left, as autovacuum would between two
    merges in production: without it (a server may run with autovacuum off) each run measures
    more bloated tables and indexes than the one before, 120,000 dead rows more per run."""
    from admin_app.extensions import db
    from admin_app.services.merge import company_foreign_keys
    if db.engine.dialect.name != "postgresql":
        return
    db.session.commit()
    tables = sorted({table.name for table, _column in company_foreign_keys()})
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.exec_driver_sql(f"VACUUM (ANALYZE) {', '.join(tables)}")


def measure(app, whale: int, repeat: int, only: str = "") -> dict:
    from admin_app.extensions import db
    from admin_app.models import Company, Merge
    from admin_app.services.duplicate_cache import cached_scan
    from admin_app.services.merge import merge_companies, undo_merge
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    ours_sort = sort_index(app, "company", "email")
    stock_sort = sort_index(app, "stockcompany", "email")
    pages = [
        ("list first page", "/admin/company/", "/admin/stockcompany/"),
        ("list page 200", "/admin/company/?page=200", "/admin/stockcompany/?page=200"),
        ("sort by email", f"/admin/company/?sort={ours_sort}",
         f"/admin/stockcompany/?sort={stock_sort}"),
        ("search early word 'acme'", "/admin/company/?search=acme",
         "/admin/stockcompany/?search=acme"),
        ("search late word 'umbra'", "/admin/company/?search=umbra",
         "/admin/stockcompany/?search=umbra"),
        ("search no match", "/admin/company/?search=zzzzqq",
         "/admin/stockcompany/?search=zzzzqq"),
        ("search 2 letters 'um'", "/admin/company/?search=um",
         "/admin/stockcompany/?search=um"),
        ("ajax picker 'umbra'", "/admin/invoice/ajax/lookup/?name=company&query=umbra",
         "/admin/stockinvoice/ajax/lookup/?name=company&query=umbra"),
        ("whale's card", f"/admin/company/card/?id={whale}",
         f"/admin/stockcompany/details/?id={whale}"),
    ]
    # Pages stock Flask-Admin has no counterpart for, seen by the bench user, who manages no
    # client and wrote nothing: what grows is what the page reads of everyone's rows.
    own_pages = [
        ("dashboard", "/admin/"),
        ("agenda (this week)", "/admin/agenda/"),
        ("pipeline board", "/admin/pipeline/"),
        ("data quality", "/admin/data-quality/"),
    ]
    results = {}
    with app.app_context():
        for label, ours, stock in pages:
            if only in label:
                results[label] = {"ours": run(getter(client, ours), repeat),
                                  "stock": run(getter(client, stock), repeat)}
        for label, ours in own_pages:
            if only in label:
                results[label] = {"ours": run(getter(client, ours), repeat)}
        # --only also picks the merge ("merge", "undo"), the duplicates ("duplicate") or the
        # export ("export") figures.
        later = (*MERGE_LABELS, "duplicate full scan", "edit + duplicates page",
                 "duplicates page (cached)", "CSV export, all companies")
        if only and not any(only in label for label in later):
            return results
        other = db.session.scalar(select(Company.id).where(Company.id != whale).limit(1))

        def merge_and_undo():
            vacuum_moved_tables()
            kept, absorbed = db.session.get(Company, other), db.session.get(Company, whale)
            with Counter(db.engine) as merging:
                started = time.perf_counter()
                merge_companies(kept, absorbed, None)
                db.session.commit()
                merged = (time.perf_counter() - started) * 1000
            merge = db.session.scalar(select(Merge).order_by(Merge.id.desc()).limit(1))
            with Counter(db.engine) as undoing:
                started = time.perf_counter()
                undo_merge(merge, None)
                db.session.commit()
            undone = (time.perf_counter() - started) * 1000
            return (merged, merging.count, merging.ms), (undone, undoing.count, undoing.ms)
        if any(only in label for label in MERGE_LABELS):
            timings = [merge_and_undo() for _ in range(max(1, repeat // 3))]
            for n, label in enumerate(MERGE_LABELS):
                median, p95 = median_p95([t[n][0] for t in timings])
                results[label] = {"ours": {"median": median, "p95": p95, "sql": timings[-1][n][1],
                                           "db": median_p95([t[n][2] for t in timings])[0]}}
        if only in "duplicate full scan, edit + duplicates page (cached)":
            started = time.perf_counter()
            cached_scan(force=True)
            results["duplicate full scan"] = {"ours": {"median": (time.perf_counter() - started) * 1000,
                                                       "p95": None, "sql": None}}
            edited = db.session.get(Company, other)

            def edit_then_page():
                edited.name = edited.name + " x" if not edited.name.endswith(" x") else edited.name[:-2]
                db.session.commit()  # the edited company is re-scored here (inline, no queue)
                getter(client, "/admin/duplicates/")()
            results["edit + duplicates page"] = {"ours": run(edit_then_page, repeat)}
            results["duplicates page (cached)"] = {"ours": run(getter(client, "/admin/duplicates/"),
                                                               repeat)}
        if only in "CSV export, all companies":
            results["CSV export, all companies"] = {
                "ours": export_figures(client, "/admin/company/export/csv/"),
                "stock": export_figures(client, "/admin/stockcompany/export/csv/")}
    return results


def print_table(kind: str, results: dict) -> None:
    print(f"\n{kind}: {'operation':<34}{'ours median':>12}{'p95':>9}{'SQL':>5}{'in DB':>8}"
          f"{'stock median':>14}{'p95':>9}{'SQL':>5}{'in DB':>8}{'stock/ours':>12}")
    for label, figures in results.items():
        ours, stock = figures["ours"], figures.get("stock")
        if "first_byte_ms" in ours:
            line = (f"first byte {ours['first_byte_ms']:.0f} ms, {ours['total_ms']:.0f} ms, "
                    f"{ours['rows']:,} rows, peak {ours['peak_mb']:.1f} MB")
            if stock:
                line += (f" | stock: first byte {stock['first_byte_ms']:.0f} ms, "
                         f"{stock['total_ms']:.0f} ms, peak {stock['peak_mb']:.1f} MB")
            print(f"{'':>{len(kind) + 2}}{label:<34}{line}")
            continue

        def cells(f):
            if f is None:
                return f"{'—':>12}{'':>9}{'':>5}{'':>8}"
            p95 = f"{f['p95']:.1f}" if f.get("p95") is not None else "—"
            sql = str(f["sql"]) if f.get("sql") is not None else "—"
            in_db = f"{f['db']:.1f}" if f.get("db") is not None else "—"
            return f"{f['median']:>10.1f}ms{p95:>9}{sql:>5}{in_db:>8}"
        ratio = f"{stock['median'] / ours['median']:>11.1f}x" if stock else f"{'—':>12}"
        print(f"{'':>{len(kind) + 2}}{label:<34}{cells(ours)}  {cells(stock)}{ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres", default=PG_DEFAULT, help="PostgreSQL server URL")
    parser.add_argument("--repeat", type=int, default=7, help="runs per figure")
    parser.add_argument("--only", default="", help="measure only the operations whose name "
                        "contains this text (e.g. search, merge); skips the scan and export")
    parser.add_argument("--suffix", default="", help="measure a copy of the database: "
                        "companies-N<suffix>.sqlite3 / bench_companies_N<suffix>")
    parser.add_argument("--build-only", action="store_true",
                        help="build the database if missing, measure nothing")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [
        "postgresql" if args.db == "postgres" else "sqlite"]
    for kind in kinds:
        url = database_url(kind, args.companies, args.postgres, args.suffix)
        app = build_app(url, stock_views)
        whale = ensure_loaded(app, args.companies, print)
        if args.build_only:
            continue
        results = measure(app, whale, args.repeat, args.only)
        print_table(kind, results)
        suffix = f"-{args.only.replace(' ', '_')}" if args.only else ""
        out = DATA_DIR / f"results-{kind}-{args.companies}{args.suffix}{suffix}.json"
        out.write_text(json.dumps({"companies": args.companies, "db": kind,
                                   "machine": platform.platform(), "results": results}, indent=1))
        print(f"saved {out}")


if __name__ == "__main__":
    main()
