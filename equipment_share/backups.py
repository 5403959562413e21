"""Backups of the whole database, and restoring one into an empty database.

SQLite: the online backup API (a consistent copy while the app keeps running). PostgreSQL:
pg_dump's custom format, restored with pg_restore (both must match the server's major
version); the password goes through PGPASSWORD, not the command line.
"""

import os
import sqlite3
import subprocess  # nosec B404  # pg_dump/pg_restore, no shell
from pathlib import Path

from sqlalchemy import inspect
from sqlalchemy.engine import URL, Engine


class BackupError(Exception):
    pass


def _sqlite_path(url: URL) -> str:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return url.database


def _libpq(url: URL) -> tuple[str, dict]:
    """A libpq connection string without the password, and the environment carrying it."""
    environment = os.environ.copy()
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict) -> None:
    try:
        # a fixed program and an argument list, no shell
        result = subprocess.run(  # nosec B603
            command, env=environment, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(
            f"{command[0]} is not installed (apt-get install postgresql-client)"
        ) from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def backup(engine: Engine, path: Path) -> None:
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(_sqlite_path(url))
        target = sqlite3.connect(path)
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        connection, environment = _libpq(url)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", connection], environment
        )
    else:
        raise BackupError(f"no backup for {url.get_backend_name()}")


def restore(engine: Engine, path: Path) -> None:
    """Into an empty database only: restoring over live data is a decision for a person, who
    can make a fresh database (or delete the SQLite file) first."""
    if not path.is_file():
        raise BackupError(f"{path} is not a file")
    if inspect(engine).get_table_names():
        raise BackupError("the database is not empty: restore into a new, empty database")
    engine.dispose()
    url = engine.url
    if url.get_backend_name() == "sqlite":
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_path(url))
        try:
            with target:
                source.backup(target)
        finally:
            target.close()
            source.close()
    elif url.get_backend_name() == "postgresql":
        connection, environment = _libpq(url)
        _run(
            ["pg_restore", "--no-owner", "--exit-on-error", f"--dbname={connection}", str(path)],
            environment,
        )
    else:
        raise BackupError(f"no restore for {url.get_backend_name()}")
