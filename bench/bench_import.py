"""Imports at scale: preview, import and undo of a 50,000-row file (rows/s, peak memory), and the
data-quality page at 100,000 companies. Prints figures; asserts nothing.

Memory is measured with tracemalloc on a run at a fifth of the rows and a run at the full size:
flat memory means the two peaks are close, whatever the number of rows.

    python bench/bench_import.py                       # throwaway SQLite file
    python bench/bench_import.py --rows 10000 --quality-companies 20000
    DATABASE_URL=postgresql+psycopg://... python bench/bench_import.py   # an EMPTY database
"""
import argparse
import io
import os
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

WORDS = ["Alba", "Brisa", "Cumbre", "Dunas", "Estela", "Faro", "Gaviota", "Horizonte", "Isla",
         "Jara", "Lirio", "Marea", "Nube", "Olivo", "Pino", "Roble", "Sierra", "Tilo", "Valle"]
TRADES = ["Ingeniería", "Distribuciones", "Servicios", "Alimentación", "Consultores",
          "Transportes", "Software", "Reformas", "Energías", "Textil"]
HEADERS = ["Razón social", "NIF", "Email", "Teléfono", "Estado", "Ciudad", "Nombre", "Apellidos"]


def existing_company(i: int) -> dict:
    name = f"Existing {WORDS[i % len(WORDS)]} {i}"
    return {"name": name, "email": f"info@existing{i}.example", "phone": f"+34 91{i:07d}",
            "legal_id": f"B{10_000_000 + i}"}


