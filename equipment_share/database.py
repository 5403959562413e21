"""The database: engine settings per backend, migrations, and one transaction per request."""

import sqlite3
from pathlib import Path

from flask import Flask, Response
from sqlalchemy import event
from sqlalchemy.engine import Engine

from equipment_share.extensions import db, migrate

MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000


@event.listens_for(Engine, "connect")
def _configure_sqlite_connection(dbapi_connection, connection_record) -> None:
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    # Let SQLAlchemy emit BEGIN itself (pysqlite's own transaction handling defers it
    # unpredictably), so a transaction that writes first takes the write lock first.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN")


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY, render_as_batch=True)
    app.after_request(_commit_successful_request)


def _commit_successful_request(response: Response) -> Response:
    """One transaction per request: kept when the request succeeded, dropped otherwise."""
    if response.status_code < 400:
        db.session.commit()
    else:
        db.session.rollback()
    return response


def upgrade_schema() -> None:
    """Create or upgrade the schema to the newest migration; safe to run again."""
    from flask_migrate import upgrade

    upgrade(directory=MIGRATIONS_DIRECTORY)
