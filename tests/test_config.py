"""Configuration comes from the environment; production refuses to start without a key."""
import importlib

import pytest

import config as config_module
from admin_app import create_app


@pytest.fixture
def fresh_config(monkeypatch, tmp_path):
    """The config module re-read with a temporary instance folder and the given environment."""
    def load(**env):
        monkeypatch.setenv("INSTANCE_PATH", str(tmp_path))
        for key in ("DATABASE_URL", "SECRET_KEY", "APP_ENV"):
            monkeypatch.delenv(key, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        return importlib.reload(config_module)
    yield load
    monkeypatch.undo()
    importlib.reload(config_module)


def test_production_refuses_to_start_without_a_secret_key(fresh_config):
    cfg = fresh_config(APP_ENV="production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app(cfg.ProductionConfig)


def test_production_uses_the_secret_key_from_the_environment(fresh_config):
    key = "from-the-env-" + "k" * 32
    cfg = fresh_config(APP_ENV="production", SECRET_KEY=key)
    app = create_app(cfg.ProductionConfig)
    assert app.config["SECRET_KEY"] == key
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_generates_a_key_once_into_the_instance_folder(fresh_config, tmp_path):
    cfg = fresh_config()
    first = create_app(cfg.DevelopmentConfig).config["SECRET_KEY"]
    second = create_app(cfg.DevelopmentConfig).config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_sqlite_file_under_instance_is_the_default_database(fresh_config, tmp_path):
    cfg = fresh_config()
    assert cfg.DevelopmentConfig.SQLALCHEMY_DATABASE_URI == f"sqlite:///{tmp_path / 'backoffice.sqlite3'}"


def test_database_url_and_mail_settings_come_from_the_environment(fresh_config):
    cfg = fresh_config(DATABASE_URL="postgresql+psycopg://u@db/x", MAIL_SERVER="smtp.example",
                       MAIL_PORT="2525", MAIL_USE_TLS="true")
    assert cfg.DevelopmentConfig.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db/x"
    assert cfg.DevelopmentConfig.MAIL_SERVER == "smtp.example"
    assert cfg.DevelopmentConfig.MAIL_PORT == 2525 and cfg.DevelopmentConfig.MAIL_USE_TLS is True
