"""Configuration classes; the environment chooses the database, the key and the mail server."""
import os
import secrets
from datetime import timedelta
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent
INSTANCE_DIR = Path(os.environ.get("INSTANCE_PATH", BASE_DIR / "instance"))


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def development_secret_key() -> str:
    """A random key generated once into instance/, so sessions survive restarts in development."""
    key_file = INSTANCE_DIR / "secret_key"
    if not key_file.exists():
        INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


class Config:
    APP_ENV = "development"
    SECRET_KEY = os.environ.get("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'backoffice.sqlite3'}"
    )
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_DIR = str(INSTANCE_DIR / "uploads")
    # Where stored files live (admin_app/storage.py): "local" (UPLOAD_DIR) or "s3" (a bucket of
    # any S3-compatible service; credentials from the standard AWS_* variables).
    STORAGE = os.environ.get("STORAGE", "local")
    S3_BUCKET = os.environ.get("S3_BUCKET") or None
    S3_ENDPOINT_URL = os.environ.get("S3_ENDPOINT_URL") or None
    S3_REGION = os.environ.get("S3_REGION") or None
    S3_PREFIX = os.environ.get("S3_PREFIX", "")
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024
    MAX_PHOTO_BYTES = 2 * 1024 * 1024
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    RATELIMIT_PREFIX = "backoffice"
    # Background work (imports) runs on RQ when this is set, inline in the request otherwise.
    RQ_REDIS_URL = os.environ.get("RQ_REDIS_URL") or None
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "backoffice")
    # Failed logins: LOGIN_FAILURE_LIMIT per account from one address, LOGIN_ADDRESS_LIMIT per
    # address (an office behind one NAT), counted over LOGIN_FAILURE_WINDOW seconds since the
    # last failure. Past a limit each further attempt waits a delay that doubles from
    # LOGIN_DELAY_BASE up to LOGIN_DELAY_MAX seconds (answered 429 with Retry-After meanwhile):
    # a slowdown for whoever guesses, never a lockout of the account for everyone.
    LOGIN_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "10"))
    LOGIN_ADDRESS_LIMIT = int(os.environ.get("LOGIN_ADDRESS_LIMIT", "50"))
    LOGIN_FAILURE_WINDOW = 15 * 60
    LOGIN_DELAY_BASE = 30
    LOGIN_DELAY_MAX = 15 * 60
    # Wrong second-factor codes allowed per account before the same growing delay.
    TWO_FACTOR_FAILURE_LIMIT = 5
    # A password accepted waits this long for its second factor.
    TWO_FACTOR_PENDING_SECONDS = 5 * 60
    # Redis answers the rate limiter within this many seconds, or the in-process limiter takes
    # over (and Redis is left alone for REDIS_RETRY_SECONDS).
    REDIS_SOCKET_TIMEOUT = float(os.environ.get("REDIS_SOCKET_TIMEOUT", "0.2"))
    REDIS_RETRY_SECONDS = 5
    # How many reverse proxies stand in front of the app (their X-Forwarded-For/-Proto/-Host
    # are then trusted, through Werkzeug's ProxyFix). 0: the client's address is the socket's.
    TRUSTED_PROXIES = int(os.environ.get("TRUSTED_PROXIES", "0"))
    # Login sessions (services/sessions.py): ended after this long without a request, or this
    # long after login; "Keep me logged in" stretches both.
    SESSION_IDLE_TIMEOUT = timedelta(minutes=int(os.environ.get("SESSION_IDLE_MINUTES", "120")))
    SESSION_ABSOLUTE_TIMEOUT = timedelta(hours=int(os.environ.get("SESSION_ABSOLUTE_HOURS",
                                                                  "12")))
    REMEMBER_IDLE_TIMEOUT = timedelta(days=7)
    REMEMBER_COOKIE_DURATION = timedelta(days=30)
    # last_seen_at is written at most this often per session.
    SESSION_TOUCH_INTERVAL = timedelta(minutes=1)
    WTF_CSRF_TIME_LIMIT = None
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    BABEL_DEFAULT_LOCALE = "en"
    LANGUAGES = ("en", "es", "fr")
    FLASK_ADMIN_SWATCH = "default"
    # Unset: every message is written as an .eml file under OUTBOX_DIR instead of sent.
    MAIL_SERVER = os.environ.get("MAIL_SERVER") or None
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "25"))
    MAIL_USE_TLS = _env_bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _env_bool("MAIL_USE_SSL")
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD")
    MAIL_DEFAULT_SENDER = os.environ.get("MAIL_DEFAULT_SENDER", "backoffice@localhost")
    MAIL_TIMEOUT = float(os.environ.get("MAIL_TIMEOUT", "15"))  # connect and each SMTP command
    OUTBOX_DIR = str(INSTANCE_DIR / "outbox")
    # The organisation's signing key and certificate (signed documents); never under static.
    SIGNING_DIR = str(INSTANCE_DIR / "signing")
    # Client portal: requests allowed per token and per client address in a window of seconds.
    PORTAL_RATE_LIMIT = 60
    PORTAL_RATE_WINDOW = 10 * 60
    OUTBOX_MAX_ATTEMPTS = int(os.environ.get("OUTBOX_MAX_ATTEMPTS", "5"))
    OUTBOX_BACKOFF_SECONDS = int(os.environ.get("OUTBOX_BACKOFF_SECONDS", "60"))
    # Set: delivery is queued to `flask --app wsgi worker` instead of run after the request.
    RQ_REDIS_URL = os.environ.get("RQ_REDIS_URL") or None


class DevelopmentConfig(Config):
    pass


class TestingConfig(Config):
    APP_ENV = "testing"
    TESTING = True
    SECRET_KEY = "testing-only-key"
    SQLALCHEMY_DATABASE_URI = os.environ.get("DATABASE_URL", "sqlite://")
    MAIL_SUPPRESS_SEND = False
    PASSWORD_HASH_FAST = True
    RQ_REDIS_URL = None  # a test that wants RQ sets it; the rest run background work inline
    STORAGE = "local"  # tests that want a bucket configure one (tests/test_storage_app.py)
    # Each test run counts in its own namespace, so runs never lock each other out.
    RATELIMIT_PREFIX = f"backoffice-test-{secrets.token_hex(4)}"


class ProductionConfig(Config):
    APP_ENV = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True


CONFIGS = {"development": DevelopmentConfig, "testing": TestingConfig,
           "production": ProductionConfig}


def config_from_env() -> type[Config]:
    return CONFIGS[os.environ.get("APP_ENV", "development")]
