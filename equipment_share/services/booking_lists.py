"""Lists of bookings for the pages: an SME's own, a platform's inbox, and a booking's history.

Each list is a query ordered in sections (what needs attention first); `section` names the
section of one booking, so a page can put headings between them.
"""

import enum
from datetime import datetime

from sqlalchemy import Select, and_, case, func, select

from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, Equipment, Role, User
from equipment_share.services.access import require_role


class Section(enum.StrEnum):
    PENDING = "pending"
    UPCOMING = "upcoming"
    PAST = "past"
    OTHER = "other"


def _upcoming(now: datetime):
    return and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)


def organization_bookings(actor: User, now: datetime) -> Select:
    """The SME's organisation's bookings: upcoming active ones (soonest first), then the rest
    (latest first)."""
    require_role(actor, Role.SME)
    upcoming = _upcoming(now)
    return (
        select(Booking)
        .where(Booking.organization_id == actor.organization_id)
        .order_by(
            case((upcoming, 0), else_=1),
            case((upcoming, Booking.start_at)),
            Booking.start_at.desc(),
            Booking.id.desc(),
        )
    )


def sme_section(booking: Booking, now: datetime) -> Section:
    return Section.UPCOMING if booking.is_active and booking.end_at > now else Section.PAST


def inbox(
    actor: User,
    now: datetime,
    *,
    equipment_id: int | None = None,
    status: BookingStatus | None = None,
) -> Select:
    """Bookings of the platform's instruments: pending ones (oldest request first), then
    upcoming confirmed ones (soonest first), then the rest (latest first)."""
    require_role(actor, Role.PLATFORM)
    pending = Booking.status == BookingStatus.PENDING
    upcoming = and_(Booking.status == BookingStatus.CONFIRMED, Booking.end_at > now)
    query = (
        select(Booking)
        .join(Booking.equipment)
        .where(Equipment.platform_id == actor.organization_id)
        .order_by(
            case((pending, 0), (upcoming, 1), else_=2),
            case((pending, Booking.created_at)),
            case((upcoming, Booking.start_at)),
            Booking.start_at.desc(),
            Booking.id.desc(),
        )
    )
    if equipment_id is not None:
        query = query.where(Booking.equipment_id == equipment_id)
    if status is not None:
        query = query.where(Booking.status == status)
    return query


def inbox_section(booking: Booking, now: datetime) -> Section:
    if booking.status == BookingStatus.PENDING:
        return Section.PENDING
    if booking.status == BookingStatus.CONFIRMED and booking.end_at > now:
        return Section.UPCOMING
    return Section.OTHER


def pending_count(actor: User | None) -> int:
    """How many bookings wait for the platform's decision."""
    if actor is None or actor.role != Role.PLATFORM:
        return 0
    return db.session.scalar(
        select(func.count())
        .select_from(Booking)
        .join(Booking.equipment)
        .where(
            Equipment.platform_id == actor.organization_id,
            Booking.status == BookingStatus.PENDING,
        )
    )


def platform_instruments(actor: User) -> list[Equipment]:
    return list(
        db.session.scalars(
            select(Equipment)
            .where(Equipment.platform_id == actor.organization_id)
            .order_by(Equipment.name)
        )
    )


def booking_history(booking: Booking) -> list[tuple[AuditEntry, User | None]]:
    """The booking's audit trail, oldest first, with who made each change."""
    rows = db.session.execute(
        select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id)
        .order_by(AuditEntry.created_at, AuditEntry.id)
    )
    return [(entry, actor) for entry, actor in rows]
