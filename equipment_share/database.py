"""The database: engine settings per backend, migrations, and one transaction per request."""

import ast
import math
import re
import select
import sqlite3
import time
from pathlib import Path

import click
from blinker import Namespace
from flask import Flask, Response, current_app, has_request_context, request
from sqlalchemy import event, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from equipment_share.extensions import db

MIGRATIONS_DIRECTORY = str(Path(__file__).parent / "migrations")
SQLITE_BUSY_TIMEOUT_MS = 15_000
SQLITE_BEGIN_OPTION = "sqlite_begin_mode"
# Set in session.info while the transaction has written (on SQLite: holds the write lock).
WROTE_IN_TRANSACTION = "wrote_in_transaction"
# An arbitrary constant naming the period locks' advisory lock on PostgreSQL.
PERIOD_LOCKS_KEY = 7_340_214
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

signals = Namespace()
# Sent with the app once a request's transaction has committed (not after a read, which has
# nothing to commit): what must not happen before (mail about the change) subscribes to it, so
# this module imports none of its listeners.
request_committed = signals.signal("request-committed")


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


# A pooled server connection idle this long is pinged before use: a server that went away
# without closing it (its host restarted) leaves nothing to read. pgbouncer's server_check_delay.
PING_AFTER_IDLE_SECONDS = 30.0
RETURNED_AT = "returned_to_pool_at"


@event.listens_for(Pool, "checkin")
def _note_return(dbapi_connection, connection_record) -> None:
    connection_record.info[RETURNED_AT] = time.monotonic()


