"""Booking an instrument, and every change of a booking's state.

Each operation takes the acting user and plain values, checks the rules, writes the booking,
its audit entry and its notifications in one transaction, and raises a domain error (which
changes nothing) when a rule says no.
"""

from datetime import datetime
from decimal import Decimal

from sqlalchemy import Select, false, select
from sqlalchemy.exc import IntegrityError

from equipment_share.database import lock_equipment_for_booking
from equipment_share.domain.availability import Interval, is_bookable
from equipment_share.domain.bookings import (
    ACTIVE_STATUSES,
    BookingAction,
    BookingRules,
    BookingStatus,
    can_transition,
    check_booking_rules,
    is_late_cancellation,
    next_status,
)
from equipment_share.domain.errors import (
    N_,
    BookingConflict,
    Forbidden,
    Message,
    OutsideIdleWindow,
    RuleViolation,
    ValidationFailed,
)
from equipment_share.domain.fees import estimate_for
from equipment_share.domain.fields import check_text
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    MaintenanceBlock,
    ProductionRun,
    Role,
    User,
    utcnow,
)
from equipment_share.services import audit, notifications, rate_cards, usage
from equipment_share.services.access import owns_equipment, require_role, visible_equipment
from equipment_share.services.availability import blocks_by_equipment
from equipment_share.services.equipment import equipment_idle_time

PURPOSE_MAX_LENGTH = 2000
REASON_MAX_LENGTH = 2000


def booking_rules(equipment: Equipment) -> BookingRules:
    return BookingRules(
        slot_minutes=equipment.slot_minutes,
        min_booking_minutes=equipment.min_booking_minutes,
        max_booking_minutes=equipment.max_booking_minutes,
        lead_time_hours=equipment.lead_time_hours,
        horizon_days=equipment.horizon_days,
        timezone=equipment.timezone,
    )


def booking_estimate(equipment: Equipment, interval: Interval) -> Decimal:
    """What booking the interval would cost now, if used as booked."""
    return estimate_for(interval, rate_cards.rate_card_in_force(equipment)[1])


