"""The audit log as the operators read it: entries newest first, filtered, with the names its ids
stand for (who acted, which organisation or instrument, which booking a usage record belongs to),
found in one query per kind for a page or an export batch."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select, func, select

from equipment_share.extensions import db
from equipment_share.models import (
    AuditEntry,
    Equipment,
    Organization,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services.access import require_role

READERS = (Role.ADMIN, Role.FINANCE)
# An export larger than this is refused: narrow the filters. benchmarks/bench_audit.py: 10,000
# entries took 4.6 s as CSV and 10.6 s as XLSX on a loaded 2-core machine, so 20,000 stays well
# inside a worker's timeout (60 s, deploy/gunicorn.conf.py)
MAX_EXPORT_ENTRIES = 20_000
EXPORT_BATCH = 1000


@dataclass(frozen=True)
class AuditFilters:
    """`actor` is a user id (digits) or part of an e-mail address; entries are kept when
    `start <= created_at < end`."""

    object_type: str | None = None
    object_id: int | None = None
    actor: str | None = None
    start: datetime | None = None
    end: datetime | None = None


def audit_entries(viewer: User, filters: AuditFilters) -> Select:
    require_role(viewer, *READERS)
    query = select(AuditEntry).order_by(AuditEntry.position.desc())
    if filters.object_type:
        query = query.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id is not None:
        query = query.where(AuditEntry.object_id == filters.object_id)
    if filters.actor:
        query = query.where(_actor_condition(filters.actor))
    if filters.start is not None:
        query = query.where(AuditEntry.created_at >= filters.start)
    if filters.end is not None:
        query = query.where(AuditEntry.created_at < filters.end)
    return query


def _actor_condition(actor: str):
    if actor.isdigit():
        return AuditEntry.actor_id == int(actor)
    matching = select(User.id).where(User.email.icontains(actor.strip(), autoescape=True))
    return AuditEntry.actor_id.in_(matching)


def object_types() -> list[str]:
    return list(
        db.session.scalars(select(AuditEntry.object_type).distinct().order_by("object_type"))
    )


def booking_ids(entries: Sequence[AuditEntry]) -> dict[tuple[str, int], int]:
    """(object_type, object_id) -> the booking it concerns, for bookings and usage records."""
    found = {
        ("booking", entry.object_id): entry.object_id
        for entry in entries
        if entry.object_type == "booking"
    }
    usage_ids = {entry.object_id for entry in entries if entry.object_type == "usage"}
    if usage_ids:
        rows = db.session.execute(
            select(UsageRecord.id, UsageRecord.booking_id).where(UsageRecord.id.in_(usage_ids))
        )
        found.update({("usage", row.id): row.booking_id for row in rows})
    return found


def count_entries(query: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))


def entries_in_batches(query: Select, batch_size: int = EXPORT_BATCH) -> Iterator[list[AuditEntry]]:
    """The query's entries, newest first, a batch at a time (keyset on position: the query is
    ordered by position descending), so an export never holds the whole log in memory."""
    last_position = None
    while True:
        batch_query = query
        if last_position is not None:
            batch_query = batch_query.where(AuditEntry.position < last_position)
        batch = list(db.session.scalars(batch_query.limit(batch_size)))
        if not batch:
            return
        yield batch
        last_position = batch[-1].position


@dataclass(frozen=True)
class AuditNames:
    """What the ids of some entries stand for."""

    users: dict[int, User] = field(default_factory=dict)
    organizations: dict[int, str] = field(default_factory=dict)
    equipment: dict[int, str] = field(default_factory=dict)
    # (object_type, object_id) -> the booking it concerns, for bookings and usage records
    bookings: dict[tuple[str, int], int] = field(default_factory=dict)


def names_for(entries: Sequence[AuditEntry]) -> AuditNames:
    user_ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    user_ids |= {entry.object_id for entry in entries if entry.object_type == "user"}
    organization_ids = {entry.object_id for entry in entries if entry.object_type == "organization"}
    equipment_ids = {entry.object_id for entry in entries if entry.object_type == "equipment"}
    for entry in entries:
        changes = entry.changes or {}
        organization_ids |= _ids(changes.get("organization_id"))
        equipment_ids |= _ids(changes.get("equipment_id"))
    return AuditNames(
        users=_by_id(User, user_ids),
        organizations={
            row.id: row.name
            for row in _rows(
                select(Organization.id, Organization.name), Organization, organization_ids
            )
        },
        equipment={
            row.id: row.name
            for row in _rows(select(Equipment.id, Equipment.name), Equipment, equipment_ids)
        },
        bookings=booking_ids(entries),
    )


def _ids(value) -> set[int]:
    """The ids a change names: a plain id, or the two sides of {"from", "to"}."""
    if isinstance(value, dict):
        return _ids(value.get("from")) | _ids(value.get("to"))
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value < 2**31:
        return {value}
    return set()


def _by_id(model, ids: set[int]) -> dict:
    if not ids:
        return {}
    return {row.id: row for row in db.session.scalars(select(model).where(model.id.in_(ids)))}


def _rows(query: Select, model, ids: set[int]) -> list:
    if not ids:
        return []
    return list(db.session.execute(query.where(model.id.in_(ids))))
