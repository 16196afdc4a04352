"""Load benchmark: logged-in users at once against gunicorn with several workers.

Serves the app with gunicorn on 127.0.0.1 (nothing else is ever a target) over a fresh database,
SQLite in WAL mode or a PostgreSQL database made for the run and dropped after, with demo data and
one account per user. Each user logs in, then loops until the time is up over a mix of reads
(dashboard, company search, client cards, the pipeline board, invoices) and writes (a call
recorded on a card, a contact added to a card: the form, then its POST). Prints the requests, the
5xx answers (must be 0), the writes the server acknowledged that are missing from the database
afterwards (must be 0), writes found half done (a row without its audit entry; must be 0), and
p50/p95 of the response times. It asserts nothing.

With --fault the database goes away during the run, every --fault-every seconds: PostgreSQL's
server processes of the app are terminated; SQLite is held locked longer than the app's busy
timeout. The 5xx answers must then all be the clean 503 page, and still no acknowledged write may
be missing nor any write half done.

    python bench/bench_load.py                           # 20 users, 20 s, SQLite and PostgreSQL
    python bench/bench_load.py --db sqlite --seconds 60 --workers 8
    python bench/bench_load.py --fault                   # the same, with the database dropping
"""
import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import median_p95  # noqa: E402  (bench/, the script's folder)

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HOST = "127.0.0.1"  # loopback only
PASSWORD = "bench-load-password"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
REQUEST_TIMEOUT = 30
MAX_ROUNDS = 20_000  # actions per user at most, whatever the time


UNAVAILABLE_PAGE = 'data-error="database-unavailable"'


@dataclass
class Results:
    requests: int = 0
    server_errors: int = 0  # every 5xx, the clean 503 pages included
    unavailable_pages: int = 0  # of which the app's "database is not answering" page
    other_failures: int = 0  # 4xx, refused connections, time-outs
    writes: int = 0
    missing: int = -1
    half_done: int = -1
    faults: int = 0
    times_ms: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    acknowledged: dict[str, list[str]] = field(default_factory=lambda: {"calls": [],
                                                                        "contacts": []})
    lock: threading.Lock = field(default_factory=threading.Lock)

    def line(self, label: str) -> str:
        p50, p95 = median_p95(self.times_ms) if self.times_ms else (0.0, 0.0)
        faults = (f"  database dropped {self.faults}x, clean 503 pages {self.unavailable_pages}"
                  if self.faults else "")
        return (f"{label:<8} requests {self.requests:>5}  5xx {self.server_errors}{faults}  "
                f"other failures {self.other_failures}  writes acknowledged {self.writes}  "
                f"missing {self.missing}  half done {self.half_done}  "
                f"p50 {p50:.0f} ms  p95 {p95:.0f} ms")


# --- the database and the server -------------------------------------------------------------

