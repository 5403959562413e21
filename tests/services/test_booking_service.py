from datetime import UTC, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import (
    BookingConflict,
    Forbidden,
    InvalidState,
    NotFound,
    OutsideIdleWindow,
    RuleViolation,
    ValidationFailed,
)
from equipment_share.extensions import db
from equipment_share.models import (
    AuditEntry,
    Booking,
    MaintenanceBlock,
    OutboxMessage,
    ProductionRun,
)
from equipment_share.services import bookings, notifications
from tests.clock import local, next_weekday
from tests.conftest import count_rows


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(
        platform,
        requires_approval=True,
        hourly_rate="300.00",
        setup_fee="50.00",
        min_charge_minutes=60,
        billing_increment_minutes=30,
    )
    sme_user = make_user("sme")
    platform_user = make_user("platform", platform)
    return equipment, sme_user, platform_user


TUESDAY = next_weekday(1)


def book(user, equipment, start_hour, end_hour, day=TUESDAY):
    booking = bookings.create_booking(
        user, equipment.id, local(day, start_hour), local(day, end_hour), "R&D sample tests"
    )
    db.session.commit()
    return booking


def test_a_booking_inside_idle_time_is_pending_and_priced_from_the_frozen_rate_card(setting):
    equipment, sme_user, _ = setting

    booking = book(sme_user, equipment, 10, 12)

    assert booking.status == BookingStatus.PENDING
    assert booking.start_at == local(TUESDAY, 10).astimezone(UTC)
    assert booking.estimated_fee == Decimal("650.00")
    equipment.hourly_rate = Decimal("999.00")
    db.session.commit()
    db.session.refresh(booking)
    assert booking.hourly_rate == Decimal("300.00")
    assert booking.estimated_fee == Decimal("650.00")


def test_an_instrument_without_approval_confirms_at_once(setting):
    equipment, sme_user, _ = setting
    equipment.requires_approval = False
    db.session.commit()
    assert book(sme_user, equipment, 10, 12).status == BookingStatus.CONFIRMED


def test_an_overlapping_booking_is_refused_with_the_clashing_interval(setting, make_user):
    equipment, sme_user, _ = setting
    first = book(sme_user, equipment, 10, 12)
    other_sme = make_user("sme")

    with pytest.raises(BookingConflict) as refused:
        book(other_sme, equipment, 11, 13)

    db.session.rollback()
    [clash] = refused.value.details["conflicts"]
    assert (clash.start, clash.end) == (first.start_at, first.end_at)
    assert count_rows(Booking) == 1


def test_back_to_back_bookings_do_not_conflict(setting):
    equipment, sme_user, _ = setting
    book(sme_user, equipment, 10, 12)
    book(sme_user, equipment, 12, 14)
    book(sme_user, equipment, 8, 10)
    assert count_rows(Booking) == 3


@pytest.mark.parametrize("table", [ProductionRun, MaintenanceBlock])
def test_production_runs_and_maintenance_remove_idle_time(setting, table):
    equipment, sme_user, _ = setting
    db.session.add(
        table(
            equipment_id=equipment.id,
            start_at=local(TUESDAY, 11),
            end_at=local(TUESDAY, 12),
        )
    )
    db.session.commit()

    with pytest.raises(OutsideIdleWindow):
        book(sme_user, equipment, 10, 13)
    db.session.rollback()
    assert book(sme_user, equipment, 12, 14).status == BookingStatus.PENDING


def test_time_outside_the_idle_windows_is_refused(setting):
    equipment, sme_user, _ = setting
    with pytest.raises(OutsideIdleWindow):
        book(sme_user, equipment, 19, 21)  # idle until 20:00
    db.session.rollback()
    assert count_rows(Booking) == 0


def test_an_inactive_instrument_cannot_be_booked_by_its_visitors(setting):
    equipment, sme_user, _ = setting
    equipment.active = False
    db.session.commit()
    with pytest.raises(NotFound):
        book(sme_user, equipment, 10, 12)


def test_only_smes_book(setting):
    equipment, _, platform_user = setting
    with pytest.raises(Forbidden):
        book(platform_user, equipment, 10, 12)


def test_end_before_start_is_a_validation_error(setting):
    equipment, sme_user, _ = setting
    with pytest.raises(ValidationFailed) as refused:
        book(sme_user, equipment, 12, 10)
    assert set(refused.value.fields) == {"end"}


def test_a_rule_violation_names_the_rule(setting):
    equipment, sme_user, _ = setting
    with pytest.raises(RuleViolation) as refused:
        bookings.create_booking(
            sme_user, equipment.id, local(TUESDAY, 10, 10), local(TUESDAY, 11, 10)
        )
    assert refused.value.details["rule"] == "slot_granularity"


