"""Client-card back office: the application factory."""
from pathlib import Path

from flask import Flask, redirect, request, url_for
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from config import Config, ProductionConfig, config_from_env, development_secret_key

from .error_pages import register_error_pages
from .extensions import babel, csrf, db, login_manager, mail, migrate
from .models.base import only_this_dialect
from .security_headers import init_security_headers


def create_app(config: type[Config] | dict | None = None) -> Flask:
    """Build the app; `config` is a config class or a dict of overrides on the environment's."""
    app = Flask(__name__, instance_path=str(Path(__file__).resolve().parent.parent / "instance"))
    base = config if isinstance(config, type) else config_from_env()
    app.config.from_object(base)
    if isinstance(config, dict):
        app.config.update(config)
    _ensure_secret_key(app)
    if app.config["APP_ENV"] == ProductionConfig.APP_ENV:
        from .auth.deployment import check_production_config
        check_production_config(app)
    if app.config.get("TRUSTED_PROXIES"):
        # Behind N reverse proxies: the client address, scheme and host are the ones the
        # proxies saw (X-Forwarded-*); without it, every user shares the proxy's address.
        from werkzeug.middleware.proxy_fix import ProxyFix
        hops = int(app.config["TRUSTED_PROXIES"])
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    Path(app.config["UPLOAD_DIR"]).mkdir(parents=True, exist_ok=True)

    db.init_app(app)
    # include_object: indexes declared for one database only (models/base.dialect_index) are
    # not expected on the others when autogenerate compares models and migrations.
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"),
                     render_as_batch=True, compare_type=True,
                     include_object=only_this_dialect(
                         make_url(app.config["SQLALCHEMY_DATABASE_URI"]).get_backend_name()))
    login_manager.init_app(app)
    mail.init_app(app)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale, timezone_selector=_select_time_zone)
    from . import template_i18n
    template_i18n.init_app(app)

    from . import formats, models  # noqa: F401  (models: registers the tables on db.metadata)
    from .admin import init_admin
    from .auth import bp as auth_bp
    from .cli import register_cli

    # Settings are read once per request; a test's app context outlives its requests. First of
    # the request hooks, so the login checks (auth.guards) read this request's values.
    from .services.settings import forget_cached
    app.before_request(forget_cached)
    app.register_blueprint(auth_bp)
    from .feed_views import bp as feed_bp
    app.register_blueprint(feed_bp)
    from .portal import bp as portal_bp
    app.register_blueprint(portal_bp)
    init_admin(app)
    register_cli(app)
    from .outbox_cli import register_outbox_cli
    register_outbox_cli(app)
    from .signing_cli import register_signing_cli
    register_signing_cli(app)
    formats.init_app(app)
    _register_session_rules()
    init_security_headers(app)
    register_error_pages(app)

    @app.context_processor
    def inject_locale():
        from flask_babel import get_locale
        return {"current_locale": str(get_locale() or "en")}

    @app.route("/")
    def index():
        return redirect(url_for("admin.index"))

    return app


def _register_session_rules() -> None:
    """Rules checked at every flush of the app's session, once per process (db is shared)."""
    from .services import figure_hooks
    from .services.companies import refuse_rows_on_merged_companies
    if not event.contains(db.session, "before_flush", refuse_rows_on_merged_companies):
        event.listen(db.session, "before_flush", refuse_rows_on_merged_companies)
    figure_hooks.install()


def _ensure_secret_key(app: Flask) -> None:
    if app.config.get("SECRET_KEY"):
        return
    if app.config["APP_ENV"] == ProductionConfig.APP_ENV:
        raise RuntimeError("SECRET_KEY must be set in the environment in production.")
    app.config["SECRET_KEY"] = development_secret_key()


def _select_locale() -> str | None:
    """A ?lang= on this request (remembered in the session), else the user's saved language,
    else the session's, else the browser's preference."""
    from flask import current_app, has_request_context, session
    from flask_login import current_user
    if not has_request_context():
        return None  # a PDF or a mail built from the command line: the default locale
    languages = current_app.config["LANGUAGES"]
    if request.args.get("lang") in languages:
        session["lang"] = request.args["lang"]
        return request.args["lang"]
    saved = getattr(current_user, "language", None) if current_user else None
    if saved in languages:
        return saved
    return session.get("lang") or request.accept_languages.best_match(languages)


def _select_time_zone() -> str | None:
    """The user's saved zone, else the organisation's (Settings); dates are stored in UTC."""
    from flask import has_request_context
    from flask_login import current_user
    from .services.settings import get_setting
    saved = getattr(current_user, "time_zone", None) if has_request_context() else None
    return saved or get_setting("time_zone") or "UTC"


# How long a SQLite writer waits for another one's lock before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_MMAP_BYTES = 2**31


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    import sqlite3
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        # SQLite ignores foreign keys unless every connection turns them on.
        cursor.execute("PRAGMA foreign_keys=ON")
        # Several server processes share the file: writers queue for the lock instead of
        # failing, and with the write-ahead log readers never wait for a writer (the mode is
        # stored in the file; an in-memory database answers "memory" and stays as it is).
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Reads through the operating system's page cache, shared by every connection and
        # process, instead of each connection's own 2 MB cache: a search reading its 4,000
        # matches' rows at 100,000 companies took 6.7 ms with the small cache, 2.5 ms mapped,
        # the same per row as at 10,000. SQLite caps the size at what it was built for (2 GB).
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()
        # SQLite's lower() folds ASCII only; the company search (services/search.py) compares
        # Unicode case-insensitively, as PostgreSQL's ILIKE does.
        dbapi_connection.create_function("unicode_lower", 1, _unicode_lower, deterministic=True)
        # The triggers keeping the search's word index call it (models/search_words.py).
        from .models.search_words import company_words_json
        dbapi_connection.create_function("company_words_json", -1,
                                         company_words_json, deterministic=True)


@event.listens_for(Engine, "engine_connect")
def _batched_inserts(connection) -> None:
    # PostgreSQL: a bulk INSERT without RETURNING goes as multi-row statements (SQLAlchemy's
    # "insertmanyvalues", 1,000 rows each) instead of psycopg's one statement per row, so the
    # statement-level triggers (running tallies, data-quality flags) run once per batch: an
    # import's 10,000 addresses took 24 s with one trigger run per address.
    if connection.dialect.name == "postgresql":
        connection.dialect.use_insertmanyvalues_wo_returning = True


def _unicode_lower(value):
    return value.lower() if isinstance(value, str) else value
