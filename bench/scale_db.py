"""The big database the scale benchmark measures: built once per size, then reused."""
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "instance" / "bench"
PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PASSWORD = "bench-password"
EMAIL = "bench@example.com"


def database_url(kind: str, companies: int, postgres: str, suffix: str = "") -> str:
    """Where the database of `companies` companies lives (created empty when missing).

    `suffix` names a copy (`companies-N<suffix>.sqlite3`, `bench_companies_N<suffix>`), so a
    branch with its own migrations measures without upgrading the shared database.
    """
    if kind == "sqlite":
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA_DIR / f'companies-{companies}{suffix}.sqlite3'}"
    name = f"bench_companies_{companies}{suffix}"
    admin = create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar():
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(postgres).set(database=name).render_as_string(hide_password=False)


def build_app(url: str, stock_views):
    """The application on `url` with the stock Flask-Admin views added beside ours."""
    from admin_app import create_app
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "WTF_CSRF_ENABLED": False, "UPLOAD_DIR": str(DATA_DIR / "uploads"),
                      "PASSWORD_HASH_FAST": True, "RQ_REDIS_URL": None,
                      # Per database: copies measured at once must not share Redis caches.
                      "RATELIMIT_PREFIX": "bench-scale:" + url.rsplit("/", 1)[-1]})
    admin = app.extensions["admin"][0]
    for view in stock_views():
        admin.add_view(view)
    return app


def ensure_loaded(app, companies: int, say) -> int:
    """Schema, `companies` demo companies and the whale, unless already there; the whale's id."""
    from flask_migrate import upgrade

    from admin_app.extensions import db
    from admin_app.models import Company
    from admin_app.services.db_maintenance import refresh_statistics
    from admin_app.services.demo import seed_demo
    from admin_app.services.demo_scale import WHALE_NAME
    from admin_app.services.users import create_user, find_user_by_email
    with app.app_context():
        upgrade()
        whale = db.session.scalar(select(Company.id).where(Company.name == WHALE_NAME))
        if whale is None:
            if db.session.scalar(select(func.count()).select_from(Company)):
                raise SystemExit("The bench database holds other data: remove it first.")
            say(f"building the database: {companies:,} companies and the whale…")
            from admin_app.seed_progress import seed_bars
            with seed_bars(companies + 1, unit_scale=True) as (progress, frozen):
                whale = seed_demo(companies=companies, whale=True, progress=progress,
                                  freeze_progress=frozen)["whale_id"]
            db.session.commit()
            refresh_statistics()
        if find_user_by_email(EMAIL) is None:
            create_user(EMAIL, PASSWORD, role="admin")
            db.session.commit()
        return whale
