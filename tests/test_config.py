"""Settings in layers: defaults < instance/config.py < environment < the test dict; a secret key
made once per instance; SQLite connections set up for many readers and one writer."""

import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from equipment_share import create_app
from equipment_share.database import SQLITE_BUSY_TIMEOUT_MS
from equipment_share.extensions import db

ENVIRONMENT = ("DATABASE_URL", "SECRET_KEY", "TIMEZONE")


@pytest.fixture
def instance(tmp_path, monkeypatch) -> Path:
    """An empty instance folder, and an environment without the app's settings."""
    path = tmp_path / "instance"
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(path))
    for name in ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    for name in list(os.environ):
        if name.startswith("FLASK_"):
            monkeypatch.delenv(name)
    return path


def write_instance_config(instance: Path, **settings) -> None:
    instance.mkdir(parents=True, exist_ok=True)
    lines = [f"{name} = {value!r}" for name, value in settings.items()]
    (instance / "config.py").write_text("\n".join(lines) + "\n")


def test_defaults(instance):
    app = create_app()

    assert Path(app.instance_path) == instance
    assert app.config["TIMEZONE"] == "Asia/Shanghai"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Shanghai"
    assert app.config["BABEL_DEFAULT_LOCALE"] == "zh_CN"
    assert set(app.config["LANGUAGES"]) == {"zh_CN", "en"}
    assert app.config["MAX_PHOTO_BYTES"] == 5 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > app.config["MAX_PHOTO_BYTES"]
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["UPLOAD_FOLDER"] == str(instance / "uploads")
    assert app.config.get("WTF_CSRF_ENABLED", True) is True
    assert not app.testing


def test_sqlite_database_lives_in_the_instance_folder(instance):
    app = create_app()

    expected = f"sqlite:///{instance / 'equipment_share.sqlite3'}"
    assert app.config["DATABASE_URL"] == expected
    assert app.config["SQLALCHEMY_DATABASE_URI"] == expected
    with app.app_context():
        db.session.execute(text("SELECT 1"))
        assert Path(db.engine.url.database) == instance / "equipment_share.sqlite3"
        db.engine.dispose()
    assert (instance / "equipment_share.sqlite3").exists()


def test_instance_config_overrides_the_defaults(instance, tmp_path):
    database = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    write_instance_config(
        instance,
        TIMEZONE="Asia/Urumqi",
        DATABASE_URL=database,
        SECRET_KEY="from-the-instance",
        MAX_PHOTO_BYTES=1024,
    )

    app = create_app()

    assert app.config["TIMEZONE"] == "Asia/Urumqi"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Asia/Urumqi"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database
    assert app.config["SECRET_KEY"] == "from-the-instance"
    assert app.config["MAX_PHOTO_BYTES"] == 1024
    assert not (instance / "secret_key").exists()


def test_environment_overrides_the_instance_config(instance, tmp_path, monkeypatch):
    write_instance_config(
        instance,
        TIMEZONE="Asia/Urumqi",
        DATABASE_URL=f"sqlite:///{tmp_path / 'instance.sqlite3'}",
        SECRET_KEY="from-the-instance",
    )
    database = f"sqlite:///{tmp_path / 'environment.sqlite3'}"
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("SECRET_KEY", "from-the-environment")

    app = create_app()

    assert app.config["TIMEZONE"] == "Europe/Berlin"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "Europe/Berlin"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == database
    assert app.config["SECRET_KEY"] == "from-the-environment"


def test_empty_environment_variables_are_ignored(instance, monkeypatch):
    write_instance_config(instance, TIMEZONE="Asia/Urumqi")
    monkeypatch.setenv("TIMEZONE", "")

    assert create_app().config["TIMEZONE"] == "Asia/Urumqi"


def test_test_config_overrides_everything(instance, monkeypatch):
    monkeypatch.setenv("TIMEZONE", "Europe/Berlin")

    app = create_app({"TIMEZONE": "UTC", "SECRET_KEY": "test"})

    assert app.config["TIMEZONE"] == "UTC"
    assert app.config["BABEL_DEFAULT_TIMEZONE"] == "UTC"


def test_secret_key_is_made_once_and_reused(instance):
    first = create_app().config["SECRET_KEY"]

    key_file = instance / "secret_key"
    assert key_file.read_text().strip() == first
    assert len(first) >= 64
    assert int(first, 16)  # hex
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert create_app().config["SECRET_KEY"] == first


def test_each_instance_gets_its_own_secret_key(tmp_path, monkeypatch, instance):
    first = create_app().config["SECRET_KEY"]
    monkeypatch.setenv("EQUIPMENT_SHARE_INSTANCE", str(tmp_path / "other"))

    assert create_app().config["SECRET_KEY"] != first


@pytest.fixture
def sqlite_app(database_url, instance):  # read DATABASE_URL before `instance` clears it
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite connection settings; DATABASE_URL names another database")
    app = create_app({"DATABASE_URL": database_url, "SECRET_KEY": "test"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(sqlite_app):
    # two connections at once: every new connection is set up, not only the first
    with db.engine.connect() as first, db.engine.connect() as second:
        for connection in (first, second):
            assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert (
                connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
            )
    assert SQLITE_BUSY_TIMEOUT_MS >= 5000


def test_sqlite_enforces_foreign_keys(sqlite_app):
    from sqlalchemy.exc import IntegrityError

    db.create_all()
    with pytest.raises(IntegrityError), db.engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO idle_windows (equipment_id, kind, weekdays, created_at) "
            "VALUES (424242, 'weekly', '', '2026-01-01 00:00:00')"
        )
