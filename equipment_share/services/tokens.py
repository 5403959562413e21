"""API bearer tokens: shown once, stored only as a SHA-256 hash."""

import hashlib
import secrets
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, bindparam, or_, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import joinedload

from equipment_share import unchanged_reads
from equipment_share.database import SQLITE_BUSY_TIMEOUT_MS, request_may_write
from equipment_share.extensions import db
from equipment_share.models import (
    ApiToken,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    User,
    utcnow,
)
from equipment_share.models.users import TOKEN_CHECKS_CHANNEL

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


@dataclass(frozen=True)
class OrganizationSummary:
    id: int
    name: str
    kind: OrganizationKind


@dataclass(frozen=True)
class TokenHolder:
    """The token's user as this request's token check read it: what every API request needs
    (the id) and what GET /api/v1/me shows, without loading ORM objects."""

    id: int
    email: str
    name: str
    role: Role
    organization: OrganizationSummary | None

    @property
    def organization_id(self) -> int | None:
        """As User.organization_id: with `role`, all that services.access asks of a viewer
        who only looks (can_see_equipment)."""
        return None if self.organization is None else self.organization.id


# Built once, on the tables (no ORM entities to load): the statement every API request runs.
_tokens, _users, _organizations = ApiToken.__table__, User.__table__, Organization.__table__
TOKEN_CHECK = (
    select(
        _tokens.c.id,
        _tokens.c.last_used_at,
        _users.c.active,
        _organizations.c.status,
        _users.c.id,
        _users.c.email,
        _users.c.name,
        _users.c.role,
        _organizations.c.id,
        _organizations.c.name,
        _organizations.c.kind,
    )
    .join(_users, _users.c.id == _tokens.c.user_id)
    .outerjoin(_organizations, _organizations.c.id == _users.c.organization_id)
    .where(_tokens.c.token_hash == bindparam("digest"))
)


def holder_of_token(token: str) -> TokenHolder | None:
    """The token's user, when the token exists and its user may act (the rule of
    User.is_active: an active user of no organisation or of an approved one); None otherwise.

    Asked of the database in the request's transaction, or answered from the connection's kept
    answer (unchanged_reads.py): on SQLite while the database is unchanged, so a token revoked
    or deleted, or a user deactivated, is refused at its very next use in every process; on
    PostgreSQL until the database's notification of a change to what it reads (sent at the
    change's commit) reaches the connection, within a millisecond on an idle machine. One
    row of plain columns: loading the token, user and organisation as ORM objects was a third
    of GET /api/v1/me, and most API requests need no more than the user's id (the API's
    current_actor loads the user when a view asks for it)."""
    session = db.session
    session.flush()  # as a query through the session would: a change made here is seen
    digest = _digest(token)
    key = ("token", digest)
    row = unchanged_reads.kept(key, lambda: _token_row(digest), channel=TOKEN_CHECKS_CHANNEL)
    if row is None:
        return None
    token_id, last_used_at, active, organization_status, *user, org_id, org_name, org_kind = row
    if not active or organization_status not in (None, OrganizationStatus.APPROVED):
        return None
    if note_use(token_id, last_used_at):
        unchanged_reads.forget(key, channel=TOKEN_CHECKS_CHANNEL)  # its last use is now later
    organization = None if org_id is None else OrganizationSummary(org_id, org_name, org_kind)
    return TokenHolder(*user, organization=organization)


def _token_row(digest: str):
    return db.session.connection().execute(TOKEN_CHECK, {"digest": digest}).first()


# Built once: the token with its user and organisation as ORM objects, in one statement.
TOKEN_WITH_USER = (
    select(ApiToken)
    .where(ApiToken.token_hash == bindparam("digest"))
    .options(joinedload(ApiToken.user).joinedload(User.organization))
)


def user_for_token(token: str) -> User | None:
    """The token's user and its organisation, loaded as ORM objects in one statement, under the
    same rule as holder_of_token: for requests that act as the user (every change does), which
    would otherwise load the user in a second statement."""
    session = db.session
    api_token = session.scalar(TOKEN_WITH_USER, {"digest": _digest(token)})
    if api_token is None or not api_token.user.is_active:
        return None
    note_use(api_token.id, api_token.last_used_at)
    return api_token.user


def holder_of(user: User) -> TokenHolder:
    organization = user.organization
    return TokenHolder(
        user.id,
        user.email,
        user.name,
        user.role,
        None
        if organization is None
        else OrganizationSummary(organization.id, organization.name, organization.kind),
    )


def load_user(user_id: int) -> User | None:
    return db.session.get(User, user_id, options=[joinedload(User.organization)])


def note_use(token_id: int, last_used: datetime | None) -> bool:
    """Record when the token was last used, at most once a minute, in a transaction of its own;
    whether it was due.

    Written inside the request's transaction, the bookkeeping made reads fail: SQLite cannot
    upgrade a read transaction to a write once another process has written ("database is
    locked", which the busy timeout does not help), so GET /api/v1/me answered 500 under load.
    Here it is a short write on its own connection that waits briefly and is skipped when the
    database is busy: the time is a hint for the token's owner, never worth failing a request.
    """
    now = utcnow()
    if last_used is not None and now - last_used <= LAST_USED_RESOLUTION:
        return False
    statement = (
        update(ApiToken)
        .where(ApiToken.id == token_id)
        .where(
            or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at < now - LAST_USED_RESOLUTION)
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if db.session.get_bind().dialect.name == "sqlite" and request_may_write():
        # the request's own transaction began IMMEDIATE: it holds the write lock already
        db.session.execute(statement)
        return True
    try:
        with db.engine.connect() as connection, briefly_waiting(connection):
            connection.execute(statement)
            connection.commit()
    except OperationalError:
        pass  # busy: another worker writes; the next use records it
    return True


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
