"""Default settings. Secrets and local choices come from instance/config.py or the environment."""

import os
import secrets
from pathlib import Path

DEFAULTS = {
    "TIMEZONE": "Asia/Shanghai",
    "BABEL_DEFAULT_LOCALE": "zh_CN",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
    "LANGUAGES": {"zh_CN": "简体中文", "en": "English"},
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    "MAX_CONTENT_LENGTH": 8 * 1024 * 1024,
    "MAX_PHOTO_BYTES": 5 * 1024 * 1024,
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
}

ENVIRONMENT_KEYS = ("DATABASE_URL", "SECRET_KEY", "TIMEZONE")


def sqlite_url(instance_path: Path) -> str:
    return f"sqlite:///{instance_path / 'equipment_share.sqlite3'}"


def load_secret_key(instance_path: Path) -> str:
    """Read the instance's secret key, making one on first run so sessions survive restarts."""
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def environment_settings() -> dict:
    return {key: os.environ[key] for key in ENVIRONMENT_KEYS if os.environ.get(key)}