def requested_interval(start, end) -> Interval:
    errors: dict[str, Message] = {}
    for name, value in (("start", start), ("end", end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = Message(N_("A date and time is required."))
    if not errors and end <= start:
        errors["end"] = Message(N_("The end must be after the start."))
    if errors:
        raise ValidationFailed(errors)
    return Interval(start, end)


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


def conflict_error(equipment_id: int, interval: Interval) -> BookingConflict:
    clashes = active_bookings_overlapping(equipment_id, interval)
    return BookingConflict(
        N_("The slot overlaps another booking of this instrument."),
        details={"conflicts": [Interval(clash.start_at, clash.end_at) for clash in clashes]},
    )


def _check_bookable(equipment: Equipment, interval: Interval) -> None:
    if not is_bookable(interval, equipment_idle_time(equipment, interval)):
        raise OutsideIdleWindow(N_("The instrument is not offered at that time."))
    production_and_maintenance = blocks_by_equipment(
        [equipment.id], interval, tables=(ProductionRun, MaintenanceBlock)
    )[equipment.id]
    if production_and_maintenance:
        raise OutsideIdleWindow(
            N_("The instrument is busy with production or maintenance at that time.")
        )
    if active_bookings_overlapping(equipment.id, interval):
        raise conflict_error(equipment.id, interval)


def may_book(actor: User | None, equipment: Equipment) -> bool:
    """An SME may ask for a slot of an instrument that is open for booking."""
    return actor is not None and actor.role == Role.SME and equipment.active


def create_booking(
    actor: User,
    equipment_id: int,
    start: datetime,
    end: datetime,
    purpose: str = "",
    now: datetime | None = None,
) -> Booking:
    """An SME books a slot: pending when the instrument needs approval, else confirmed."""
    require_role(actor, Role.SME)
    interval = requested_interval(start, end)
    if (message := check_text(purpose, PURPOSE_MAX_LENGTH)) is not None:
        raise ValidationFailed({"purpose": message})
    actor_id, organization_id = actor.id, actor.organization_id
    lock_equipment_for_booking(equipment_id)
    equipment = visible_equipment(actor, equipment_id)
    if not equipment.active:
        raise RuleViolation(
            N_("The instrument is not open for booking."), details={"rule": "inactive"}
        )
    check_booking_rules(interval, booking_rules(equipment), now or utcnow())
    _check_bookable(equipment, interval)
    version, card = rate_cards.rate_card_in_force(equipment, now)
    booking = Booking(
        equipment=equipment,
        organization_id=organization_id,
        booked_by_id=actor_id,
        start_at=interval.start,
        end_at=interval.end,
        purpose=(purpose or "").strip(),
        status=BookingStatus.PENDING if equipment.requires_approval else BookingStatus.CONFIRMED,
        rate_card_id=version.id if version else None,
        hourly_rate=card.hourly_rate,
        setup_fee=card.setup_fee,
        min_charge_minutes=card.min_charge_minutes,
        billing_increment_minutes=card.billing_increment_minutes,
        estimated_fee=estimate_for(interval, card),
    )
    db.session.add(booking)
    _flush_or_conflict(equipment_id, interval)
    audit.record(actor, "booking", booking.id, "create", to_state=booking.status.value)
    notifications.booking_event(booking, "booked")
    return booking


def _flush_or_conflict(equipment_id: int, interval: Interval) -> None:
    """The database has the last word: PostgreSQL's exclusion constraint refuses an overlap."""
    try:
        db.session.flush()
    except IntegrityError as error:
        db.session.rollback()
        if "ex_bookings_no_overlap" in str(error.orig):
            raise conflict_error(equipment_id, interval) from None
        raise


def _reason(reason: str | None, *, required: bool) -> str:
    if (message := check_text(reason, REASON_MAX_LENGTH, required=required)) is not None:
        raise ValidationFailed({"reason": message})
    return (reason or "").strip()


def _change_status(
    actor: User, booking: Booking, action: BookingAction, reason: str = ""
) -> Booking:
    old_status = booking.status
    booking.status = next_status(old_status, action)
    booking.status_reason = reason
    booking.sequence += 1
    audit.record(
        actor,
        "booking",
        booking.id,
        action.value,
        from_state=old_status.value,
        to_state=booking.status.value,
        reason=reason,
    )
    db.session.flush()
    return booking


def _require_platform_of(actor: User, booking: Booking) -> None:
    if not owns_equipment(actor, booking.equipment):
        raise Forbidden(N_("Only the platform that owns the instrument may do this."))


def approve(actor: User, booking: Booking) -> Booking:
    _require_platform_of(actor, booking)
    _change_status(actor, booking, BookingAction.APPROVE)
    notifications.booking_event(booking, "approved")
    return booking


def reject(actor: User, booking: Booking, reason: str) -> Booking:
    _require_platform_of(actor, booking)
    reason = _reason(reason, required=True)
    _change_status(actor, booking, BookingAction.REJECT, reason)
    notifications.booking_event(booking, "rejected")
    return booking


def may_mark_no_show(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    """The owning platform, once a confirmed booking has started."""
    return (
        can_transition(booking.status, BookingAction.NO_SHOW)
        and owns_equipment(actor, booking.equipment)
        and (now or utcnow()) >= booking.start_at
    )


def mark_no_show(actor: User, booking: Booking, now: datetime | None = None) -> Booking:
    _require_platform_of(actor, booking)
    if (now or utcnow()) < booking.start_at:
        raise RuleViolation(
            N_("A booking can be marked as a no-show only after it has started."),
            details={"rule": "not_started"},
        )
    _change_status(actor, booking, BookingAction.NO_SHOW)
    usage.charge_no_show(actor, booking)
    return booking


def may_cancel(actor: User | None, booking: Booking) -> bool:
    """The booking SME and the owning platform may cancel an active booking."""
    if actor is None or not can_transition(booking.status, BookingAction.CANCEL):
        return False
    if actor.role == Role.SME:
        return booking.organization_id == actor.organization_id
    return owns_equipment(actor, booking.equipment)


def may_decide(actor: User | None, booking: Booking) -> bool:
    """Approve or reject: the owning platform, while the booking is pending."""
    return can_transition(booking.status, BookingAction.APPROVE) and owns_equipment(
        actor, booking.equipment
    )


def _is_booking_party(actor: User | None, booking: Booking) -> bool:
    return (
        actor is not None
        and actor.role == Role.SME
        and booking.organization_id == actor.organization_id
    )


def cancels_late(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    """Whether the actor cancelling now would be a late cancellation (only the SME's count)."""
    return _is_booking_party(actor, booking) and is_late_cancellation(
        booking.start_at, now or utcnow(), booking.equipment.cancellation_deadline_hours
    )


def cancel(actor: User, booking: Booking, reason: str, now: datetime | None = None) -> Booking:
    """Cancel with a reason; an SME cancelling after the instrument's deadline cancels late."""
    if not (_is_booking_party(actor, booking) or owns_equipment(actor, booking.equipment)):
        raise Forbidden(N_("Only the booking enterprise or the platform may cancel it."))
    reason = _reason(reason, required=True)
    late = cancels_late(actor, booking, now)
    was_confirmed = booking.status == BookingStatus.CONFIRMED
    _change_status(actor, booking, BookingAction.CANCEL, reason)
    booking.late_cancellation = late
    if late and was_confirmed:  # a request never approved costs nothing to withdraw
        usage.charge_late_cancellation(actor, booking)
    notifications.booking_event(booking, "cancelled")
    return booking


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
