"""Recording what a booking was used for, pricing it by the frozen rate card, and settling it.

Each operation takes the acting user, checks who may act and the record's state, writes the
record, the booking's new state and the audit entries in one transaction, and raises a domain
error (which changes nothing) when a rule says no. The audit entry keeps the values before and
after every change, so a corrected record's history survives in the log.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, false, select
from sqlalchemy.exc import IntegrityError

from equipment_share.database import serialise_with_period_locks
from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingAction, BookingStatus
from equipment_share.domain.errors import (
    N_,
    InvalidState,
    NotFound,
    RuleViolation,
    ValidationFailed,
)
from equipment_share.domain.fees import (
    FeeStatement,
    late_cancellation_fee,
    no_show_fee,
    usage_fee,
)
from equipment_share.domain.fields import check_text, clean_reason
from equipment_share.domain.usage import (
    EARLY_CHECK_IN,
    UsageAction,
    UsageKind,
    UsageStatus,
    can_transition,
    check_actual_times,
    is_overrun,
    lines_as_data,
    may_check_in_at,
    next_status,
    parse_items,
)
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, Role, UsageRecord, User, utcnow
from equipment_share.services import audit, notifications, period_locks
from equipment_share.services.access import (
    can_see_booking,
    is_booking_sme,
    is_platform_of,
    require_booking_sme,
    require_platform_of,
)
from equipment_share.services.booking_states import change_status
from equipment_share.services.locks import lock_booking, lock_row
from equipment_share.services.rate_cards import frozen_rate_card

NOTE_MAX_LENGTH = 2000
# the values an audit entry compares before and after a change
TRACKED = (
    "kind",
    "status",
    "actual_start",
    "actual_end",
    "billable_minutes",
    "fee",
    "items",
    "overrun",
    "note",
)


def booked_interval(booking: Booking) -> Interval:
    return Interval(booking.start_at, booking.end_at)


# --- who may do what (pages and the API ask here) ---


def may_check_in(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    return (
        is_platform_of(actor, booking)
        and booking.status == BookingStatus.CONFIRMED
        and booking.usage_record is None
        and may_check_in_at(booked_interval(booking), now or utcnow())
        and _open_for_changes(booking.start_at)
    )


def may_record(actor: User | None, booking: Booking, now: datetime | None = None) -> bool:
    """Enter actual times: the owning platform, once a confirmed booking has begun."""
    record = booking.usage_record
    return (
        is_platform_of(actor, booking)
        and booking.status == BookingStatus.CONFIRMED
        and (record is None or record.status == UsageStatus.IN_PROGRESS)
        and (now or utcnow()) >= booking.start_at - EARLY_CHECK_IN
        and _open_for_changes(booking.start_at)
    )


def may_check_out(actor: User | None, record: UsageRecord) -> bool:
    return (
        is_platform_of(actor, record.booking)
        and can_transition(record.status, UsageAction.CHECK_OUT)
        and _open_for_changes(record.occurred_at)
    )


def may_settle(actor: User | None, record: UsageRecord) -> bool:
    """Confirm: the booking SME, while the record waits for its answer (a disputed record waits
    for the platform's correction instead)."""
    return is_booking_sme(actor, record.booking) and can_transition(
        record.status, UsageAction.CONFIRM
    )


def may_dispute(actor: User | None, record: UsageRecord) -> bool:
    return is_booking_sme(actor, record.booking) and can_transition(
        record.status, UsageAction.DISPUTE
    )


def may_correct(actor: User | None, record: UsageRecord) -> bool:
    """New actual times: not for a late-cancellation charge (`correct` refuses it)."""
    return (
        is_platform_of(actor, record.booking)
        and can_transition(record.status, UsageAction.CORRECT)
        and record.kind != UsageKind.LATE_CANCELLATION
        and _open_for_changes(record.occurred_at)
    )


def may_waive(actor: User | None, record: UsageRecord) -> bool:
    return (
        is_platform_of(actor, record.booking)
        and can_transition(record.status, UsageAction.WAIVE)
        and _open_for_changes(record.occurred_at)
    )


def _open_for_changes(instant: datetime) -> bool:
    """Not in a locked period: the buttons follow the rule `_require_open_period` enforces."""
    return not period_locks.is_locked(instant)


# --- recording ---


def check_in(actor: User, booking: Booking, now: datetime | None = None) -> UsageRecord:
    """The platform starts the clock: the SME is at the instrument now."""
    require_platform_of(actor, booking)
    now = now or utcnow()
    lock_booking(booking)
    _require_open_period(booking.start_at, now)
    _require_confirmed_without_record(booking)
    if not may_check_in_at(booked_interval(booking), now):
        raise RuleViolation(
            N_("Check-in is possible from an hour before the booked start until its end."),
            details={"rule": "check_in_time"},
        )
    record = _new_record(actor, booking, UsageKind.USAGE, UsageStatus.IN_PROGRESS)
    record.actual_start = record.occurred_at = now
    db.session.add(record)
    _flush_new_record(record)
    _log(actor, record, "check_in", {}, reason="")
    return record


def check_out(
    actor: User,
    record: UsageRecord,
    now: datetime | None = None,
    items: Sequence[Mapping] | None = None,
    note: str = "",
) -> UsageRecord:
    """The platform stops the clock now; the use is priced and the booking completed."""
    require_platform_of(actor, record.booking)
    _lock_with_booking(record)  # it completes the booking
    _require_open_period(record.occurred_at)
    status = next_status(record.status, UsageAction.CHECK_OUT)
    now = now or utcnow()
    if now <= record.actual_start:
        raise RuleViolation(N_("Check-out must come after check-in."), details={"rule": "order"})
    priced = _priced_use(record.booking, Interval(record.actual_start, now), items, note)
    before = _snapshot(record)
    record.status = status
    _apply(record, priced)
    _log(actor, record, "check_out", before)
    _complete_booking(actor, record.booking)
    notifications.usage_event(record, "usage_recorded")
    return record


def record_usage(
    actor: User,
    booking: Booking,
    actual_start: datetime | None,
    actual_end: datetime | None,
    note: str = "",
    items: Sequence[Mapping] | None = None,
    now: datetime | None = None,
) -> UsageRecord:
    """The platform enters the actual times after the fact (or closes a check-in with them)."""
    require_platform_of(actor, booking)
    now = now or utcnow()
    lock_booking(booking)
    record = booking.usage_record
    if record is not None:
        _lock(record)
    _require_open_period(booking.start_at, actual_start)
    if record is not None and record.status != UsageStatus.IN_PROGRESS:
        raise InvalidState(N_("Use of this booking has already been recorded."))
    if record is None:
        _require_confirmed_without_record(booking)
    actual = check_actual_times(actual_start, actual_end, booked_interval(booking), now)
    priced = _priced_use(booking, actual, items, note)
    before = _snapshot(record) if record is not None else {}
    if record is None:
        record = _new_record(actor, booking, UsageKind.USAGE, UsageStatus.RECORDED)
        db.session.add(record)
    else:
        record.status = next_status(record.status, UsageAction.CHECK_OUT)
    _apply(record, priced)
    _flush_new_record(record)
    _log(actor, record, "record", before)
    _complete_booking(actor, booking)
    notifications.usage_event(record, "usage_recorded")
    return record


def charge_no_show(actor: User, booking: Booking) -> UsageRecord | None:
    """The rate card's no-show charge, as a record the SME can confirm or dispute."""
    statement = no_show_fee(booking.estimated_fee, frozen_rate_card(booking))
    return _charge(actor, booking, UsageKind.NO_SHOW, statement)


def charge_late_cancellation(actor: User, booking: Booking) -> UsageRecord | None:
    statement = late_cancellation_fee(booking.estimated_fee, frozen_rate_card(booking))
    return _charge(actor, booking, UsageKind.LATE_CANCELLATION, statement)


def _charge(
    actor: User, booking: Booking, kind: UsageKind, statement: FeeStatement | None
) -> UsageRecord | None:
    if statement is None or booking.usage_record is not None:
        return None
    _require_open_period(booking.start_at)
    record = _new_record(actor, booking, kind, UsageStatus.RECORDED)
    _set_statement(record, statement)
    db.session.add(record)
    _flush_new_record(record)
    _log(actor, record, "charge", {})
    notifications.usage_event(record, "usage_charged")
    return record


# --- settling ---


def confirm(actor: User, record: UsageRecord, now: datetime | None = None) -> UsageRecord:
    require_booking_sme(actor, record.booking)
    _lock(record)
    return _settle(actor, record, now or utcnow(), "confirm")


def dispute(actor: User, record: UsageRecord, reason: str | None) -> UsageRecord:
    require_booking_sme(actor, record.booking)
    reason = clean_reason(reason)
    _lock(record)
    before = _snapshot(record)
    record.status = next_status(record.status, UsageAction.DISPUTE)
    record.status_reason = reason
    record.status_changed_at = utcnow()
    _log(actor, record, "dispute", before, reason=reason)
    notifications.usage_event(record, "usage_disputed")
    return record


def correct(
    actor: User,
    record: UsageRecord,
    actual_start: datetime | None,
    actual_end: datetime | None,
    reason: str | None,
    items: Sequence[Mapping] | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> UsageRecord:
    """New actual times (and items) for a recorded or disputed record; back to recorded for the
    SME to confirm. A no-show or late-cancellation charge corrected with times becomes use."""
    booking = record.booking
    require_platform_of(actor, booking)
    reason = clean_reason(reason)
    _lock_with_booking(record)  # a corrected no-show completes the booking
    _require_open_period(record.occurred_at, actual_start)
    status = next_status(record.status, UsageAction.CORRECT)
    if record.kind == UsageKind.LATE_CANCELLATION:
        raise InvalidState(N_("A cancelled booking was not used; its charge can only be waived."))
    actual = check_actual_times(actual_start, actual_end, booked_interval(booking), now or utcnow())
    priced = _priced_use(
        booking,
        actual,
        record.items if items is None else items,
        record.note if note is None else note,
    )
    before = _snapshot(record)
    _apply(record, priced)
    if record.kind == UsageKind.NO_SHOW:
        record.kind = UsageKind.USAGE
        _complete_booking(actor, booking)
    _reopen(record, status, reason)
    _log(actor, record, "correct", before, reason=reason)
    notifications.usage_event(record, "usage_corrected")
    return record


def waive(actor: User, record: UsageRecord, reason: str | None) -> UsageRecord:
    """The platform drops the charge: the record stays, at no fee, for the SME to confirm."""
    require_platform_of(actor, record.booking)
    reason = clean_reason(reason)
    _lock(record)
    _require_open_period(record.occurred_at)
    before = _snapshot(record)
    status = next_status(record.status, UsageAction.WAIVE)
    _set_statement(record, FeeStatement(()))
    _reopen(record, status, reason)
    _log(actor, record, "waive", before, reason=reason)
    notifications.usage_event(record, "usage_corrected")
    return record


def auto_confirm(days: int, now: datetime | None = None) -> list[UsageRecord]:
    """Confirm records left recorded (not disputed) for `days` days; run daily by cron."""
    deadline = (now or utcnow()) - timedelta(days=days)
    due = db.session.scalars(
        select(UsageRecord)
        .where(
            UsageRecord.status == UsageStatus.RECORDED,
            UsageRecord.status_changed_at <= deadline,
        )
        .order_by(UsageRecord.id)
        .with_for_update(skip_locked=True)  # one an SME is answering right now waits a day
    ).all()
    for record in due:
        _settle(None, record, now or utcnow(), "auto_confirm")
    return list(due)


def _settle(actor: User | None, record: UsageRecord, now: datetime, action: str) -> UsageRecord:
    before = _snapshot(record)
    record.status = next_status(record.status, UsageAction.CONFIRM)
    record.confirmed_by_id = actor.id if actor else None
    record.confirmed_automatically = actor is None
    record.confirmed_at = record.status_changed_at = now
    _log(actor, record, action, before)
    return record


# --- lists ---


def visible_usage_query(
    viewer: User,
    *,
    organization_id: int | None = None,
    equipment_id: int | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    status: UsageStatus | None = None,
) -> Select:
    """Records as bookings are visible: an SME's own, a platform's instruments', all for the
    operators; `start`/`end` match `occurred_at` in [start, end); `organization_id` matches
    either side (the SME or the platform)."""
    query = select(UsageRecord).order_by(UsageRecord.occurred_at, UsageRecord.id)
    if viewer.role == Role.SME:
        query = query.where(UsageRecord.organization_id == viewer.organization_id)
    elif viewer.role == Role.PLATFORM:
        query = query.where(UsageRecord.platform_id == viewer.organization_id)
    elif viewer.role not in (Role.ADMIN, Role.FINANCE):
        return query.where(false())
    if organization_id is not None:
        query = query.where(
            (UsageRecord.organization_id == organization_id)
            | (UsageRecord.platform_id == organization_id)
        )
    if equipment_id is not None:
        query = query.where(UsageRecord.equipment_id == equipment_id)
    if start is not None:
        query = query.where(UsageRecord.occurred_at >= start)
    if end is not None:
        query = query.where(UsageRecord.occurred_at < end)
    if status is not None:
        query = query.where(UsageRecord.status == status)
    return query


def can_see_usage(viewer: User | None, record: UsageRecord) -> bool:
    return can_see_booking(viewer, record.booking)


def visible_usage(viewer: User | None, usage_id: int) -> UsageRecord:
    """The record, for whoever may see its booking; NotFound for everyone else."""
    record = db.session.get(UsageRecord, usage_id)
    if record is None or not can_see_usage(viewer, record):
        raise NotFound()
    return record


# --- the parts ---


def _require_open_period(*instants: datetime | None) -> None:
    """The one check every change of use makes: none of the days it touches is in a locked
    period (409 period_locked). Taken in the change's own transaction, serialised with locking
    a period, so a lock and a change cannot pass each other unseen."""
    serialise_with_period_locks(exclusive=False)
    period_locks.require_open(*instants)


def _require_confirmed_without_record(booking: Booking) -> None:
    if booking.status != BookingStatus.CONFIRMED:
        raise InvalidState(
            N_("Use can be recorded only for a confirmed booking."),
            details={"status": booking.status.value},
        )
    if booking.usage_record is not None:
        raise InvalidState(N_("Use of this booking has already been recorded."))


def _new_record(actor: User, booking: Booking, kind: UsageKind, status: UsageStatus) -> UsageRecord:
    equipment: Equipment = booking.equipment
    return UsageRecord(
        booking=booking,
        equipment_id=equipment.id,
        organization_id=booking.organization_id,
        platform_id=equipment.platform_id,
        kind=kind,
        status=status,
        occurred_at=booking.start_at,
        recorded_by_id=actor.id,
        status_changed_at=utcnow(),
        lines=[],
        items=[],
    )


@dataclass(frozen=True)
class PricedUse:
    """A use checked and priced, not yet written to its record."""

    actual: Interval
    items: list[dict]
    note: str
    overrun: bool
    statement: FeeStatement


def _priced_use(
    booking: Booking, actual: Interval, items: Sequence[Mapping] | None, note: str | None
) -> PricedUse:
    card = frozen_rate_card(booking)
    item_lines = parse_items(items, card)
    if (message := check_text(note, NOTE_MAX_LENGTH)) is not None:
        raise ValidationFailed({"note": message})
    return PricedUse(
        actual=actual,
        items=[{"code": line.code, "quantity": str(line.quantity)} for line in item_lines],
        note=(note or "").strip(),
        overrun=is_overrun(actual.end, booked_interval(booking)),
        statement=usage_fee(actual, card, item_lines),
    )


def _apply(record: UsageRecord, priced: PricedUse) -> None:
    record.actual_start, record.actual_end = priced.actual.start, priced.actual.end
    record.occurred_at = priced.actual.start
    record.overrun = priced.overrun
    record.items = priced.items
    record.note = priced.note
    _set_statement(record, priced.statement)


def _set_statement(record: UsageRecord, statement: FeeStatement) -> None:
    record.lines = lines_as_data(statement)
    record.fee = statement.total
    record.billable_minutes = statement.billable_minutes
    record.actual_minutes = statement.actual_minutes


def _reopen(record: UsageRecord, status: UsageStatus, reason: str) -> None:
    record.status = status
    record.status_reason = reason
    record.status_changed_at = utcnow()
    record.corrections += 1


def _lock(record: UsageRecord) -> None:
    """Re-read the record under a row lock, so two people answering it at once act one after
    the other, the second on what the first left."""
    lock_row(record)


def _lock_with_booking(record: UsageRecord) -> None:
    """Lock the booking, then its record: the order every change that touches both takes (check-in
    and recording lock the booking first too), so two of them never wait for each other."""
    lock_booking(record.booking)
    _lock(record)


def _flush_new_record(record: UsageRecord) -> None:
    """A booking has one record: when two requests race to write it, the second is refused."""
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise InvalidState(N_("Use of this booking has already been recorded.")) from None


def _complete_booking(actor: User, booking: Booking) -> None:
    change_status(actor, booking, BookingAction.COMPLETE)


def _snapshot(record: UsageRecord) -> dict:
    return {name: getattr(record, name) for name in TRACKED}


def _log(
    actor: User | None, record: UsageRecord, action: str, before: dict, reason: str = ""
) -> None:
    db.session.flush()
    after = _snapshot(record)
    audit.record(
        actor,
        "usage",
        record.id,
        action,
        from_state=str(before.get("status", "")),
        to_state=record.status.value,
        reason=reason,
        changes=audit.value_changes(before, after),
    )
