"""Production start-up refuses a weak configuration, saying what to set: a short SECRET_KEY,
debug mode, an SQLite file on a network share."""
import pytest

from admin_app import create_app
from admin_app.auth.deployment import WeakConfiguration, sqlite_network_location
from tests.test_config import fresh_config  # noqa: F401  (the fixture)

STRONG_KEY = "k" * 32


def test_a_short_secret_key_is_refused_with_what_to_set(fresh_config):
    cfg = fresh_config(APP_ENV="production", SECRET_KEY="x")
    with pytest.raises(WeakConfiguration) as refused:
        create_app(cfg.ProductionConfig)
    message = str(refused.value)
    assert "SECRET_KEY has 1 bytes" in message and "at least 32" in message
    assert "secrets.token_hex(32)" in message


def test_a_key_of_31_bytes_is_refused_and_32_accepted(fresh_config):
    with pytest.raises(WeakConfiguration):
        create_app(fresh_config(APP_ENV="production", SECRET_KEY="k" * 31).ProductionConfig)
    assert create_app(fresh_config(APP_ENV="production", SECRET_KEY=STRONG_KEY).ProductionConfig)


def test_debug_mode_is_refused_in_production(fresh_config, monkeypatch):
    cfg = fresh_config(APP_ENV="production", SECRET_KEY=STRONG_KEY)
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(WeakConfiguration, match="FLASK_DEBUG"):
        create_app(cfg.ProductionConfig)


def test_sqlite_on_a_windows_share_is_refused(fresh_config):
    cfg = fresh_config(APP_ENV="production", SECRET_KEY=STRONG_KEY,
                       DATABASE_URL="sqlite://///fileserver/share/backoffice.sqlite3")
    with pytest.raises(WeakConfiguration) as refused:
        create_app(cfg.ProductionConfig)
    assert "network file system" in str(refused.value) and "DATABASE_URL" in str(refused.value)


def test_every_problem_is_listed_at_once(fresh_config, monkeypatch):
    cfg = fresh_config(APP_ENV="production", SECRET_KEY="short",
                       DATABASE_URL="sqlite:///\\\\fileserver\\share\\db.sqlite3")
    monkeypatch.setenv("FLASK_DEBUG", "1")
    with pytest.raises(WeakConfiguration) as refused:
        create_app(cfg.ProductionConfig)
    assert str(refused.value).count("\n- ") == 3


def test_development_starts_with_the_same_weaknesses(fresh_config, monkeypatch):
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert create_app(fresh_config(SECRET_KEY="x").DevelopmentConfig).debug


@pytest.fixture
def mounts(tmp_path):
    """A mount table in /proc/mounts' format: a local root, an NFS export, a local disk in it."""
    table = tmp_path / "mounts"
    table.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        "fileserver:/export /srv/data nfs4 rw,relatime,vers=4.2 0 0\n"
        "/dev/sdb1 /srv/data/local ext4 rw 0 0\n"
        "//nas/office /mnt/office\\040share cifs rw 0 0\n")
    return str(table)


@pytest.mark.parametrize("database, network", [
    ("/srv/data/app/backoffice.sqlite3", "nfs4 mount at /srv/data"),
    ("/mnt/office share/db.sqlite3", "cifs mount at /mnt/office share"),
    ("/srv/data/local/db.sqlite3", None),   # a local disk mounted inside the share
    ("/var/lib/backoffice/db.sqlite3", None),
    ("/srv/database.sqlite3", None),        # /srv/data is not a prefix of /srv/database...
])
def test_sqlite_under_a_network_mount_is_recognised(mounts, database, network):
    assert sqlite_network_location(f"sqlite:///{database}", mounts) == network


def test_postgresql_and_memory_databases_are_never_network_files(mounts):
    assert sqlite_network_location("postgresql+psycopg://u@db/x", mounts) is None
    assert sqlite_network_location("sqlite://", mounts) is None
