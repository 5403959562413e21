"""Locks taken before a state is checked, so that two requests that change the same thing act one
after the other, the second on what the first left.

PostgreSQL locks the row (SELECT ... FOR UPDATE). SQLite has no row locks: the transaction takes
the database's write lock (BEGIN IMMEDIATE) before it reads what it checks. A read transaction
cannot take the write lock once another process has written since it began (its WAL snapshot is
stale, and waiting does not help), so the request's read-only transaction is ended first; a
transaction that already writes holds the lock and is kept.
"""

from sqlalchemy import bindparam, select

from equipment_share.database import hold_sqlite_write_lock
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment


def lock_row(instance) -> None:
    """Re-read the object under a lock on its row, discarding what was read before.

    PostgreSQL: FOR NO KEY UPDATE, the lock for a change that keeps the row's key. It still
    serialises every change of the row, but not the inserts whose foreign key points at it (each
    takes a KEY SHARE lock on the row): with FOR UPDATE, a request that held a booking and waited
    for its usage record deadlocked with one that held the record and wrote a mail about the
    booking (tests/concurrency/test_usage_transitions.py)."""
    hold_sqlite_write_lock()
    # OF its own table: a mapper that joins a relationship (outer join) cannot lock that side
    db.session.refresh(instance, with_for_update={"key_share": True, "of": type(instance)})


def lock_booking(booking: Booking) -> None:
    lock_row(booking)


# built once: a booking binds the id (SQLAlchemy caches the SQL)
LOCK_EQUIPMENT = (
    select(Equipment.__table__.c.id)
    .where(Equipment.__table__.c.id == bindparam("equipment_id"))
    .with_for_update()
)


def lock_equipment_for_booking(equipment_id: int) -> None:
    """Serialise booking writes for one instrument before its availability is checked.

    PostgreSQL: lock the instrument's row; the exclusion constraint on bookings is the final
    guarantee. SQLite: the write lock, so check-then-insert cannot interleave with another process.
    """
    hold_sqlite_write_lock()
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        connection.execute(LOCK_EQUIPMENT, {"equipment_id": equipment_id})
