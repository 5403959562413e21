"""Lists of bookings: those a user may see (pages, API and calendar feeds), an instrument's active
ones in an interval, an SME's own, a platform's inbox, and a booking's history.

The pages' lists are queries ordered in sections (what needs attention first); `section` names the
section of one booking, so a page can put headings between them. Each booking comes with its
usage record loaded, for the fee and the usage buttons.
"""

import enum
from datetime import datetime

from sqlalchemy import Select, and_, case, false, func, or_, select
from sqlalchemy.orm import selectinload

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus
from equipment_share.domain.usage import EARLY_CHECK_IN, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, Equipment, Role, UsageRecord, User
from equipment_share.services.access import require_role


class Section(enum.StrEnum):
    PENDING = "pending"
    # the SME's: recorded use (or a charge) waiting for its confirmation
    TO_CONFIRM = "to_confirm"
    # the platform's: confirmed bookings under way or over, whose use is still to be recorded
    IN_USE = "in_use"
    # the platform's: usage the SME disputed, waiting for a correction
    DISPUTED = "disputed"
    UPCOMING = "upcoming"
    PAST = "past"
    OTHER = "other"


def _upcoming(now: datetime):
    return and_(Booking.status.in_(ACTIVE_STATUSES), Booking.end_at > now)


def _with_usage(query: Select) -> Select:
    return query.outerjoin(UsageRecord, UsageRecord.booking_id == Booking.id).options(
        selectinload(Booking.usage_record)
    )


def _usage_status(booking: Booking) -> UsageStatus | None:
    record = booking.usage_record
    return record.status if record is not None else None


def organization_bookings(actor: User, now: datetime) -> Select:
    """The SME's organisation's bookings: usage waiting for its confirmation (oldest first),
    upcoming active ones (soonest first), then the rest (latest first)."""
    require_role(actor, Role.SME)
    to_confirm = UsageRecord.status == UsageStatus.RECORDED
    upcoming = _upcoming(now)
    return _with_usage(
        select(Booking)
        .where(Booking.organization_id == actor.organization_id)
        .order_by(
            case((to_confirm, 0), (upcoming, 1), else_=2),
            case((to_confirm, UsageRecord.status_changed_at)),
            case((upcoming, Booking.start_at)),
            Booking.start_at.desc(),
            Booking.id.desc(),
        )
    )


def sme_section(booking: Booking, now: datetime) -> Section:
    if _usage_status(booking) == UsageStatus.RECORDED:
        return Section.TO_CONFIRM
    return Section.UPCOMING if booking.is_active and booking.end_at > now else Section.PAST


def inbox(
    actor: User,
    now: datetime,
    *,
    equipment_id: int | None = None,
    status: BookingStatus | None = None,
) -> Select:
    """Bookings of the platform's instruments: pending ones (oldest request first), confirmed
    ones under way or over, whose use is to be recorded (earliest first), disputed usage
    (oldest dispute first), upcoming confirmed ones (soonest first), then the rest (latest
    first)."""
    require_role(actor, Role.PLATFORM)
    pending = Booking.status == BookingStatus.PENDING
    in_use = and_(Booking.status == BookingStatus.CONFIRMED, _check_in_opened(now))
    disputed = UsageRecord.status == UsageStatus.DISPUTED
    upcoming = and_(Booking.status == BookingStatus.CONFIRMED, Booking.end_at > now)
    query = _with_usage(
        select(Booking)
        .join(Booking.equipment)
        .where(Equipment.platform_id == actor.organization_id)
        .order_by(
            case((pending, 0), (in_use, 1), (disputed, 2), (upcoming, 3), else_=4),
            case((pending, Booking.created_at)),
            case((in_use, Booking.start_at)),
            case((disputed, UsageRecord.status_changed_at)),
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


def _check_in_opened(now: datetime):
    """The booking has begun, or begins soon enough to check in (EARLY_CHECK_IN)."""
    return Booking.start_at <= now + EARLY_CHECK_IN


def inbox_section(booking: Booking, now: datetime) -> Section:
    if booking.status == BookingStatus.PENDING:
        return Section.PENDING
    if booking.status == BookingStatus.CONFIRMED and booking.start_at <= now + EARLY_CHECK_IN:
        return Section.IN_USE
    if _usage_status(booking) == UsageStatus.DISPUTED:
        return Section.DISPUTED
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
    """The audit trail of the booking and of its usage record, oldest first, with who made each
    change."""
    about_booking = and_(AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id)
    record = booking.usage_record
    about_usage = (
        and_(AuditEntry.object_type == "usage", AuditEntry.object_id == record.id)
        if record is not None
        else None
    )
    rows = db.session.execute(
        select(AuditEntry, User)
        .outerjoin(User, User.id == AuditEntry.actor_id)
        .where(or_(about_booking, about_usage) if about_usage is not None else about_booking)
        .order_by(AuditEntry.position)
    )
    return [(entry, actor) for entry, actor in rows]


def visible_bookings_query(
    viewer: User,
    *,
    status: BookingStatus | None = None,
    equipment_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Select:
    """The query form of services.access.can_see_booking, ordered by start: an SME's
    organisation's bookings, a platform's instruments' bookings, everything for admin and
    finance. `start`/`end` keep the bookings overlapping [start, end)."""
    query = select(Booking).order_by(Booking.start_at, Booking.id)
    if viewer.role == Role.SME:
        query = query.where(Booking.organization_id == viewer.organization_id)
    elif viewer.role == Role.PLATFORM:
        query = query.join(Booking.equipment).where(Equipment.platform_id == viewer.organization_id)
    elif viewer.role not in (Role.ADMIN, Role.FINANCE):
        return query.where(false())
    if status is not None:
        query = query.where(Booking.status == status)
    if equipment_id is not None:
        query = query.where(Booking.equipment_id == equipment_id)
    if start is not None:
        query = query.where(Booking.end_at > start)
    if end is not None:
        query = query.where(Booking.start_at < end)
    return query


def active_bookings_overlapping(equipment_id: int, interval: Interval) -> list[Booking]:
    return list(
        db.session.scalars(
            select(Booking)
            .where(
                Booking.equipment_id == equipment_id,
                Booking.status.in_(ACTIVE_STATUSES),
                Booking.start_at < interval.end,
                Booking.end_at > interval.start,
            )
            .order_by(Booking.start_at)
        )
    )


def platform_day(actor: User, start: datetime, end: datetime) -> Select:
    """Who comes when: the platform's bookings that meet [start, end) (a local day), pending,
    confirmed or done (not cancelled or rejected), by start time, with their usage records."""
    require_role(actor, Role.PLATFORM)
    return (
        select(Booking)
        .join(Booking.equipment)
        .where(
            Equipment.platform_id == actor.organization_id,
            Booking.status.notin_((BookingStatus.CANCELLED, BookingStatus.REJECTED)),
            Booking.start_at < end,
            Booking.end_at > start,
        )
        .options(
            selectinload(Booking.usage_record),
            selectinload(Booking.organization),
            selectinload(Booking.equipment),
        )
        .order_by(Booking.start_at, Equipment.name, Booking.id)
    )
