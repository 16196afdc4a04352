"""Login throttling that holds: atomic counters under 40 parallel guesses, a per-process limiter
when Redis is down or hangs, limits per account-and-address and per address with a growing
delay, client addresses from trusted proxies only, and every failure and lockout audited."""
import re
import socket
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest
from sqlalchemy import func, select

from admin_app import create_app
from admin_app.extensions import db
from admin_app.models import AuditLog
from admin_app.services.ratelimit import forget_everything
from admin_app.services.redis_store import redis_client
from config import TestingConfig
from tests.conftest import TEST_PASSWORD, CSRFClient, _free_port, login


def _audited(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditLog)
                             .where(AuditLog.action == action))


def _guess(client, email, password="wrong-guess", address="127.0.0.1", **kwargs):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address}, **kwargs)


class BrowserOverHttp:
    """One client of the live server, with its own cookies and CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        html = self.opener.open(f"{base}/login", timeout=30).read().decode()
        self.token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)

    def post_login(self, email: str, password: str) -> int:
        body = urllib.parse.urlencode({"csrf_token": self.token, "email": email,
                                       "password": password}).encode()
        try:
            return self.opener.open(f"{self.base}/login", body, timeout=60).status
        except urllib.error.HTTPError as error:
            return error.code


def test_forty_parallel_wrong_passwords_check_exactly_the_limit(app, live_server, admin_user):
    limit, email = app.config["LOGIN_FAILURE_LIMIT"], admin_user.email
    browsers = [BrowserOverHttp(live_server) for _ in range(40)]
    start = threading.Barrier(len(browsers))
    statuses: list[int] = []

    def guess(browser):
        start.wait()
        statuses.append(browser.post_login(email, "wrong-guess"))

    threads = [threading.Thread(target=guess, args=(b,)) for b in browsers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [401] * limit + [429] * (40 - limit)
    assert _audited("login_fail") == limit


def test_throttled_answer_says_how_long_to_wait_and_the_delay_grows(app, client, admin_user):
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for _ in range(limit):
        assert _guess(client, admin_user.email).status_code == 401
    first = _guess(client, admin_user.email, TEST_PASSWORD)
    assert first.status_code == 429
    assert int(first.headers["Retry-After"]) == app.config["LOGIN_DELAY_BASE"]
    # The delay passes (its hold key expires): one more guess is checked, then a longer wait.
    client_redis = redis_client()
    for key in client_redis.scan_iter(f"{app.config['RATELIMIT_PREFIX']}:rl:login:pair:*:hold"):
        client_redis.delete(key)
    assert _guess(client, admin_user.email).status_code == 401
    second = _guess(client, admin_user.email, TEST_PASSWORD)
    assert second.status_code == 429
    assert int(second.headers["Retry-After"]) == 2 * app.config["LOGIN_DELAY_BASE"]


def test_guesses_from_one_address_do_not_lock_the_account_for_its_owner(app, make_user):
    victim = make_user("victim@example.com")
    attacker = app.test_client()
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] + 3):
        _guess(attacker, victim.email, address="198.51.100.7")
    assert _guess(attacker, victim.email, TEST_PASSWORD, "198.51.100.7").status_code == 429
    owner = app.test_client()
    assert _guess(owner, victim.email, TEST_PASSWORD, "192.0.2.44").status_code == 302


def test_one_address_guessing_many_accounts_is_slowed_down(app, client, make_user):
    app.config["LOGIN_ADDRESS_LIMIT"], saved = 12, app.config["LOGIN_ADDRESS_LIMIT"]
    try:
        user = make_user("spray@example.com")
        for n in range(12):
            assert _guess(client, f"nobody{n}@example.com", address="203.0.113.9"
                          ).status_code == 401
        assert _guess(client, user.email, TEST_PASSWORD, "203.0.113.9").status_code == 429
        assert _guess(client, user.email, TEST_PASSWORD, "203.0.113.10").status_code == 302
    finally:
        app.config["LOGIN_ADDRESS_LIMIT"] = saved


def test_a_successful_login_clears_its_account_count(app, client, admin_user):
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        _guess(client, admin_user.email)
    assert login(client, admin_user.email).status_code == 302
    client.post("/logout")
    for _ in range(app.config["LOGIN_FAILURE_LIMIT"] - 1):
        assert _guess(client, admin_user.email).status_code == 401


def test_every_failure_and_the_lockout_are_audited(app, client, admin_user):
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    for _ in range(limit + 2):
        _guess(client, admin_user.email)
    assert _audited("login_fail") == limit
    assert _audited("lockout") == 1
    entry = db.session.scalar(select(AuditLog).where(AuditLog.action == "lockout"))
    assert entry.entity_id == admin_user.id and "127.0.0.1" in entry.summary


# --- Redis down or hanging ------------------------------------------------------------------

@pytest.fixture
def redis_at(app):
    """Point the app's Redis somewhere else for one test."""
    saved = app.config["REDIS_URL"]

    def point(url: str) -> None:
        app.config["REDIS_URL"] = url
        forget_everything()
    yield point
    app.config["REDIS_URL"] = saved
    forget_everything()