def test_every_change_is_audited_and_notified(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, 10, 12)
    bookings.approve(platform_user, booking)
    bookings.cancel(sme_user, booking, "sample not ready")
    db.session.commit()

    trail = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id)
        .order_by(AuditEntry.id)
    ).all()
    assert [(entry.action, entry.from_state, entry.to_state) for entry in trail] == [
        ("create", "", "pending"),
        ("approve", "pending", "confirmed"),
        ("cancel", "confirmed", "cancelled"),
    ]
    assert trail[2].actor_id == sme_user.id and trail[2].reason == "sample not ready"
    notifications.expand_booking_events()
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert sme_user.email in recipients and platform_user.email in recipients
    assert booking.sequence == 2


def test_a_cancelled_or_rejected_booking_frees_its_slot(setting, make_user):
    equipment, sme_user, platform_user = setting
    first = book(sme_user, equipment, 10, 12)
    bookings.reject(platform_user, first, "instrument reserved for calibration")
    db.session.commit()
    second = book(make_user("sme"), equipment, 10, 12)
    assert second.status == BookingStatus.PENDING


def test_only_the_owning_platform_decides(setting, make_user):
    equipment, sme_user, _ = setting
    booking = book(sme_user, equipment, 10, 12)
    with pytest.raises(Forbidden):
        bookings.approve(make_user("platform"), booking)
    with pytest.raises(Forbidden):
        bookings.approve(sme_user, booking)


def test_rejecting_needs_a_reason(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, 10, 12)
    with pytest.raises(ValidationFailed) as refused:
        bookings.reject(platform_user, booking, "  ")
    assert set(refused.value.fields) == {"reason"}


def test_an_invalid_transition_is_refused(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, 10, 12)
    bookings.cancel(sme_user, booking, "no longer needed")
    with pytest.raises(InvalidState):
        bookings.approve(platform_user, booking)


@pytest.mark.parametrize("change", ["approve", "cancel"])
def test_a_change_checks_the_state_in_the_database_not_the_one_read_before(setting, change):
    # another process cancels the booking after this one has read it as pending
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, 10, 12)
    assert booking.status == BookingStatus.PENDING
    with db.engine.begin() as other_process:
        other_process.execute(
            update(Booking).where(Booking.id == booking.id).values(status=BookingStatus.CANCELLED)
        )

    with pytest.raises(InvalidState):
        if change == "approve":
            bookings.approve(platform_user, booking)
        else:
            bookings.cancel(sme_user, booking, "no longer needed")

    db.session.rollback()
    assert count_rows(AuditEntry, AuditEntry.object_type == "booking") == 1  # its creation
    assert count_rows(OutboxMessage, OutboxMessage.subject.contains("预约已")) == 0


def test_cancelling_after_the_deadline_is_late(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, 10, 12)
    just_before_start = booking.start_at - timedelta(hours=2)
    bookings.cancel(sme_user, booking, "changed plans", now=just_before_start)
    assert booking.late_cancellation is True


def test_another_sme_cannot_cancel(setting, make_user):
    equipment, sme_user, _ = setting
    booking = book(sme_user, equipment, 10, 12)
    with pytest.raises(Forbidden):
        bookings.cancel(make_user("sme"), booking, "not mine")


def test_no_show_only_after_the_start(setting):
    equipment, sme_user, platform_user = setting
    equipment.requires_approval = False
    db.session.commit()
    booking = book(sme_user, equipment, 10, 12)
    with pytest.raises(RuleViolation):
        bookings.mark_no_show(platform_user, booking)
    bookings.mark_no_show(platform_user, booking, now=booking.start_at + timedelta(minutes=20))
    assert booking.status == BookingStatus.NO_SHOW


def test_postgresql_refuses_an_overlap_even_without_the_service(setting):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's; SQLite relies on the write lock")
    equipment, sme_user, _ = setting
    first = book(sme_user, equipment, 10, 12)
    clone = Booking(
        equipment_id=equipment.id,
        organization_id=first.organization_id,
        booked_by_id=sme_user.id,
        start_at=local(TUESDAY, 11),
        end_at=local(TUESDAY, 13),
        status=BookingStatus.CONFIRMED,
        hourly_rate=first.hourly_rate,
        setup_fee=first.setup_fee,
        min_charge_minutes=0,
        billing_increment_minutes=30,
        estimated_fee=first.estimated_fee,
    )
    db.session.add(clone)
    with pytest.raises(IntegrityError, match="ex_bookings_no_overlap"):
        db.session.commit()
