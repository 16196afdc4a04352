"""Duplicate detection at scale: seed N companies with planted duplicates, time the scan and the page.

The page figures: the first (cold) load of /admin/duplicates/, which scans and fills the Redis
cache, then cached loads (page 1, another page, another minimum score), a load right after
"Not a duplicate" (the cached entry is patched) and one after a company edit (a rescan).

    python bench/bench_duplicates.py                 # 100,000 companies on a throwaway SQLite file
    python bench/bench_duplicates.py --companies 20000
    DATABASE_URL=postgresql+psycopg://... python bench/bench_duplicates.py   # an EMPTY database
"""
import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from timing import median_p95, progress, timed_get  # noqa: E402  (bench/, the script's folder)

SYLLABLES = ["ka", "zen", "tro", "mi", "lo", "var", "the", "nor", "pix", "sol", "bra", "qui",
             "del", "fen", "gor", "hal", "ix", "jun", "ley", "mon", "pra", "rus", "tal", "vo"]
WORDS = ["Logistics", "Consulting", "Foods", "Systems", "Studio", "Builders", "Pharma", "Media",
         "Energy", "Group", "Partners", "Labs", "Travel", "Design", "Services", "Holding"]
FORMS = ["SL", "SAS", "SARL", "Ltd", "GmbH", "SA", "", "", ""]
PLANT_EVERY = 50


def company(rng: random.Random, i: int) -> dict:
    word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4))).capitalize()
    name = f"{word} {rng.choice(WORDS)} {rng.choice(FORMS)}".strip()
    domain = rng.choice(["gmail.com", "outlook.com", f"{word.lower()}{i}.example"])
    return {"name": name, "email": f"info@{domain}", "phone": f"+34 6{i:08d}",
            "legal_id": f"B{10_000_000 + i}"}


def variant(rng: random.Random, original: dict, i: int) -> tuple[dict, str]:
    """A planted duplicate of `original` sharing exactly one kind of evidence."""
    kind = ["form", "typo", "legal_id", "phone", "domain"][(i // PLANT_EVERY) % 5]
    filler = "".join(rng.choice(SYLLABLES) for _ in range(4)).capitalize()
    row = {"name": f"{filler} {rng.choice(WORDS)}", "email": f"x@other{i}.example",
           "phone": f"+34 7{i:08d}", "legal_id": f"Z{i}"}
    if kind == "form":
        row["name"] = original["name"].upper() + " S.L."
    elif kind == "typo":
        name = original["name"]
        k = rng.randrange(1, len(name.split()[0]))  # swap two letters inside the first word
        row["name"] = name[:k - 1] + name[k] + name[k - 1] + name[k + 1:]
    elif kind == "legal_id":
        row["legal_id"] = "b-" + original["legal_id"][1:]
    elif kind == "phone":
        row["phone"] = "0034 " + original["phone"][4:].replace(" ", ".")
    else:
        if original["email"].endswith(".example"):
            row["email"] = "sales@" + original["email"].split("@")[1]
        else:
            row["name"] = original["name"] + " " + original["name"].split()[0]  # fallback: name
    return row, kind


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="scans timed")
    parser.add_argument("--page-repeat", type=int, default=20, help="cached page loads timed")
    args = parser.parse_args()
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="bench-dup-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    from sqlalchemy import insert

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Company
    from admin_app.normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
    from admin_app.services.duplicates import scan

    app = create_app({"SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"],
                      "SECRET_KEY": "bench", "UPLOAD_DIR": tmp or tempfile.mkdtemp(),
                      "WTF_CSRF_ENABLED": False,
                      # Its own Redis namespace: never reads or clobbers a running app's cache.
                      "RATELIMIT_PREFIX": f"bench-dup-{os.getpid()}-{int(time.time())}"})
    rng = random.Random(7)
    with app.app_context():
        db.create_all()
        if db.session.query(Company).count():
            sys.exit("The database already holds companies: point DATABASE_URL at an empty one.")
        rows, planted = [], []
        for i in range(args.companies):
            if i % PLANT_EVERY == PLANT_EVERY - 1 and rows:
                original_index = len(rows) - 1
                row, kind = variant(rng, rows[original_index], i)
                planted.append((original_index, len(rows), kind))
            else:
                row = company(rng, i)
            row.update(status="lead", name_key=normalize_name(row["name"]),
                       phone_key=normalize_phone(row["phone"]), email_domain=email_domain(row["email"]),
                       legal_id_key=normalize_legal_id(row["legal_id"]))
            rows.append(row)
        started = time.perf_counter()
        for start in range(0, len(rows), 5000):
            db.session.execute(insert(Company), rows[start:start + 5000])
        db.session.commit()
        print(f"seeded {len(rows):,} companies ({len(planted):,} planted duplicates) "
              f"in {time.perf_counter() - started:.1f}s on {db.engine.dialect.name}")
        timings = []
        for _ in progress(range(args.repeat), "duplicate scan"):
            started = time.perf_counter()
            result = scan()
            timings.append(time.perf_counter() - started)
            db.session.rollback()
        found = {(p.low.id, p.high.id) for p in result.pairs}
        by_kind: dict[str, list[bool]] = {}
        for a, b, kind in planted:  # ids follow insertion order in an empty database
            by_kind.setdefault(kind, []).append((a + 1, b + 1) in found)
        print(f"scan of {result.companies:,} companies: median {statistics.median(timings):.2f}s, "
              f"max {max(timings):.2f}s over {len(timings)} runs")
        print(f"pairs found: {len(result.pairs):,}; groups of 3+: {len(result.groups)}; "
              f"identifier keys skipped as too common: {result.skipped_keys}")
        for kind, hits in sorted(by_kind.items()):
            print(f"  planted '{kind}' duplicates found: {sum(hits)}/{len(hits)}")
        print(f"  recall: {sum(map(sum, by_kind.values())) / max(1, len(planted)):.1%}")
        bench_page(app, args.page_repeat, statistics.median(timings))