class SilentServer:
    """A TCP server that accepts connections and never answers (a hung Redis)."""

    def __init__(self):
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.accepted: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self):
        self.sock.close()
        for conn in self.accepted:
            conn.close()


@pytest.fixture
def silent_server():
    server = SilentServer()
    yield server
    server.close()


def test_with_redis_unreachable_logins_are_still_throttled_in_process(app, client, admin_user,
                                                                      redis_at):
    redis_at(f"redis://127.0.0.1:{_free_port()}/0")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    statuses = [_guess(client, admin_user.email).status_code for _ in range(limit + 5)]
    assert statuses == [401] * limit + [429] * 5
    assert _guess(client, admin_user.email, TEST_PASSWORD).status_code == 429
    assert _audited("lockout") == 1


def test_a_hanging_redis_is_cut_by_the_short_socket_timeout_and_the_limit_holds(
        app, client, admin_user, redis_at, silent_server):
    redis_at(f"redis://127.0.0.1:{silent_server.port}/0")
    limit = app.config["LOGIN_FAILURE_LIMIT"]
    statuses = [_guess(client, admin_user.email).status_code for _ in range(limit + 3)]
    assert statuses == [401] * limit + [429] * 3
    # One connection, one command that timed out, no retry; then Redis is left alone a while
    # (REDIS_RETRY_SECONDS) instead of costing every attempt another timeout.
    assert len(silent_server.accepted) == 1
    pool = redis_client().connection_pool
    assert pool.connection_kwargs["socket_timeout"] == app.config["REDIS_SOCKET_TIMEOUT"] == 0.2
    assert pool.connection_kwargs["socket_connect_timeout"] == 0.2
    assert redis_client().get_retry().get_retries() == 0


def test_redis_is_asked_again_once_it_is_back(app, client, admin_user, redis_at):
    working = app.config["REDIS_URL"]
    redis_at(f"redis://127.0.0.1:{_free_port()}/0")
    _guess(client, admin_user.email)
    app.config["REDIS_URL"] = working
    app.extensions.pop("ratelimit_redis_down_until")  # the retry pause is over
    _guess(client, admin_user.email)
    keys = list(redis_client().scan_iter(f"{app.config['RATELIMIT_PREFIX']}:rl:login:pair:*"))
    assert keys


# --- proxies ----------------------------------------------------------------------------------

@pytest.fixture
def proxied_app(app):
    """The same app and database behind one trusted reverse proxy (TRUSTED_PROXIES=1)."""
    class Behind(TestingConfig):
        SQLALCHEMY_DATABASE_URI = app.config["SQLALCHEMY_DATABASE_URI"]
        REDIS_URL = app.config["REDIS_URL"]
        RATELIMIT_PREFIX = app.config["RATELIMIT_PREFIX"]
        UPLOAD_DIR = app.config["UPLOAD_DIR"]
        TRUSTED_PROXIES = 1

    behind = create_app(Behind)
    behind.test_client_class = CSRFClient
    yield behind
    with behind.app_context():
        db.engine.dispose()


def test_behind_a_trusted_proxy_each_forwarded_address_is_counted_apart(proxied_app, admin_user):
    limit = proxied_app.config["LOGIN_FAILURE_LIMIT"]
    client = proxied_app.test_client()
    for _ in range(limit):
        _guess(client, admin_user.email, headers={"X-Forwarded-For": "203.0.113.5"})
    assert _guess(client, admin_user.email, TEST_PASSWORD,
                  headers={"X-Forwarded-For": "203.0.113.5"}).status_code == 429
    assert _guess(client, admin_user.email, TEST_PASSWORD,
                  headers={"X-Forwarded-For": "203.0.113.6"}).status_code == 302


def test_without_trusted_proxies_a_forwarded_header_is_ignored(app, client, admin_user):
    for n in range(app.config["LOGIN_FAILURE_LIMIT"]):
        _guess(client, admin_user.email, headers={"X-Forwarded-For": f"203.0.113.{n}"})
    assert _guess(client, admin_user.email, TEST_PASSWORD,
                  headers={"X-Forwarded-For": "203.0.113.200"}).status_code == 429
