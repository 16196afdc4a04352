"""Pages timed under two versions of the code, in turn, on the same benchmark database.

    git worktree add /tmp/before <commit>
    python -m bench.side_by_side --before /tmp/before --companies 100000 --db sqlite
    python -m bench.side_by_side --before /tmp/before --page /admin/company/ --rounds 2

The machine's speed drifts from one minute to the next, so a figure from an earlier run says
little about a change; here each round times the code before, then the code now, each in a
fresh process (two versions of `admin_app` cannot share one) over the database `python -m
bench` built. Prints each run's median; asserts nothing. Without --page: the whale's card.
"""
import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

NOW = Path(__file__).resolve().parent.parent


def measure(root: str, kind: str, companies: int, page: str | None, runs: int) -> None:
    """In a child process: `runs` views of `page` under the code at `root`."""
    sys.path.insert(0, root)
    sys.path.insert(1, str(NOW))  # bench.scale_db, whichever the code measured
    import admin_app
    assert admin_app.__file__.startswith(root), admin_app.__file__
    from sqlalchemy import select

    from bench.__main__ import stock_views
    from bench.scale_db import EMAIL, PASSWORD, PG_DEFAULT, build_app, database_url
    app = build_app(database_url(kind, companies, PG_DEFAULT), stock_views)
    from admin_app.extensions import db
    from admin_app.models import Company
    from admin_app.services.demo_scale import WHALE_NAME
    with app.app_context():
        whale = db.session.scalar(select(Company.id).where(Company.name == WHALE_NAME))
    if whale is None:
        raise SystemExit("no benchmark database: run python -m bench --build-only first")
    client = app.test_client()
    client.post("/login", data={"email": EMAIL, "password": PASSWORD})
    url = page or f"/admin/company/card/?id={whale}"
    times = []
    with app.app_context():
        for n in range(runs + 3):  # three warm-ups
            started = time.perf_counter()
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            if n >= 3:
                times.append((time.perf_counter() - started) * 1000)
    print(f"{statistics.median(times):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", required=True, help="a checkout of the code to compare with")
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--page", help="a URL; the whale's card when absent")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=41, help="views per median")
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        return measure(args.measure, args.db, args.companies, args.page, args.runs)
    before = str(Path(args.before).resolve())
    figures: dict[str, list[str]] = {"before": [], "now": []}
    for _ in range(args.rounds):
        for label, root in (("before", before), ("now", str(NOW))):
            command = [sys.executable, "-m", "bench.side_by_side", "--before", before,
                       "--measure", root, "--db", args.db, "--companies", str(args.companies),
                       "--runs", str(args.runs)] + (["--page", args.page] if args.page else [])
            done = subprocess.run(command, cwd=NOW, capture_output=True, text=True, check=True)
            figures[label].append(done.stdout.strip().splitlines()[-1])
    page = args.page or "the whale's card"
    for label, medians in figures.items():
        print(f"{args.db} {args.companies:,} {page}, {label}: "
              f"{' / '.join(medians)} ms (median of {args.runs} views per round)")


if __name__ == "__main__":
    main()