def _timed_get(client, url: str) -> tuple[float, int]:
    """Seconds (this bench speaks in seconds) and SQL statements of one GET."""
    ms, statements = timed_get(client, url)
    return ms / 1000, statements


def _cached_loads(client, url: str, repeat: int) -> str:
    runs = [timed_get(client, url) for _ in progress(range(repeat), url)]
    median, p95 = median_p95([ms for ms, _ in runs])
    return (f"median {median:.0f} ms, p95 {p95:.0f} ms, "
            f"{max(n for _, n in runs)} SQL statements")


def bench_page(app, repeat: int, scan_seconds: float) -> None:
    """Time the duplicates page as an admin sees it: cold, cached, after an ignore, after an edit."""
    import re

    from admin_app.extensions import db
    from admin_app.models import Company
    from admin_app.services.redis_store import app_key, redis_client
    from admin_app.services.users import create_user

    create_user("bench-admin@example.com", "bench-admin-pass", role="admin")
    db.session.commit()
    client = app.test_client()
    client.post("/login", data={"email": "bench-admin@example.com", "password": "bench-admin-pass"})
    url = "/admin/duplicates/"
    try:
        cold, cold_sql = _timed_get(client, url)
        size = redis_client().strlen(app_key("duplicates", "scan"))
        print(f"page /admin/duplicates/ (scan alone: median {scan_seconds:.2f}s)")
        print(f"  first load, cold cache:   {cold:.2f}s, {cold_sql} SQL statements "
              f"(cached entry: {size / 1024:.0f} KiB compressed)")
        print(f"  cached load, page 1:      {_cached_loads(client, url, repeat)}")
        print(f"  cached load, page 3:      {_cached_loads(client, url + '?page=3', repeat)}")
        print(f"  cached load, min score 0: {_cached_loads(client, url + '?min_score=0', repeat)}")
        page = client.get(url).get_data(as_text=True)
        low, high = re.search(r'data-pair="(\d+)-(\d+)"', page).groups()
        started = time.perf_counter()
        client.post(url + "ignore/", data={"low": low, "high": high, "next": url})
        ignore = time.perf_counter() - started
        after, after_sql = _timed_get(client, url)
        print(f"  'Not a duplicate' post:   {ignore * 1000:.0f} ms, then the page: "
              f"{after * 1000:.0f} ms, {after_sql} SQL statements (entry patched, no rescan)")
        company = db.session.get(Company, int(low))
        company.name += " Renamed"
        started = time.perf_counter()
        db.session.commit()  # the edited company is re-scored here (no RQ: inline)
        rescored = time.perf_counter() - started
        edited, edited_sql = _timed_get(client, url)
        print(f"  an edit's commit, re-scoring that company: {rescored:.2f}s; the page after it: "
              f"{edited:.2f}s, {edited_sql} SQL statements (no rescan)")
        print(f"  cold / cached page 1:     {cold / _timed_get(client, url)[0]:.0f}x")
    finally:
        keys = list(redis_client().scan_iter(app_key("*")))
        if keys:
            redis_client().delete(*keys)


if __name__ == "__main__":
    main()
