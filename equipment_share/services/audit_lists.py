"""The audit log as the operators read it: entries newest first, filtered, with who acted and
which booking each entry concerns."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Role, UsageRecord, User
from equipment_share.services.access import require_role

READERS = (Role.ADMIN, Role.FINANCE)


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


def actors(entries: Sequence[AuditEntry]) -> dict[int, User]:
    ids = {entry.actor_id for entry in entries if entry.actor_id is not None}
    if not ids:
        return {}
    return {user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids)))}


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
