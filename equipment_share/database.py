"""The database: engine settings per backend, migrations, and one transaction per request."""

import sqlite3
from pathlib import Path

from flask import Flask, Response, current_app
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from equipment_share.extensions import db, migrate
from equipment_share.services.notifications import send_after_commit

MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_BEGIN_OPTION = "sqlite_begin_mode"


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
        mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


def lock_equipment_for_booking(equipment_id: int) -> None:
    """Serialise booking writes for one instrument before its availability is checked.

    SQLite: end the request's read transaction and start one that holds the database's write
    lock from its first statement (BEGIN IMMEDIATE), so check-then-insert cannot interleave
    with another process. PostgreSQL: lock the instrument's row; the exclusion constraint on
    bookings is the final guarantee.
    """
    from equipment_share.models import Equipment

    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        session.commit()
        session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    else:
        session.execute(select(Equipment.id).where(Equipment.id == equipment_id).with_for_update())


def init_app(app: Flask) -> None:
    db.init_app(app)
    migrate.init_app(app, db, directory=MIGRATIONS_DIRECTORY, render_as_batch=True)
    app.after_request(_commit_successful_request)


def _commit_successful_request(response: Response) -> Response:
    """One transaction per request: kept when the request succeeded, dropped otherwise."""
    if response.status_code < 400:
        db.session.commit()
        send_after_commit(current_app._get_current_object())
    else:
        db.session.rollback()
    return response


def upgrade_schema() -> None:
    """Create or upgrade the schema to the newest migration; safe to run again."""
    from flask_migrate import upgrade

    upgrade(directory=MIGRATIONS_DIRECTORY)
