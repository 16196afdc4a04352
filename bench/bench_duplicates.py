"""Duplicate detection at scale: seed N companies with planted duplicates, time the scan.

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
                      "SECRET_KEY": "bench", "UPLOAD_DIR": tmp or tempfile.mkdtemp()})
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
        for _ in range(args.repeat):
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


if __name__ == "__main__":
    main()
