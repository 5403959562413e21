"""The audit log: every change to a business object appends one entry in the same transaction.

Entries are chained by hash (domain/audit_chain.py). Appending is serialised so two
transactions cannot both extend the chain from the same entry: on PostgreSQL by the lock on the
chain's head row (AuditChainHead), taken by the statement that reads the previous position and
hash (SELECT ... FOR UPDATE reads the row as the transaction that held it left it), on SQLite by
the database write lock, which the flush of the business change takes before the head is read.
A trigger on the entries moves the head on. The unique `position` is the final guard.

The entry is written by one INSERT of its table (not through the session's unit of work, which
cost about as much CPU as the statement itself on the booking path): it is hashed from the values
written, and returned as a detached AuditEntry holding them. On PostgreSQL a new booking's
entry is written by the booking's own statement, which locks the head, reads it and has the
database hash the entry (entry_following).
"""

from collections.abc import Iterator

from sqlalchemy import Text, bindparam, cast, func, insert, select, text, true

from equipment_share.database import note_write
from equipment_share.domain.audit_chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    KNOWN_TO_THE_DATABASE,
    ChainBreak,
    canonical_json_around,
    entry_hash,
    find_break,
    json_value,
)
from equipment_share.extensions import db
from equipment_share.models import AuditChainHead, AuditEntry, User, as_loaded, utcnow

# An arbitrary constant naming the advisory lock under which the chain's head row is made
# (PostgreSQL), when it is missing: before the first entry, or once the tables are emptied.
AUDIT_CHAIN_LOCK = 7_340_213
LOCK_THE_CHAIN = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=AUDIT_CHAIN_LOCK)
LAST_ENTRY = (
    select(AuditEntry.position, AuditEntry.entry_hash).order_by(AuditEntry.position.desc()).limit(1)
)
HEAD = AuditChainHead.__table__
LOCK_HEAD = select(HEAD.c.position, HEAD.c.entry_hash).where(HEAD.c.id == 1).with_for_update()
START_HEAD = insert(HEAD).values(id=1)
CHAIN_COLUMNS = (*HASHED_FIELDS, "id", "previous_hash", "entry_hash")
APPEND_ENTRY = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)


ENTRIES = AuditEntry.__table__
# the fields an entry following the head in the same statement binds as :entry_<name>
BOUND_FIELDS = tuple(name for name in HASHED_FIELDS if name not in KNOWN_TO_THE_DATABASE)
PIECES = tuple(f"entry_json_{number}" for number in range(4))


def entry_following(head, object_id):
    """PostgreSQL: the INSERT (a CTE) of the entry that follows `head`, a CTE of LOCK_HEAD in
    the same statement, about the object whose id is the column `object_id` (made by that
    statement too): one statement instead of an INSERT after it. The database hashes the entry
    as entry_hash does, from the pieces of its canonical JSON (following_values). Inserts
    nothing when there is no head row yet (before the first entry): the caller appends then."""
    position = head.c.position + 1
    piece = [bindparam(name, type_=Text) for name in PIECES]
    canonical = (piece[0] + cast(object_id, Text) + piece[1] + cast(position, Text) + piece[2]) + (
        head.c.entry_hash + piece[3]
    )
    digest = func.encode(func.sha256(func.convert_to(canonical, "UTF8")), "hex")
    bound = [bindparam(f"entry_{name}", type_=ENTRIES.c[name].type) for name in BOUND_FIELDS]
    written = select(*bound, object_id, position, head.c.entry_hash, digest).select_from(
        object_id.table.join(head, true())  # one row, or none without a head
    )
    columns = [*BOUND_FIELDS, "object_id", "position", "previous_hash", "entry_hash"]
    return (
        insert(ENTRIES)
        .from_select(columns, written)
        .returning(ENTRIES.c.id, ENTRIES.c.position)
        .cte("new_entry")
    )


def following_values(
    actor_id: int | None, object_type: str, action: str, *, to_state: str = ""
) -> dict:
    """entry_following's parameters for an entry about a new object."""
    fields = _described(actor_id, object_type, action, to_state=to_state)
    values = {f"entry_{name}": value for name, value in fields.items()}
    pieces = canonical_json_around(fields)
    return values | dict(zip(PIECES, pieces, strict=True))


