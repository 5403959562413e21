"""The audit log: every change to a business object appends one entry in the same transaction.

Entries are chained by hash (domain/audit_chain.py). Appending is serialised so two
transactions cannot both extend the chain from the same entry: on PostgreSQL by a transaction
advisory lock, on SQLite by the database write lock, which the flush of the business change
takes before the last hash is read. The unique `position` is the final guard.

The entry is written by one INSERT of its table (not through the session's unit of work, which
cost about as much CPU as the statement itself on the booking path): it is hashed from the values
written, and returned as a detached AuditEntry holding them.
"""

from collections.abc import Iterator

from sqlalchemy import insert, select, text
from sqlalchemy.orm import make_transient_to_detached

from equipment_share.database import note_write
from equipment_share.domain.audit_chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainBreak,
    entry_hash,
    find_break,
    json_value,
)
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, User, utcnow

# An arbitrary constant naming the audit chain's advisory lock on PostgreSQL.
AUDIT_CHAIN_LOCK = 7_340_213
LOCK_THE_CHAIN = text("SELECT pg_advisory_xact_lock(:key)").bindparams(key=AUDIT_CHAIN_LOCK)
LAST_ENTRY = (
    select(AuditEntry.position, AuditEntry.entry_hash).order_by(AuditEntry.position.desc()).limit(1)
)
CHAIN_COLUMNS = (*HASHED_FIELDS, "id", "previous_hash", "entry_hash")
APPEND_ENTRY = insert(AuditEntry.__table__).returning(AuditEntry.__table__.c.id)


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
    session = db.session
    session.flush()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(LOCK_THE_CHAIN)
    last = session.execute(LAST_ENTRY).first()
    position, previous_hash = (last.position + 1, last.entry_hash) if last else (1, GENESIS_HASH)
    values = {
        "position": position,
        "created_at": utcnow(),
        "actor_id": actor.id if actor else None,
        "object_type": object_type,
        "object_id": object_id,
        "action": action,
        "from_state": from_state,
        "to_state": to_state,
        "reason": reason,
        "changes": json_value(changes or {}),
        "previous_hash": previous_hash,
    }
    values["entry_hash"] = entry_hash(values, previous_hash)
    values["id"] = session.connection().execute(APPEND_ENTRY, values).scalar_one()
    note_write(session)  # as a flush would (hold_sqlite_write_lock keeps the transaction)
    entry = AuditEntry(**values)
    make_transient_to_detached(entry)  # the row as written, not pending in the session
    return entry


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
