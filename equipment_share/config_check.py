"""What `flask check-config` reports: settings that are missing or unsafe for production."""

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url

WEAK_SECRETS = {"", "dev", "test", "secret", "changeme", "change-me", "secret-key", "default"}
MIN_SECRET_LENGTH = 32
LONGEST_SENSIBLE_IDLE_MINUTES = 8 * 60


@dataclass(frozen=True)
class Problem:
    level: str  # "error": unsafe, fix before going live; "warning": worth a look
    setting: str
    message: str


def config_problems(config) -> list[Problem]:
    problems = []

    def error(setting: str, message: str) -> None:
        problems.append(Problem("error", setting, message))

    def warning(setting: str, message: str) -> None:
        problems.append(Problem("warning", setting, message))

    secret = str(config.get("SECRET_KEY") or "")
    if secret.lower() in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH:
        error("SECRET_KEY", f"missing, a known default or shorter than {MIN_SECRET_LENGTH}")
    if config.get("DEBUG"):
        error("DEBUG", "debug mode is on: it shows code and lets a visitor run Python")
    if config.get("TESTING"):
        error("TESTING", "testing mode is on")
    if config.get("WTF_CSRF_ENABLED") is False:
        error("WTF_CSRF_ENABLED", "CSRF protection is off")
    if make_url(config["DATABASE_URL"]).get_backend_name() == "sqlite":
        error("DATABASE_URL", "SQLite: production runs on PostgreSQL (see docs/deployment.md)")
    behind_proxy = int(config.get("TRUSTED_PROXIES") or 0) > 0
    if behind_proxy and not config.get("SERVED_OVER_HTTPS"):
        error(
            "SERVED_OVER_HTTPS",
            "behind a proxy but cookies are not Secure and no HSTS: set it when nginx serves HTTPS",
        )
    elif not config.get("SERVED_OVER_HTTPS"):
        warning("SERVED_OVER_HTTPS", "off: sessions travel in clear unless served over HTTPS")
    if not config.get("RATELIMIT_ENABLED", True):
        error("RATELIMIT_ENABLED", "rate limits are off: sign-in guessing is not slowed")
    elif str(config.get("RATELIMIT_STORAGE_URI", "")).startswith("memory://"):
        warning(
            "RATELIMIT_STORAGE_URI",
            "memory://: each worker counts alone; use redis://127.0.0.1:6379",
        )
    if int(config.get("SESSION_IDLE_MINUTES") or 0) > LONGEST_SENSIBLE_IDLE_MINUTES:
        warning("SESSION_IDLE_MINUTES", "sessions stay open for more than a working day")
    if not config.get("MAIL_SERVER"):
        warning("MAIL_SERVER", "unset: notifications are only written to the log")
    upload_folder = Path(config["UPLOAD_FOLDER"])
    existing = next((p for p in (upload_folder, *upload_folder.parents) if p.exists()), None)
    if existing is None or not existing.is_dir() or not os.access(existing, os.W_OK):
        error("UPLOAD_FOLDER", f"{upload_folder} cannot be written")
    return problems
