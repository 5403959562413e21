"""Settings in layers: defaults < instance/config.py < environment < the test dict; a secret key
made once per instance; SQLite connections set up for many readers and one writer."""

import os
import re
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from equipment_share import PROJECT_ROOT, create_app
from equipment_share.config import ENVIRONMENT_SETTINGS, ConfigError, engine_options
from equipment_share.database import SQLITE_BUSY_TIMEOUT_MS
from equipment_share.extensions import db

ENVIRONMENT = tuple(ENVIRONMENT_SETTINGS)


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


# one case per documented setting: the environment variable as an operator writes it, and the
# typed value the app then uses
ENVIRONMENT_CASES = {
    "DATABASE_URL": ("sqlite:////srv/equipment_share/data.sqlite3",) * 2,
    "SECRET_KEY": ("s3cret from the environment",) * 2,
    "TIMEZONE": ("Asia/Urumqi", "Asia/Urumqi"),
    "UPLOAD_FOLDER": ("/srv/equipment_share/uploads",) * 2,
    "MAX_PHOTO_BYTES": ("2097152", 2097152),
    "MAX_REQUEST_BYTES": ("524288", 524288),
    "USAGE_AUTO_CONFIRM_DAYS": ("14", 14),
    "MAIL_SERVER": ("smtp.lvliang.example",) * 2,
    "MAIL_PORT": ("587", 587),
    "MAIL_USE_TLS": ("true", True),
    "MAIL_USERNAME": ("notify@lvliang.example",) * 2,
    "MAIL_PASSWORD": ("mail password",) * 2,
    "MAIL_SENDER": ("仪器共享 <notify@lvliang.example>",) * 2,
    "SEND_AFTER_COMMIT": ("off", False),
    "KEEP_TOKEN_CHECKS": ("no", False),
    "RATELIMIT_STORAGE_URI": ("redis://127.0.0.1:6379",) * 2,
    "SESSION_IDLE_MINUTES": ("30", 30),
    "TRUSTED_PROXIES": ("1", 1),
    "SERVED_OVER_HTTPS": ("yes", True),
    "SIGN_IN_RATE_LIMIT_PER_ADDRESS": ("100 per hour",) * 2,
    "SIGN_IN_RATE_LIMIT_PER_ACCOUNT": ("5 per minute",) * 2,
    "SIGN_IN_LOCK_AFTER": ("5", 5),
    "API_RATE_LIMIT_PER_TOKEN": ("600 per minute; 10000 per day",) * 2,
    "API_FAILED_TOKEN_LIMIT_PER_ADDRESS": ("10 per minute",) * 2,
    "LOG_FORMAT": ("json", "json"),
    "LOG_LEVEL": ("warning", "WARNING"),
}


def test_every_documented_setting_has_a_case():
    assert set(ENVIRONMENT_CASES) == set(ENVIRONMENT_SETTINGS)


def test_the_readme_documents_exactly_the_settings_read_from_the_environment():
    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    table_rows = [line for line in section.splitlines() if line.startswith("| `")]
    documented = {
        name for row in table_rows for name in re.findall(r"`([A-Z_]+)`", row.split("|")[1])
    }
    assert documented == set(ENVIRONMENT_SETTINGS)


def test_every_setting_the_readme_names_anywhere_is_in_its_table(instance):
    """A setting described in prose elsewhere (sign-in protection, say) is read from the
    environment and listed with the others too."""
    settings = create_app().config
    readme = (PROJECT_ROOT / "README.md").read_text()
    named = {name for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", readme) if name in settings}
    assert named <= set(ENVIRONMENT_SETTINGS)


@pytest.mark.parametrize("name", ENVIRONMENT_CASES)
def test_each_documented_setting_is_read_from_the_environment(instance, monkeypatch, name):
    variable, expected = ENVIRONMENT_CASES[name]
    monkeypatch.setenv(name, variable)

    assert create_app().config[name] == expected


@pytest.mark.parametrize(
    ("variable", "expected"),
    [("1", True), ("yes", True), ("ON", True), ("0", False), ("false", False), ("off", False)],
)
def test_switches_read_the_usual_words(instance, monkeypatch, variable, expected):
    monkeypatch.setenv("MAIL_USE_TLS", variable)

    assert create_app().config["MAIL_USE_TLS"] is expected


@pytest.mark.parametrize(
    ("name", "variable"),
    [
        ("TIMEZONE", "Mars/Olympus_Mons"),
        ("MAX_PHOTO_BYTES", "5MB"),
        ("MAX_PHOTO_BYTES", "-1"),
        ("USAGE_AUTO_CONFIRM_DAYS", "seven"),
        ("USAGE_AUTO_CONFIRM_DAYS", "７"),
        ("MAIL_PORT", "70000"),
        ("MAIL_PORT", "smtp"),
        ("MAIL_USE_TLS", "maybe"),
        ("SIGN_IN_RATE_LIMIT_PER_ACCOUNT", "lots"),
        ("SIGN_IN_LOCK_AFTER", "ten"),
    ],
)
def test_a_setting_that_cannot_be_read_stops_the_app_naming_it(
    instance, monkeypatch, name, variable
):
    monkeypatch.setenv(name, variable)

    with pytest.raises(ConfigError, match=name):
        create_app()


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


def statements_on_checkout(engine) -> list[str]:
    """What SQLite runs when a pooled connection is checked out again (the driver's trace: a
    ping does not go through SQLAlchemy's statement events)."""
    seen: list[str] = []
    with engine.connect() as connection:
        driver_connection = connection.connection.dbapi_connection
    driver_connection.set_trace_callback(seen.append)
    try:
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection is driver_connection
    finally:
        driver_connection.set_trace_callback(None)
    return [statement for statement in seen if statement != "ROLLBACK"]  # the pool's reset


def test_sqlite_connections_are_not_pinged_before_use(sqlite_app):
    """No server can drop a SQLite file's connection: a ping would be a statement a request."""
    assert statements_on_checkout(db.engine) == []


def test_the_pool_hands_out_the_connection_used_last():
    assert engine_options("sqlite:////tmp/x.sqlite3", {}) == {"pool_use_lifo": True}
    assert engine_options("sqlite://", {}) == {}
    assert engine_options("postgresql+psycopg://db/app", {"pool_size": 5}) == {
        "pool_use_lifo": True,
        "pool_size": 5,
    }
    assert engine_options("postgresql+psycopg://db/app", {"pool_use_lifo": False}) == {
        "pool_use_lifo": False
    }
