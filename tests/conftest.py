"""Fixtures for the whole suite: app, a clean database per test, clients, logins, factories.

The database is real: a SQLite file by default, or a fresh PostgreSQL database created for the
run when TEST_DATABASE_URL points at a PostgreSQL server (dropped at the end). Redis is the one
at REDIS_URL, or a throwaway redis-server started for the run when none answers there.
"""
import hashlib
import os
import re
import shutil
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from admin_app import create_app
from admin_app.extensions import db
from config import TestingConfig

TEST_PASSWORD = "correct-horse-battery"

# The tests' "today" (date.today()) is the organisation's, as on a server kept in its zone: the
# application's business date is Europe/Madrid's (admin_app/clock.py), so on a machine in UTC
# every expected due date was a day short between 23:00 and midnight UTC.
os.environ["TZ"] = "Europe/Madrid"
time.tzset()


# --- database -------------------------------------------------------------------------------

@contextmanager
def new_database(server_url: str, folder, prefix: str):
    """A new, empty database of the kind `server_url` names: a file in `folder` for SQLite, a
    database on the same server for PostgreSQL, dropped on exit."""
    if not server_url.startswith("postgresql"):
        yield f"sqlite:///{folder / f'{prefix}.sqlite3'}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin_engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin_engine.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin_engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    with new_database(os.environ.get("TEST_DATABASE_URL", ""), tmp_path_factory.mktemp("db"),
                      "bo_test") as url:
        yield url


# --- redis ----------------------------------------------------------------------------------

