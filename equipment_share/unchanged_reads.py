"""Answers of small read-only queries kept on a SQLite connection while the database is
unchanged: every API request's token check and a cached page's fingerprint, which were most of
the database work of a request answered from the page cache.

SQLite's `PRAGMA data_version` moves when another connection commits, and it is read in the
transaction's snapshot: run first, it starts the read transaction, and it keeps its value for as
long as the transaction reads that snapshot. So an answer read in a transaction that saw version
V holds in every later transaction on the same connection that sees V again, unless the
connection wrote in between itself (its `total_changes`, taken when each transaction begins,
counts rows it changed, committed or not). Only transactions that have written nothing keep or
use answers, so nothing uncommitted is ever kept.

A token revoked or a user deactivated in another process is a commit there: the next request
here sees a new version and reads the token again.

PostgreSQL has no data_version: there an answer is kept only when the database notifies a
channel of every change to what it reads (kept's `channel`: the token check's, models/users.py).
Each of the app's connections listens from the moment it connects (KEEP_TOKEN_CHECKS); a
notification, handed over by psycopg while the connection runs a statement or read at its
checkout (database.py), drops that channel's answers. PostgreSQL notifies after the writer's
commit, so another worker refuses a revoked token as soon as the notification has reached its
connection (well within a millisecond); the connection that made the change receives it with
the COMMIT's answer. Other answers (a page's fingerprint) are not kept on PostgreSQL.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from flask import Flask
from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from equipment_share.database import WROTE_IN_TRANSACTION, request_may_write
from equipment_share.extensions import db
from equipment_share.models.users import TOKEN_CHECKS_CHANNEL

MAX_ANSWERS = 1024
# connection.info (the pooled SQLite connection's own): its total_changes when the current
# transaction began, and the answers kept with the (data_version, total_changes) they hold for
CHANGES_AT_BEGIN = "unchanged_reads.changes_at_begin"
KEPT = "unchanged_reads.kept"
# session.info: this transaction's answers, found once (one PRAGMA a transaction)
TRANSACTION_ANSWERS = "unchanged_reads.answers"
# connection.info (a pooled PostgreSQL connection's own, made when it connects): the answers kept
# for each channel it listens on, until that channel's next notification
LISTENED = "unchanged_reads.listened"
CHANNELS = (TOKEN_CHECKS_CHANNEL,)

T = TypeVar("T")
log = logging.getLogger(__name__)


def kept(key: tuple, read: Callable[[], T], channel: str | None = None) -> T:
    """read()'s answer: kept from an earlier transaction on this connection that saw the same
    database, or read now (and kept, where this transaction may keep it). On PostgreSQL only
    answers whose every change the database notifies on `channel` are kept."""
    answers = _answers(channel)
    if answers is None:
        return read()
    try:
        return answers[key]
    except KeyError:
        answer = answers[key] = read()
        return answer


def forget(key: tuple, channel: str | None = None) -> None:
    """Read the answer again next time (after a change that the database notifies nobody of: a
    token's last use)."""
    answers = _answers(channel)
    if answers is not None:
        answers.pop(key, None)


def init_app(app: Flask) -> None:
    """PostgreSQL: the app's connections listen on CHANNELS, unless KEEP_TOKEN_CHECKS is off
    (behind a pooler in transaction mode, whose server connections would not bring a
    notification to the connection that listened)."""
    if not app.config["KEEP_TOKEN_CHECKS"]:
        return
    with app.app_context():
        engine = db.engine
    if engine.dialect.driver == "psycopg":
        event.listen(engine, "connect", _listen)


def _listen(dbapi_connection, connection_record) -> None:
    """A new connection listens from the start, so that nothing it keeps was read before it
    would hear of a change. A server that refuses (a standby in recovery) keeps nothing."""
    import psycopg  # here, not at the top: SQLite's workers never load it

    listened: dict[str, dict] = {}
    try:
        for channel in CHANNELS:
            dbapi_connection.execute(f"LISTEN {channel}")
        dbapi_connection.commit()
    except psycopg.Error as error:
        dbapi_connection.rollback()
        log.warning("database: LISTEN refused (%s): token checks are asked every time", error)
        return
    dbapi_connection.add_notify_handler(
        lambda notification: listened.pop(notification.channel, None)
    )
    connection_record.info[LISTENED] = listened


@event.listens_for(Engine, "begin")
def _note_changes_at_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.info[CHANGES_AT_BEGIN] = connection.connection.dbapi_connection.total_changes


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(TRANSACTION_ANSWERS, None)


def _answers(channel: str | None) -> dict | None:
    session = db.session()
    if session.info.get(WROTE_IN_TRANSACTION):
        return None  # what it reads may never be committed
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return None if request_may_write() else _sqlite_answers(session, connection)
    listened = connection.info.get(LISTENED)
    if listened is None or channel not in CHANNELS:
        return None
    answers = listened.get(channel)
    if answers is None or len(answers) >= MAX_ANSWERS:
        answers = listened[channel] = {}
    return answers


def _sqlite_answers(session: Session, connection: Connection) -> dict | None:
    sqlite = connection.connection.dbapi_connection
    changes = connection.info.get(CHANGES_AT_BEGIN)
    if sqlite.total_changes != changes:
        return None  # written in this transaction: what it reads may never be committed
    answers = session.info.get(TRANSACTION_ANSWERS)
    if answers is None:
        answers = session.info[TRANSACTION_ANSWERS] = _kept_for(connection, changes)
    return answers


def _kept_for(connection: Connection, changes: int) -> dict:
    """The connection's answers for the database this transaction sees (a new, empty set when
    it changed since they were read)."""
    sqlite = connection.connection.dbapi_connection
    [version] = sqlite.execute("PRAGMA data_version").fetchone()
    state = (version, changes)
    kept_state, answers = connection.info.get(KEPT, (None, None))
    if kept_state != state or len(answers) >= MAX_ANSWERS:
        answers = {}
        connection.info[KEPT] = (state, answers)
    return answers