@contextmanager
def fresh_database(kind: str, postgres: str, workdir: Path):
    """The URL of an empty database of `kind`, removed afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'load.sqlite3'}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    name = f"bo_load_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, workdir: Path, users: int, companies: int) -> tuple[list[str], list[int]]:
    """Schema, demo data and `users` accounts; (their emails, the company ids)."""
    from admin_app import create_app
    from admin_app.extensions import db
    from admin_app.models import Company
    from admin_app.services.demo import seed_demo
    from admin_app.services.users import create_user
    # The accounts get the test suite's cheap argon2 parameters: twenty logins at once would
    # otherwise be the figures' first seconds (a login verifies with its hash's parameters).
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "UPLOAD_DIR": str(workdir / "uploads"), "PASSWORD_HASH_FAST": True})
    with app.app_context():
        from flask_migrate import upgrade
        upgrade()
        seed_demo(companies=companies, seed=7)
        emails = [f"load-{n}@example.com" for n in range(users)]
        for n, email in enumerate(emails):
            create_user(email, PASSWORD, role="admin" if n % 5 == 0 else "user")
        db.session.commit()
        ids = list(db.session.scalars(db.select(Company.id).where(
            Company.merged_into_id.is_(None))))
        db.session.remove()
        db.engine.dispose()
    return emails, ids


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(url: str, workdir: Path, workers: int, env: dict | None = None):
    """The app served by gunicorn on a free loopback port; its base URL."""
    port = _free_port()
    env = {**os.environ, **(env or {}), "DATABASE_URL": url, "INSTANCE_PATH": str(workdir),
           "SECRET_KEY": "bench-load-secret-key-0123456789abcdef", "APP_ENV": "development",
           "PYTHONPATH": str(ROOT)}
    log = open(workdir / "gunicorn.log", "wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"{HOST}:{port}",
         "--timeout", "60", "--graceful-timeout", "1", "--preload", "--no-control-socket",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {workdir / 'gunicorn.log'}")
            try:
                with build_opener().open(f"{base}/login", timeout=2) as answer:
                    if answer.status == 200:
                        break
            except (URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not answer; see {workdir / 'gunicorn.log'}")
            time.sleep(0.1)
        yield base
    finally:
        server.send_signal(signal.SIGINT)  # every request has been answered: a quick stop
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


# --- the users -------------------------------------------------------------------------------

class _KeepRedirects(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 302 is an answer to look at (where a save leads), not to follow


class User:
    """One browser: its own cookies, a request helper that times and classifies each answer."""

    def __init__(self, base: str, results: Results):
        self.base, self.results = base, results
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()), _KeepRedirects)

    def call(self, path: str, form: dict | None = None) -> tuple[int, str, str]:
        data = urlencode(form).encode() if form is not None else None
        request = Request(self.base + path, data=data, method="POST" if form else "GET")
        started = time.perf_counter()
        try:
            with self.opener.open(request, timeout=REQUEST_TIMEOUT) as answer:
                status, body, location = answer.status, answer.read(), ""
        except HTTPError as error:
            status, body, location = error.code, error.read(), error.headers.get("Location", "")
        except (URLError, OSError) as error:
            status, body, location = 0, str(error).encode(), ""
        elapsed = (time.perf_counter() - started) * 1000
        with self.results.lock:
            self.results.requests += 1
            self.results.times_ms.append(elapsed)
            if status >= 500:
                self.results.server_errors += 1
                if status == 503 and UNAVAILABLE_PAGE.encode() in body:
                    self.results.unavailable_pages += 1
                else:
                    self.results.failures.append(f"{status} {path}")
            elif status == 0 or status >= 400:
                self.results.other_failures += 1
                self.results.failures.append(f"{status or body.decode()[:80]} {path}")
        return status, body.decode("utf-8", "replace"), location

    def form_post(self, form_path: str, values: dict) -> bool:
        """GET a form, POST it with its CSRF token; True when the server acknowledged the save
        (a redirect back to the card, which it sends only after the commit)."""
        status, page, _ = self.call(form_path)
        token = CSRF.search(page) if status == 200 else None
        if token is None:
            return False
        status, _, location = self.call(form_path, {**values, "csrf_token": token.group(1)})
        return status == 302 and "/admin/company/card/" in location

    def log_in(self, email: str) -> bool:
        status, page, _ = self.call("/login")
        token = CSRF.search(page)
        if status != 200 or token is None:
            return False
        status, _, location = self.call("/login", {"email": email, "password": PASSWORD,
                                                   "csrf_token": token.group(1)})
        return status == 302 and "/login" not in location


def one_user(base: str, email: str, company_ids: list[int], deadline: float, rounds: int,
             seed: int, results: Results) -> None:
    rng = random.Random(seed)
    user = User(base, results)
    if not user.log_in(email):
        with results.lock:
            results.failures.append(f"login failed for {email}")
        return
    names = ["Acme", "Nordic", "Atlas", "Blue", "Delta", "Summit", "Terra"]
    for _ in range(rounds):
        if time.monotonic() >= deadline:
            return
        company = rng.choice(company_ids)
        roll = rng.random()
        if roll < 0.15:
            user.call("/admin/")
        elif roll < 0.35:
            user.call(f"/admin/company/?search={rng.choice(names)}")
        elif roll < 0.60:
            user.call(f"/admin/company/card/?id={company}")
        elif roll < 0.68:
            user.call("/admin/pipeline/")
        elif roll < 0.75:
            user.call("/admin/invoice/")
        elif roll < 0.90:
            marker = f"load-call-{uuid.uuid4().hex}"
            if user.form_post(f"/admin/company/card/exchange/?id={company}&kind=call", {
                    "kind": "call", "contact_id": "", "title": marker,
                    "occurred_at": datetime.now().strftime("%Y-%m-%dT%H:%M"),
                    "body": "Called during the load benchmark."}):
                _acknowledged(results, "calls", marker)
        else:
            marker = f"load-contact-{uuid.uuid4().hex}"
            if user.form_post(f"/admin/company/card/contact/?id={company}",
                              {"first_name": "Load", "last_name": marker}):
                _acknowledged(results, "contacts", marker)


def _acknowledged(results: Results, kind: str, marker: str) -> None:
    with results.lock:
        results.writes += 1
        results.acknowledged[kind].append(marker)


def check_writes(url: str, acknowledged: dict[str, list[str]]) -> tuple[int, int]:
    """(acknowledged writes the database does not hold, written rows without the audit entry
    that the same transaction adds)."""
    from sqlalchemy import and_, create_engine, select
    from admin_app.models import AuditLog, Contact, Exchange
    engine = create_engine(url)
    found, half_done = {}, 0
    try:
        with engine.connect() as conn:
            for kind, model, column in (("calls", Exchange, Exchange.title),
                                        ("contacts", Contact, Contact.last_name)):
                audited = and_(AuditLog.entity_type == model.__name__,
                               AuditLog.entity_id == model.id, AuditLog.action == "create")
                rows = conn.execute(select(column, select(AuditLog.id).where(audited).exists())
                                    .where(column.like(f"load-{kind[:-1]}-%"))).all()
                found[kind] = {marker for marker, _ in rows}
                half_done += sum(1 for _, has_audit in rows if not has_audit)
    finally:
        engine.dispose()
    missing = sum(len(set(markers) - found[kind]) for kind, markers in acknowledged.items())
    return missing, half_done


def drop_database_now(url: str, hold: float) -> None:
    """The database goes away under the app: PostgreSQL ends every server process of the app's
    database; SQLite stays locked for `hold` seconds (past the app's busy timeout)."""
    from sqlalchemy import create_engine, text
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                  "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
                return
            conn.exec_driver_sql("BEGIN EXCLUSIVE")
            time.sleep(hold)
            conn.exec_driver_sql("ROLLBACK")
    finally:
        engine.dispose()


def faults(url: str, deadline: float, every: float, results: Results) -> None:
    from admin_app import SQLITE_BUSY_TIMEOUT_MS
    while time.monotonic() + every < deadline:
        time.sleep(every)
        drop_database_now(url, hold=SQLITE_BUSY_TIMEOUT_MS / 1000 + 1)
        with results.lock:
            results.faults += 1


def run_load(url: str, workdir: Path, users: int = 20, seconds: float = 20, workers: int = 4,
             companies: int = 200, rounds: int = MAX_ROUNDS, env: dict | None = None,
             fault_every: float | None = None) -> Results:
    """Prepare the database at `url`, serve it, run the users (each until the time is up or
    after `rounds` actions), optionally drop the database now and then, check the writes."""
    emails, company_ids = prepare(url, workdir, users, companies)
    results = Results()
    with gunicorn(url, workdir, workers, env) as base:
        deadline = time.monotonic() + seconds
        threads = [threading.Thread(target=one_user, daemon=True,
                                    args=(base, email, company_ids, deadline, rounds, n,
                                          results))
                   for n, email in enumerate(emails)]
        if fault_every:
            threads.append(threading.Thread(target=faults, daemon=True,
                                            args=(url, deadline, fault_every, results)))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 2 * REQUEST_TIMEOUT)
    results.missing, results.half_done = check_writes(url, results.acknowledged)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", PG_DEFAULT),
                        help="a PostgreSQL server URL (a fresh database is made there)")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--fault", action="store_true",
                        help="drop the database now and then during the run")
    parser.add_argument("--fault-every", type=float, default=6, metavar="SECONDS")
    args = parser.parse_args()
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    print(f"{args.users} users for {args.seconds:g} s against gunicorn with {args.workers} "
          f"workers on {HOST}")
    for kind in kinds:
        with tempfile.TemporaryDirectory(prefix="bench-load-") as work:
            with fresh_database(kind, args.pg_url, Path(work)) as url:
                results = run_load(url, Path(work), args.users, args.seconds, args.workers,
                                   args.companies,
                                   fault_every=args.fault_every if args.fault else None)
        print(results.line(kind))
        for failure in results.failures[:10]:
            print(f"  {failure}")


if __name__ == "__main__":
    main()