def _redis_answers(url: str) -> bool:
    import redis
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5,
                                         socket_timeout=0.5).ping())
    except redis.RedisError:
        return False


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start_redis(server: str, workdir) -> tuple[subprocess.Popen, str] | None:
    """A redis-server on a free port, keeping nothing on disk, once it answers; None if it won't."""
    for _ in range(3):  # another process may take the free port before redis-server binds it
        port = _free_port()
        url = f"redis://127.0.0.1:{port}/0"
        with open(workdir / "redis.log", "ab") as log:
            process = subprocess.Popen(
                [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--daemonize", "no", "--dir", str(workdir)],
                stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 10
        while process.poll() is None and time.monotonic() < deadline:
            if _redis_answers(url):
                return process, url
            time.sleep(0.05)
        _stop(process)
    return None


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def redis_url(request, tmp_path_factory):
    """REDIS_URL when a Redis answers there, else a throwaway redis-server for this run."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    if _redis_answers(url):
        yield url
        return
    server = shutil.which("redis-server")
    if server is None:
        pytest.exit(f"No Redis answers at {url} and redis-server is not installed: run "
                    "`make test`, or `sudo apt-get install redis-server`", returncode=1)
    started = _start_redis(server, tmp_path_factory.mktemp("redis"))
    if started is None:
        pytest.exit(f"No Redis answers at {url} and a throwaway redis-server would not start "
                    f"(see its log under {tmp_path_factory.getbasetemp()})", returncode=1)
    process, throwaway_url = started
    _say(request.config, f"No Redis at {url}: started a throwaway redis-server "
                         f"(pid {process.pid}) at {throwaway_url} for this run")
    try:
        yield throwaway_url
    finally:
        _stop(process)


def _say(config, line: str) -> None:
    """Print past pytest's output capture, as a fixture's own output would be swallowed."""
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(line)


# --- S3-compatible storage ------------------------------------------------------------------

S3_TEST_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
               "AWS_DEFAULT_REGION": "us-east-1", "AWS_SESSION_TOKEN": "testing"}


@pytest.fixture(scope="session")
def s3_endpoint():
    """A local S3-compatible server (moto) on a free port, with throwaway credentials in the
    standard AWS variables, as a deployment would set them; its URL."""
    from moto.server import ThreadedMotoServer

    saved = {name: os.environ.get(name) for name in S3_TEST_ENV}
    os.environ.update(S3_TEST_ENV)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture
def s3_bucket(s3_endpoint):
    """A new empty bucket on the local S3 server for one test; its name."""
    import boto3

    name = f"test-{uuid.uuid4().hex[:12]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=name)
    return name


# --- app ------------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def app(database_url, redis_url, tmp_path_factory):
    class Config(TestingConfig):
        SQLALCHEMY_DATABASE_URI = database_url
        REDIS_URL = redis_url
        UPLOAD_DIR = str(tmp_path_factory.mktemp("uploads"))
        OUTBOX_DIR = str(tmp_path_factory.mktemp("outbox"))
        SIGNING_DIR = str(tmp_path_factory.mktemp("signing"))

    application = create_app(Config)
    application.test_client_class = CSRFClient
    with application.app_context():
        from flask_migrate import upgrade
        upgrade()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def app_ctx(app, request):
    """Every test runs in an app context and starts from empty tables."""
    with app.app_context():
        yield
        db.session.remove()
        try:
            if not request.node.get_closest_marker("raw_figures") and _test_passed(request):
                _check_stored_figures()
        finally:
            _empty_all_tables()
            _forget_rate_limits(app)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.call_passed = report.passed
    return report


def _test_passed(request) -> bool:
    return getattr(request.node, "call_passed", False)


def _check_stored_figures() -> None:
    """Whatever a test did, the figures stored by services/figures.py equal a recompute from the
    rows: every path that changes money or exchanges proves it keeps them, on both databases."""
    from admin_app.services.figures import verify
    with db.engine.connect() as conn:
        if not conn.scalar(text(
                "SELECT EXISTS (SELECT 1 FROM invoices) OR EXISTS (SELECT 1 FROM credit_notes) "
                "OR EXISTS (SELECT 1 FROM exchanges) OR EXISTS (SELECT 1 FROM company_figures) "
                "OR EXISTS (SELECT 1 FROM company_exchange_counts)")):
            return  # the test left nothing the figures are computed from
        drift = verify(conn)
    if drift is not None:
        pytest.fail(f"stored figures drifted from the rows: {drift} (a path wrote rows past "
                    "services/figures.py; a test writing raw SQL on purpose is marked "
                    "raw_figures)", pytrace=False)


def _forget_rate_limits(app) -> None:
    import redis
    from admin_app.services.ratelimit import forget_everything
    forget_everything()
    client = redis.Redis.from_url(app.config["REDIS_URL"])
    keys = list(client.scan_iter(f"{app.config['RATELIMIT_PREFIX']}:*"))
    if keys:
        client.delete(*keys)


def _empty_all_tables() -> None:
    tables = [t.name for t in db.metadata.sorted_tables]
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
                ", ".join(f'"{t}"' for t in tables))))
        else:
            conn.execute(text("PRAGMA defer_foreign_keys=ON"))
            for table in reversed(tables):
                conn.execute(text(f'DELETE FROM "{table}"'))


@pytest.fixture
def database_at_revision(tmp_path, redis_url):
    """Factory: an app on a new SQLite file migrated up to `revision` only, its context pushed
    (migration tests that put old data in before upgrading). `on_test_server=True`: a new
    database on the TEST_DATABASE_URL server instead, when that is PostgreSQL."""
    from flask_migrate import upgrade

    contexts, servers = [], []

    def make(revision: str, on_test_server: bool = False):
        url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
        base = os.environ.get("TEST_DATABASE_URL", "")
        if on_test_server and base.startswith("postgresql"):
            name = f"bo_old_{uuid.uuid4().hex[:12]}"
            server = create_engine(base, isolation_level="AUTOCOMMIT")
            with server.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            servers.append((server, name))
            url = make_url(base).set(database=name).render_as_string(hide_password=False)

        class Config(TestingConfig):
            SQLALCHEMY_DATABASE_URI = url
            REDIS_URL = redis_url
            UPLOAD_DIR = str(tmp_path / "uploads")

        application = create_app(Config)
        context = application.app_context()
        context.push()
        contexts.append(context)
        upgrade(revision=revision)
        return application

    yield make
    for context in reversed(contexts):
        db.session.remove()
        db.engine.dispose()
        context.pop()
    for server, name in servers:
        with server.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


@pytest.fixture
def is_postgres(app) -> bool:
    return db.engine.dialect.name == "postgresql"


@pytest.fixture
def analyze(app):
    """`analyze()`: fresh planner statistics, as services/db_maintenance gives production, and
    seen by every connection: SQLite reads them when a connection opens, so a pooled one would
    plan with those of an earlier test."""
    def run():
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        if db.engine.dialect.name == "sqlite":
            db.session.remove()
            db.engine.dispose()
    return run


@contextmanager
def _counting(engine, with_parameters: bool = False):
    statements: list = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append((statement, parameters) if with_parameters else statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)


@pytest.fixture
def company_view(app):
    """The companies' list view, to change a setting (page size, caps) for one test."""
    return next(v for v in app.extensions["admin"][0]._views
                if getattr(v, "endpoint", "") == "company")


@pytest.fixture
def count_queries(app):
    """`with count_queries() as statements:` collects every SQL statement run inside."""
    return lambda: _counting(db.engine)


@pytest.fixture
def capture_statements(app):
    """`with capture_statements() as seen:` collects (statement, parameters) of every SQL
    statement run inside, to EXPLAIN them after."""
    return lambda: _counting(db.engine, with_parameters=True)


# --- clients -------------------------------------------------------------------------------

class CSRFClient(FlaskClient):
    """A test client that sends a valid CSRF token with form posts, unless csrf=False."""

    def open(self, *args, **kwargs):
        # The test's app context outlives requests, so g would carry one client's logged-in user
        # into another client's request: forget it, as a fresh request in production would.
        if has_app_context():
            g.pop("_login_user", None)
        send_token = kwargs.pop("csrf", True)
        method = kwargs.get("method", "GET").upper()
        data = kwargs.get("data")
        if send_token and method in {"POST", "PUT", "PATCH", "DELETE"}:
            if data is None:
                kwargs["data"] = data = {}
            if isinstance(data, dict) and "csrf_token" not in data:
                data["csrf_token"] = self.csrf_token()
        return super().open(*args, **kwargs)

    def csrf_token(self) -> str:
        with self.session_transaction() as session:
            raw = session.setdefault("csrf_token", hashlib.sha1(os.urandom(64)).hexdigest())
        serializer = URLSafeTimedSerializer(self.application.secret_key, salt="wtf-csrf-token")
        return serializer.dumps(raw)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, email: str, password: str = TEST_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


@pytest.fixture
def make_user():
    from admin_app.services.users import create_user

    def make(email=None, role="user", password=TEST_PASSWORD, is_active=True, full_name=""):
        user = create_user(email or f"user-{uuid.uuid4().hex[:8]}@example.com", password,
                           role=role, full_name=full_name)
        user.is_active = is_active
        db.session.commit()
        return user
    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin@example.com", role="admin", full_name="Ada Admin")


@pytest.fixture
def normal_user(make_user):
    return make_user("user@example.com", role="user", full_name="Uma User")


@pytest.fixture
def admin_client(app, admin_user):
    c = app.test_client()
    assert login(c, admin_user.email).status_code == 302
    return c


@pytest.fixture
def user_client(app, normal_user):
    c = app.test_client()
    assert login(c, normal_user.email).status_code == 302
    return c


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


# --- factories -----------------------------------------------------------------------------

@pytest.fixture
def make_company():
    from admin_app.models import Company

    def make(name="Acme Logistics", status="client", commit=True, **fields):
        company = Company(name=name, status=status, **fields)
        db.session.add(company)
        db.session.commit() if commit else db.session.flush()
        return company
    return make


@pytest.fixture
def make_invoice():
    """make(company, lines=[(qty, unit_price, tax_rate)], status, issue_date, due_date,
    payments=[(amount, paid_on)], number): an invoice with server-computed totals."""
    from admin_app.models import Invoice, InvoiceLine, Payment
    from admin_app.services.pricing import apply_line_totals

    counter = {"n": 0}

    def make(company, lines=(("1", "100.00", "20"),), status="issued", issue_date=None,
             due_date=None, payments=(), number=None):
        issue_date = issue_date or date.today() - timedelta(days=10)
        invoice = Invoice(company=company, status=status, issue_date=issue_date,
                          due_date=due_date or issue_date + timedelta(days=30))
        for qty, price, rate in lines:
            invoice.lines.append(InvoiceLine(description="Item", quantity=Decimal(str(qty)),
                                             unit_price=Decimal(str(price)),
                                             tax_rate=Decimal(str(rate))))
        apply_line_totals(invoice)
        if status != "draft":
            counter["n"] += 1
            invoice.number = number or f"TEST-{issue_date.year}-{uuid.uuid4().hex[:6]}"
            invoice.issued_at = datetime.combine(issue_date, datetime.min.time())
        db.session.add(invoice)
        db.session.flush()
        paid = Decimal("0")
        for amount, paid_on in payments:
            db.session.add(Payment(invoice=invoice, amount=Decimal(str(amount)), paid_on=paid_on))
            paid += Decimal(str(amount))
        if payments and paid >= invoice.total_incl_tax:
            invoice.paid_on = max(p for _, p in payments)
        db.session.commit()
        return invoice
    return make


# --- live server for browser tests ------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


@pytest.fixture
def live_server(app):
    """The app served on a free localhost port in a thread, for the browser."""
    from werkzeug.serving import make_server
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def browser_login(browser, live_server: str, email: str):
    """A new browser page, logged in as `email` through the login form, on the dashboard."""
    page = browser.new_page()
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form button[type=submit]")
    page.wait_for_url(f"{live_server}/admin/")
    return page


@pytest.fixture
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: run `make test`, or `sudo apt-get install chromium`")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


# --- sales (issue 5) ---------------------------------------------------------------------------

@pytest.fixture
def make_document():
    """make(kind, company, lines=[(qty, price, rate)], **fields): a draft quote/order/invoice
    with server-computed totals, flushed and committed."""
    from admin_app.models import Invoice, InvoiceLine, Order, OrderLine, Quote, QuoteLine
    from admin_app.services.pricing import apply_line_totals

    classes = {"quote": (Quote, QuoteLine), "order": (Order, OrderLine),
               "invoice": (Invoice, InvoiceLine)}

    def make(kind, company, lines=(("1", "100.00", "20"),), **fields):
        model, line_model = classes[kind]
        today = date.today()
        defaults = {"quote": {"issue_date": today, "status": "draft"},
                    "order": {"order_date": today, "status": "open"},
                    "invoice": {"issue_date": today, "due_date": today + timedelta(days=30),
                                "status": "draft"}}[kind]
        document = model(company=company, **{**defaults, **fields})
        for qty, price, rate in lines:
            document.lines.append(line_model(description=f"Item {qty}x{price}",
                                             quantity=Decimal(str(qty)),
                                             unit_price=Decimal(str(price)),
                                             tax_rate=Decimal(str(rate))))
        apply_line_totals(document)
        db.session.add(document)
        db.session.commit()
        return document
    return make


# --- mail (issue 11) ---------------------------------------------------------------------------

class SmtpServer:
    """A real SMTP server (aiosmtpd) on a free localhost port. `messages` holds what arrived,
    parsed with the email package, each with its envelope in `.envelope_to`; set `refuse` to an
    SMTP answer such as "451 4.3.0 Try later" to refuse every message."""

    def __init__(self):
        self.host, self.port = "127.0.0.1", _free_port()
        self.messages: list = []
        self.refuse: str | None = None
        self._controller = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's name
        if self.refuse:
            return self.refuse
        from email import message_from_bytes, policy
        message = message_from_bytes(envelope.original_content or envelope.content,
                                     policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        message.envelope_from = envelope.mail_from
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def start(self):
        from aiosmtpd.controller import Controller
        self._controller = Controller(self, hostname=self.host, port=self.port)
        self._controller.start()

    def stop(self):
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def by_message_id(self, message_id: str) -> list:
        return [m for m in self.messages if m["Message-ID"] == message_id]


@pytest.fixture
def smtp_server(app):
    """The SMTP server above, started, and the app pointed at it for the test."""
    server = SmtpServer()
    server.start()
    saved = {k: app.config.get(k) for k in ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")}
    app.config.update(MAIL_SERVER=server.host, MAIL_PORT=server.port, MAIL_TIMEOUT=5)
    try:
        yield server
    finally:
        server.stop()
        app.config.update(saved)