@event.listens_for(Pool, "checkout")
def _replace_a_dead_server_connection(dbapi_connection, connection_record, proxy) -> None:
    """A pooled connection to a server, before use. One the server has closed (a restart, an
    idle timeout, pg_terminate_backend) has something to read, the server's goodbye or the end
    of the stream, where an idle connection has nothing. One idle for PING_AFTER_IDLE_SECONDS
    must also answer a `SELECT 1`. Either failing, the pool replaces it (DisconnectionError).
    SQLAlchemy's pre-ping did the round trip before every request: about 4% of a booking's CPU.
    The notifications of a channel the connection listens on (unchanged_reads.py) are read here
    and handed to their handlers; anything else unread costs a new connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        return  # a file: no server to lose
    returned_at = connection_record.info.get(RETURNED_AT, math.inf)  # none yet: just connected
    idle_too_long = time.monotonic() - returned_at >= PING_AFTER_IDLE_SECONDS
    if not _nothing_but_notifications_unread(dbapi_connection) or (
        idle_too_long and not _answers(dbapi_connection)
    ):
        raise DisconnectionError("the pooled connection to the database server is gone")


def _nothing_but_notifications_unread(dbapi_connection) -> bool:
    """psycopg's connection, idle: nothing to read, or only notifications (NOTIFY), which are
    read now and handed to the handlers psycopg calls with those that arrive during a statement.
    A server that closes a connection first says why (an error, which libpq hands an idle
    connection's notice handler), then ends the stream, which may not have arrived yet."""
    if not _has_unread_data(dbapi_connection):
        return True
    from psycopg import pq  # a PostgreSQL connection's: not imported by SQLite's workers

    server, notifications, said = dbapi_connection.pgconn, [], []
    try:
        own_notice_handler, server.notice_handler = server.notice_handler, said.append
        try:
            server.consume_input()  # raises when the server ended the stream
            while (notification := server.notifies()) is not None:
                notifications.append(notification)
        finally:
            server.notice_handler = own_notice_handler
    except Exception:  # a closed connection, or a driver without notifications
        return False
    if said or not notifications or server.status != pq.ConnStatus.OK:
        return False
    for notification in notifications:
        server.notify_handler(notification)  # psycopg's: to the connection's handlers
    return not _has_unread_data(dbapi_connection)


def _has_unread_data(dbapi_connection) -> bool:
    try:
        readable = select.poll()
        readable.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(readable.poll(0))
    except Exception:  # the driver closed it: no socket left to ask
        return True


def _answers(dbapi_connection) -> bool:
    """psycopg's connection, idle at checkout: a ping outside a transaction."""
    try:
        autocommit, dbapi_connection.autocommit = dbapi_connection.autocommit, True
        try:
            dbapi_connection.execute("SELECT 1")
        finally:
            dbapi_connection.autocommit = autocommit
    except Exception:
        return False
    return True


@event.listens_for(Engine, "begin")
def _begin_sqlite_transaction(connection) -> None:
    """SQLAlchemy's pysqlite recipe (isolation_level=None plus this event), choosing the mode.

    A transaction that reads first and writes later cannot take the write lock once another
    process has written since its read began: SQLite answers "database is locked" at once,
    the busy timeout notwithstanding. So a transaction that will write takes the lock first
    (BEGIN IMMEDIATE, which does wait out the busy timeout): every request that may change
    something (not GET, HEAD or OPTIONS), and whoever asks for it (lock_equipment_for_booking).
    Reads stay deferred, so they never wait for a writer (WAL).
    """
    if connection.dialect.name != "sqlite":
        return
    mode = connection.get_execution_options().get(SQLITE_BEGIN_OPTION)
    if mode is None:
        mode = "IMMEDIATE" if request_may_write() else "DEFERRED"
    connection.exec_driver_sql(f"BEGIN {mode}")


def request_may_write() -> bool:
    return has_request_context() and request.method not in SAFE_METHODS


@event.listens_for(Session, "after_flush")
def _note_write(session, flush_context) -> None:
    note_write(session)


def note_write(session) -> None:
    """This transaction has written: after a flush, and after an INSERT run on the session's
    connection outside the unit of work (the booking, the audit entry)."""
    session.info[WROTE_IN_TRANSACTION] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_write(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE_IN_TRANSACTION, None)


def hold_sqlite_write_lock() -> None:
    """SQLite: make this transaction hold the database write lock before it reads what it will
    check. One that has already written holds it; one that has only read starts again with
    BEGIN IMMEDIATE. No-op on other databases, whose callers lock rows."""
    session = db.session
    if session.get_bind().dialect.name != "sqlite" or session.info.get(WROTE_IN_TRANSACTION):
        return
    # Whatever is pending was written under this request's own write lock (a request that may
    # write begins IMMEDIATE; a token's last use is written apart from reads: tokens.note_use).
    session.commit()
    session.connection(execution_options={SQLITE_BEGIN_OPTION: "IMMEDIATE"})
    # held until the transaction ends: a second call must not end it and let others in
    session.info[WROTE_IN_TRANSACTION] = True


def serialise_with_period_locks(*, exclusive: bool) -> None:
    """Make a period-lock check and the write that depends on it one step, across processes.

    Usage changes take the lock shared (they may run side by side), locking a period takes it
    exclusively: a period is locked only once no change that checked it is still uncommitted,
    and a change that checks after the lock committed sees it. PostgreSQL: an advisory lock;
    SQLite: the database write lock.
    """
    session = db.session
    if session.get_bind().dialect.name == "sqlite":
        hold_sqlite_write_lock()
        return
    function = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    session.execute(text(f"SELECT {function}(:key)"), {"key": PERIOD_LOCKS_KEY})


def init_app(app: Flask) -> None:
    db.init_app(app)
    if click.get_current_context(silent=True) is not None:  # the command line: `flask db ...`
        register_migrations(app)
    app.after_request(_commit_successful_request)


def register_migrations(app: Flask) -> None:
    """Flask-Migrate, for `flask db` and upgrade_schema. Not in web workers: it imports alembic,
    about 11 MB of every process, which no request needs (alembic is imported in the functions
    below that use it for the same reason)."""
    from flask_migrate import Migrate

    if "migrate" not in app.extensions:
        Migrate(app, db, directory=MIGRATIONS_DIRECTORY, render_as_batch=True)


def _commit_successful_request(response: Response) -> Response:
    """One transaction per request: kept when the request succeeded, dropped otherwise. A read
    has nothing to keep or announce: its transaction is ended without the COMMIT (see
    only_read), and the session forgotten, so the app context's teardown has none to close
    again."""
    session = db.session()
    if response.status_code >= 400:
        session.rollback()
    elif only_read(session):
        db.session.remove()
    else:
        session.commit()
        request_committed.send(current_app._get_current_object())
    return response


def only_read(session) -> bool:
    """A GET, HEAD or OPTIONS whose transaction wrote nothing, has nothing to write and holds no
    objects: closing it loses nothing and detaches nothing. (In tests the session outlives the
    request and holds the test's own objects: those requests are committed, as before.)

    Every flush notes that it wrote (WROTE_IN_TRANSACTION), and so do the INSERTs run outside
    the unit of work; other statements that write run only in requests that may write (SQLite
    begins them IMMEDIATE), which are always committed."""
    return (
        not request_may_write()
        and not session.info.get(WROTE_IN_TRANSACTION)
        and not session.new
        and not session.identity_map
    )


def migration_head() -> str:
    """The newest migration, read from the migration files' own `revision` and
    `down_revision` lines: /readyz asks it in web workers, where importing alembic would cost
    each worker about 11 MB (tests/test_health_and_logs.py holds it equal to alembic's head)."""
    head = current_app.extensions.get("migration_head")
    if head is None:
        head = current_app.extensions["migration_head"] = _head_of(_migration_graph())
    return head


_ASSIGNMENT = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def _migration_graph() -> dict[str, tuple[str, ...]]:
    """Each migration's revision and the revisions it follows."""
    graph = {}
    for path in Path(MIGRATIONS_DIRECTORY, "versions").glob("*.py"):
        values = {
            name: ast.literal_eval(value) for name, value in _ASSIGNMENT.findall(path.read_text())
        }
        follows = values.get("down_revision") or ()
        graph[values["revision"]] = (follows,) if isinstance(follows, str) else tuple(follows)
    return graph


def _head_of(graph: dict[str, tuple[str, ...]]) -> str:
    followed = {revision for follows in graph.values() for revision in follows}
    [head] = set(graph) - followed  # one head: tests/test_migrations.py holds it so
    return head


def schema_revision() -> str | None:
    """The database's migration (None before the first); a short connection of its own,
    outside the request's session. Read as alembic writes it, without importing alembic."""
    with db.engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade_schema() -> None:
    """Create or upgrade the schema to the newest migration; safe to run again."""
    from flask_migrate import upgrade

    register_migrations(current_app._get_current_object())
    upgrade(directory=MIGRATIONS_DIRECTORY)