def record(
    actor: User | None,
    object_type: str,
    object_id: int,
    action: str,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> AuditEntry:
    """Append an entry to the chain; returned as a detached AuditEntry holding what was written."""
    values = append(
        actor.id if actor else None,
        object_type,
        object_id,
        action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        changes=changes,
    )
    return as_loaded(AuditEntry, values)  # the row as written, not pending in the session


def append(
    actor_id: int | None,
    object_type: str,
    object_id: int,
    action: str,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> dict:
    """Append an entry to the chain and return the values written (with its id), making no
    AuditEntry (a statement that writes its object can append its entry itself:
    entry_following)."""
    session = db.session
    session.flush()
    connection = session.connection()
    last_position, previous_hash = _lock_head(connection)
    values = {
        "position": last_position + 1,
        "object_id": object_id,
        **_described(
            actor_id,
            object_type,
            action,
            from_state=from_state,
            to_state=to_state,
            reason=reason,
            changes=changes,
        ),
        "previous_hash": previous_hash,
    }
    values["entry_hash"] = entry_hash(values, previous_hash)
    values["id"] = connection.execute(APPEND_ENTRY, values).scalar_one()
    note_write(session)  # as a flush would (hold_sqlite_write_lock keeps the transaction)
    return values


def _described(
    actor_id: int | None,
    object_type: str,
    action: str,
    *,
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> dict:
    """An entry's own fields, made now: all it hashes but its object and its place in the
    chain (BOUND_FIELDS)."""
    return {
        "created_at": utcnow(),
        "actor_id": actor_id,
        "object_type": object_type,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "changes": json_value(changes or {}),
    }


def _lock_head(connection) -> tuple[int, str]:
    """The chain's last position and hash, its head row locked until commit (PostgreSQL)."""
    head = connection.execute(LOCK_HEAD).first()
    if head is not None:
        return head.position, head.entry_hash
    # No head row yet: made from the last entry, by one transaction at a time; one that waited
    # finds it made (a new statement reads what the first committed).
    if connection.dialect.name == "postgresql":
        connection.execute(LOCK_THE_CHAIN)
        head = connection.execute(LOCK_HEAD).first()
        if head is not None:
            return head.position, head.entry_hash
    last = connection.execute(LAST_ENTRY).first()
    position, previous_hash = (last.position, last.entry_hash) if last else (0, GENESIS_HASH)
    connection.execute(START_HEAD, {"position": position, "entry_hash": previous_hash})
    return position, previous_hash


def value_changes(before: dict, after: dict) -> dict:
    """{field: {"from": old, "to": new}} for the fields whose value changed."""
    return {
        name: {"from": json_value(before.get(name)), "to": json_value(value)}
        for name, value in after.items()
        if before.get(name) != value
    }


def _entries_in_chain_order(batch_size: int = 5000) -> Iterator[dict]:
    columns = [getattr(AuditEntry, name) for name in CHAIN_COLUMNS]
    last_position = 0
    while True:
        batch = db.session.execute(
            select(*columns)
            .where(AuditEntry.position > last_position)
            .order_by(AuditEntry.position)
            .limit(batch_size)
        ).all()
        if not batch:
            return
        for row in batch:
            yield row._asdict()
        last_position = batch[-1].position


def verify_chain() -> tuple[int, ChainBreak | None]:
    """How many entries were checked, and the first break (None when the chain holds)."""
    checked = 0

    def counted(entries: Iterator[dict]) -> Iterator[dict]:
        nonlocal checked
        for entry in entries:
            checked += 1
            yield entry

    broken = find_break(counted(_entries_in_chain_order()))
    return checked, broken


def head() -> tuple[int, str]:
    """The last position and its hash: worth writing down elsewhere, since a chain cannot
    show that entries were cut off its end."""
    last = db.session.execute(LAST_ENTRY).first()
    return (last.position, last.entry_hash) if last else (0, GENESIS_HASH)