def file_rows(rng: random.Random, rows: int, existing: int, tag: str) -> list[list[str]]:
    """New prospects, 5% of them near-duplicates of existing companies, 0.5% with a bad email."""
    out = [HEADERS]
    for i in range(rows):
        word, trade = rng.choice(WORDS), rng.choice(TRADES)
        row = [f"{word} {trade} {tag}{i}", "", f"info@{tag}{i}.example", f"+34 8{i:08d}",
               "Prospecto", rng.choice(["Madrid", "Lyon", "Sevilla"]), "Ana", f"Ruiz {i}"]
        if existing and i % 20 == 0:
            original = existing_company(rng.randrange(existing))
            row[0], row[1], row[2] = original["name"].upper() + " SL", original["legal_id"], ""
        elif i % 200 == 7:
            row[2] = "not-an-email"
        out.append(row)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the imported file")
    parser.add_argument("--existing", type=int, default=5_000, help="companies before the import")
    parser.add_argument("--quality-companies", type=int, default=100_000,
                        help="companies when the data-quality page is timed")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.mkdtemp(prefix="bench-import-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
        os.environ.setdefault("INSTANCE_PATH", tmp)
    from flask_migrate import upgrade

    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.services.imports.files import write_csv
    from admin_app.services.users import create_user

    app = create_app({"WTF_CSRF_ENABLED": False, "RQ_REDIS_URL": None,
                      "UPLOAD_DIR": tempfile.mkdtemp(prefix="bench-import-uploads-")})
    with app.app_context():
        upgrade()
        user = create_user("bench@example.com", "bench-password-1", role="admin",
                           full_name="Bench")
        db.session.commit()
        print(f"database: {db.engine.dialect.name}; {args.existing:,} companies before, "
              f"files of {args.rows:,} rows")
        insert_companies(db, 0, args.existing)
        rng = random.Random(7)
        small = max(1, args.rows // 5)
        for label, rows, trace in (("timing", args.rows, False), ("memory", small, True),
                                   ("memory", args.rows, True)):
            content = write_csv(file_rows(rng, rows, args.existing, f"{label[0]}{rows}-"),
                                encoding="utf-8-sig", delimiter=";")
            run(db, user, content, rows, label, trace)
        insert_companies(db, args.existing, args.quality_companies)
        time_quality_page(app, db, args.quality_companies)


def insert_companies(db, start: int, stop: int) -> None:
    """Companies inserted in bulk (core inserts, the derived keys computed here)."""
    from sqlalchemy import insert

    from admin_app.legal_ids import legal_id_check
    from admin_app.models import Company
    from admin_app.normalize import email_domain, normalize_legal_id, normalize_name, normalize_phone
    started = time.perf_counter()
    for chunk in range(start, stop, 5000):
        rows = []
        for i in range(chunk, min(stop, chunk + 5000)):
            c = existing_company(i)
            if i % 50 == 3:
                c["email"] = None
            if i % 70 == 5:
                c["legal_id"] = f"B{20_000_000 + i}"
            rows.append({**c, "status": "lead" if i % 3 else "client",
                         "name_key": normalize_name(c["name"]), "phone_key": normalize_phone(c["phone"]),
                         "email_domain": email_domain(c["email"]),
                         "legal_id_key": normalize_legal_id(c["legal_id"]),
                         "legal_id_check": legal_id_check(c["legal_id"])})
        db.session.execute(insert(Company), rows)
        db.session.commit()
    if stop > start:
        from admin_app.services.db_maintenance import refresh_statistics
        refresh_statistics()
        print(f"inserted {stop - start:,} companies in {time.perf_counter() - started:.1f} s")


def run(db, user, content: bytes, rows: int, label: str, trace: bool) -> None:
    from admin_app.services.imports.preview import analyse
    from admin_app.services.imports.undo import undo_import
    from admin_app.services.imports.runs import apply_import, receive_upload, start_import
    from admin_app.models import ImportBatch
    from admin_app.unit_of_work import unit_of_work

    figures = {}

    def measure(step, fn):
        if trace:
            tracemalloc.start()
        started = time.perf_counter()
        result = fn()
        seconds = time.perf_counter() - started
        peak = tracemalloc.get_traced_memory()[1] / 2**20 if trace else None
        if trace:
            tracemalloc.stop()
        figures[step] = (seconds, peak)
        return result

    def preview():
        uploaded = receive_upload(io.BytesIO(content), "bench.csv", user, 2**31)
        analyse(uploaded.token)
        return uploaded

    workspace = measure("preview", preview)
    state = workspace.read_state()
    with unit_of_work(flash_errors=False):
        batch_id = start_import(workspace, state["digest"], user).id
    measure("import", lambda: apply_import(batch_id))
    batch = db.session.get(ImportBatch, batch_id)
    counts = (f"created {batch.created_count:,}, updated {batch.updated_count:,}, "
              f"skipped {batch.skipped_count:,}, errors {batch.error_count:,}")

    def undo():
        with unit_of_work(flash_errors=False):
            undo_import(db.session.get(ImportBatch, batch_id), user)

    measure("undo", undo)
    print(f"== {label} run, {rows:,} rows ({len(content) / 2**20:.1f} MB): {counts}")
    for step, (seconds, peak) in figures.items():
        memory = f", peak {peak:,.1f} MB (tracemalloc)" if peak is not None else ""
        print(f"   {step:8} {seconds:7.1f} s  {rows / seconds:8,.0f} rows/s{memory}")


def time_quality_page(app, db, companies: int) -> None:
    from admin_app.services.data_quality import (
        COMPANY_CHECKS, company_count, contact_mismatch_count,
    )
    client = app.test_client()
    client.post("/login", data={"email": "bench@example.com", "password": "bench-password-1"})
    print(f"== data-quality page at {companies:,} companies")
    for check in COMPANY_CHECKS:
        started = time.perf_counter()
        count = company_count(check)
        print(f"   {check.key:16} {count:8,}  {(time.perf_counter() - started) * 1000:7.1f} ms")
    started = time.perf_counter()
    contact_mismatch_count()
    print(f"   {'contact domain':16} {'':8}  {(time.perf_counter() - started) * 1000:7.1f} ms")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        response = client.get("/admin/data-quality/")
        timings.append(time.perf_counter() - started)
        if response.status_code != 200:
            print(f"   the page answered {response.status_code}")
    print(f"   whole page: median {statistics.median(timings) * 1000:.0f} ms, "
          f"max {max(timings) * 1000:.0f} ms (5 loads)")


if __name__ == "__main__":
    main()
