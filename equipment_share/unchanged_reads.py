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
here sees a new version and reads the token again. PostgreSQL keeps no answers (its equivalent
would be LISTEN/NOTIFY); its requests run the queries as before.
"""

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import Connection, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from equipment_share.database import WROTE_IN_TRANSACTION, request_may_write
from equipment_share.extensions import db

MAX_ANSWERS = 1024
# connection.info (the pooled SQLite connection's own): its total_changes when the current
# transaction began, and the answers kept with the (data_version, total_changes) they hold for
CHANGES_AT_BEGIN = "unchanged_reads.changes_at_begin"
KEPT = "unchanged_reads.kept"
# session.info: this transaction's answers, found once (one PRAGMA a transaction)
TRANSACTION_ANSWERS = "unchanged_reads.answers"

T = TypeVar("T")


def kept(key: tuple, read: Callable[[], T]) -> T:
    """read()'s answer: kept from an earlier transaction on this connection that saw the same
    database, or read now (and kept, where this transaction may keep it)."""
    answers = _answers()
    if answers is None:
        return read()
    try:
        return answers[key]
    except KeyError:
        answer = answers[key] = read()
        return answer


@event.listens_for(Engine, "begin")
def _note_changes_at_begin(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        connection.info[CHANGES_AT_BEGIN] = connection.connection.dbapi_connection.total_changes


@event.listens_for(Session, "after_transaction_end")
def _forget_transaction(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(TRANSACTION_ANSWERS, None)


def _answers() -> dict | None:
    session = db.session()
    if request_may_write() or session.info.get(WROTE_IN_TRANSACTION):
        return None
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return None
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
