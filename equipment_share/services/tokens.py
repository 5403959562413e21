"""API bearer tokens: shown once, stored only as a SHA-256 hash."""

import hashlib
import secrets
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from equipment_share.database import SQLITE_BUSY_TIMEOUT_MS, request_may_write
from equipment_share.extensions import db
from equipment_share.models import ApiToken, User, utcnow

TOKEN_PREFIX = "es_"  # nosec B105  # marks tokens, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)
BOOKKEEPING_WAIT = timedelta(milliseconds=200)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, label: str = "") -> str:
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=_digest(token), label=label[:100]))
    db.session.flush()
    return token


# Built once: the statement every API request runs.
TOKEN_WITH_USER = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(ApiToken.user).joinedload(User.organization))
)


def user_for_token(token: str) -> User | None:
    """The token's user, with the user and its organisation in the same statement (every API
    request asks: three round trips were a third of GET /api/v1/me)."""
    api_token = db.session.scalar(TOKEN_WITH_USER, {"digest": _digest(token)})
    if api_token is None or not api_token.user.is_active:
        return None
    note_use(api_token)
    return api_token.user


def note_use(api_token: ApiToken) -> None:
    """Record when the token was last used, at most once a minute, in a transaction of its own.

    Written inside the request's transaction, the bookkeeping made reads fail: SQLite cannot
    upgrade a read transaction to a write once another process has written ("database is
    locked", which the busy timeout does not help), so GET /api/v1/me answered 500 under load.
    Here it is a short write on its own connection that waits briefly and is skipped when the
    database is busy: the time is a hint for the token's owner, never worth failing a request.
    """
    now = utcnow()
    last_used = api_token.last_used_at
    if last_used is not None and now - last_used <= LAST_USED_RESOLUTION:
        return
    if db.session.get_bind().dialect.name == "sqlite" and request_may_write():
        # the request's own transaction began IMMEDIATE: it holds the write lock already
        api_token.last_used_at = now
        return
    statement = (
        update(ApiToken)
        .where(ApiToken.id == api_token.id)
        .where(
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION)
        )
        .values(last_used_at=now)
    )
    try:
        with db.engine.connect() as connection, briefly_waiting(connection):
            connection.execute(statement)
            connection.commit()
    except OperationalError:
        return  # busy: another worker writes; the next use records it
    set_committed_value(api_token, "last_used_at", now)


@contextmanager
def briefly_waiting(connection: Connection):
    """Wait at most BOOKKEEPING_WAIT for a lock on this connection, not the usual 15 s."""
    milliseconds = int(BOOKKEEPING_WAIT.total_seconds() * 1000)
    if connection.dialect.name != "sqlite":
        connection.exec_driver_sql(f"SET LOCAL lock_timeout = {milliseconds}")
        yield
        return
    sqlite = connection.connection.dbapi_connection  # a PRAGMA outside any transaction
    sqlite.execute(f"PRAGMA busy_timeout={milliseconds}")
    try:
        yield
    finally:
        sqlite.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")


def revoke_token(user: User, token_id: int) -> bool:
    api_token = db.session.get(ApiToken, token_id)
    if api_token is None or api_token.user_id != user.id:
        return False
    db.session.delete(api_token)
    return True
