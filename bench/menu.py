"""Every page of the menu at two sizes: which page's cost grows with the database.

    python -m bench.menu --small 10000 --large 100000 [--db sqlite|postgres|both]

Uses the databases `python -m bench` builds (and builds them if missing). Logged in as the bench
user, who manages no client and wrote nothing, it times each page the menu links to (median of
--repeat runs after one warm-up) at both sizes and prints them with the growth and the SQL
statements, the pages that grow most first. Nothing is asserted: a page growing past 1.2× is
one to look at (issue 16: "every page's cost flat in the size of the database").
"""
import argparse
import re

from bench.__main__ import stock_views
from bench.scale_db import EMAIL, PASSWORD, PG_DEFAULT, build_app, database_url, ensure_loaded
from bench.timing import median_p95, timed_get

# The menu's own links, bar the stock views the benchmark adds and leaving the session.
SKIPPED = re.compile(r"/admin/stock|/logout")


def menu_pages(client) -> list[str]:
    html = client.get("/admin/").get_data(as_text=True)
    links = sorted(set(re.findall(r'href="(/admin/[^"#?]*)"', html)))
    return [link for link in links if not SKIPPED.search(link)]


def measure(kind: str, companies: int, postgres: str, repeat: int) -> dict[str, tuple]:
    """{page: (median ms, statements)} at one size."""
    app = build_app(database_url(kind, companies, postgres), stock_views)
    ensure_loaded(app, companies, print)
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    figures = {}
    with app.app_context():
        for page in menu_pages(client):
            timed_get(client, page)
            runs = [timed_get(client, page) for _ in range(repeat)]
            figures[page] = (median_p95([ms for ms, _ in runs])[0], runs[-1][1])
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    parser.add_argument("--postgres", default=PG_DEFAULT, help="PostgreSQL server URL")
    parser.add_argument("--repeat", type=int, default=5, help="runs per page and size")
    args = parser.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [
        "postgresql" if args.db == "postgres" else "sqlite"]
    for kind in kinds:
        small = measure(kind, args.small, args.postgres, args.repeat)
        large = measure(kind, args.large, args.postgres, args.repeat)
        rows = sorted(((large[p][0] / small[p][0], p) for p in small if p in large), reverse=True)
        print(f"\n{kind}: page, median ms at {args.small:,} and {args.large:,} companies, growth, SQL")
        for growth, page in rows:
            print(f"  {page:<42}{small[page][0]:>9.1f}{large[page][0]:>9.1f}{growth:>7.2f}x"
                  f"{small[page][1]:>5}{large[page][1]:>5}")


if __name__ == "__main__":
    main()
