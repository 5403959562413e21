"""Default settings. Secrets and local choices come from instance/config.py or the environment."""

import os
import secrets
from collections.abc import Callable
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import limits
from sqlalchemy.engine import make_url

DEFAULTS = {
    "TIMEZONE": "Asia/Shanghai",
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": {"zh_CN": "简体中文", "en": "English"},
    # no pool_pre_ping: a connection the server closed is replaced without a round trip
    # (database._replace_a_dead_server_connection)
    "SQLALCHEMY_ENGINE_OPTIONS": {},
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "MAX_PHOTO_BYTES": 5 * 1024 * 1024,
    # any other request body (equipment_share/body_limits.py): what a worker parses, it holds
    "MAX_REQUEST_BYTES": 256 * 1024,
    "WTF_CSRF_TIME_LIMIT": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    # flask-smorest: the OpenAPI document lives inside the API's base path.
    "API_TITLE": "equipment_share API",
    "API_VERSION": "v1",
    "OPENAPI_VERSION": "3.1.0",
    "OPENAPI_URL_PREFIX": "/api/v1",
    "OPENAPI_JSON_PATH": "openapi.json",
    # a usage record the SME neither confirms nor disputes is confirmed after this many days
    # (flask auto-confirm, run daily)
    "USAGE_AUTO_CONFIRM_DAYS": 7,
    # after a request that queued mail, send the outbox in a background thread (to the log
    # without MAIL_SERVER); it also writes a booking's in-app notices. Off where only the mail
    # timer (flask send-mail, every minute) should send, so requests never start a thread.
    "SEND_AFTER_COMMIT": True,
    # PostgreSQL: keep a token check's answer on a connection until the database notifies a
    # change to what it reads (unchanged_reads.py). Off behind a pooler in transaction mode.
    "KEEP_TOKEN_CHECKS": True,
    # sign-in protection (equipment_share/security.py)
    "RATELIMIT_ENABLED": True,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": True,
    # the store (Redis) unreachable: count in the worker's memory rather than fail requests
    "RATELIMIT_SWALLOW_ERRORS": True,
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    "SIGN_IN_RATE_LIMIT_PER_ADDRESS": "30 per minute",
    "SIGN_IN_RATE_LIMIT_PER_ACCOUNT": "10 per minute",
    "SIGN_IN_LOCK_AFTER": 10,
    # (bandit reads "TOKEN" in these names as a password: they are rate limits)
    "API_RATE_LIMIT_PER_TOKEN": "6000 per minute",  # nosec B105
    "API_FAILED_TOKEN_LIMIT_PER_ADDRESS": "30 per minute",  # nosec B105
    "SESSION_IDLE_MINUTES": 60,
    # how many reverse proxies (nginx) stand in front of the app and set X-Forwarded-*
    "TRUSTED_PROXIES": 0,
    # behind HTTPS (nginx with TLS): secure cookies and Strict-Transport-Security
    "SERVED_OVER_HTTPS": False,
    # logs on stderr: "text" lines, or "json" lines for a log collector
    "LOG_FORMAT": "text",
    "LOG_LEVEL": "INFO",
}


class ConfigError(ValueError):
    """A setting from the environment that cannot be used; the app refuses to start."""


def text(value: str) -> str:
    return value


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ValueError("an IANA time zone such as Asia/Shanghai") from error
    return value


def count(value: str) -> int:
    if not value.isascii() or not value.isdigit():
        raise ValueError("a whole number, 0 or more")
    return int(value)


def port(value: str) -> int:
    number = count(value)
    if not 1 <= number <= 65535:
        raise ValueError("a port number from 1 to 65535")
    return number


def rate_limit(value: str) -> str:
    """A Flask-Limiter rate such as "30 per minute" (several separated by ";")."""
    try:
        limits.parse_many(value)
    except ValueError as error:
        raise ValueError('a rate such as "30 per minute"') from error
    return value


def switch(value: str) -> bool:
    word = value.lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("one of true/false, yes/no, on/off, 1/0")


def log_format(value: str) -> str:
    if value not in ("text", "json"):
        raise ValueError("text or json")
    return value


def log_level(value: str) -> str:
    if value.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ValueError("DEBUG, INFO, WARNING or ERROR")
    return value.upper()


# Every setting the README documents, and how its environment variable is read. An empty
# variable counts as unset.
ENVIRONMENT_SETTINGS: dict[str, Callable[[str], object]] = {
    "DATABASE_URL": text,
    "SECRET_KEY": text,
    "TIMEZONE": time_zone,
    "UPLOAD_FOLDER": text,
    "MAX_PHOTO_BYTES": count,
    "MAX_REQUEST_BYTES": count,
    "USAGE_AUTO_CONFIRM_DAYS": count,
    "MAIL_SERVER": text,
    "MAIL_PORT": port,
    "MAIL_USE_TLS": switch,
    "MAIL_USERNAME": text,
    "MAIL_PASSWORD": text,
    "MAIL_SENDER": text,
    "SEND_AFTER_COMMIT": switch,
    "KEEP_TOKEN_CHECKS": switch,
    "RATELIMIT_STORAGE_URI": text,
    "SESSION_IDLE_MINUTES": count,
    "TRUSTED_PROXIES": count,
    "SERVED_OVER_HTTPS": switch,
    "SIGN_IN_RATE_LIMIT_PER_ADDRESS": rate_limit,
    "SIGN_IN_RATE_LIMIT_PER_ACCOUNT": rate_limit,
    "SIGN_IN_LOCK_AFTER": count,
    "API_RATE_LIMIT_PER_TOKEN": rate_limit,
    "API_FAILED_TOKEN_LIMIT_PER_ADDRESS": rate_limit,
    "LOG_FORMAT": log_format,
    "LOG_LEVEL": log_level,
}


def engine_options(database_url: str, options: dict) -> dict:
    """SQLAlchemy's engine options for the database. The pool hands out the connection used
    last: the one whose kept answers (unchanged_reads.py) are most likely current, where a
    token's last use, noted once a minute on a second connection, would otherwise make the
    two take turns (an in-memory SQLite database has one connection)."""
    in_memory = database_url.startswith("sqlite") and make_url(database_url).database in (
        None,
        "",
        ":memory:",
    )
    return options if in_memory else {"pool_use_lifo": True, **options}


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'equipment_share.sqlite3'}"


def load_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, making one on first run so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def environment_settings(environ=os.environ) -> dict:
    """The documented settings given in the environment, typed; ConfigError names a bad one."""
    settings = {}
    for name, parse in ENVIRONMENT_SETTINGS.items():
        value = environ.get(name, "")
        if not value.strip():
            continue
        try:
            settings[name] = parse(value)
        except ValueError as error:
            raise ConfigError(f"{name}={value!r} in the environment: expected {error}") from None
    return settings
