from datetime import UTC, datetime, timedelta

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import (
    BookingAction,
    BookingRules,
    BookingStatus,
    can_transition,
    check_booking_rules,
    is_late_cancellation,
    next_status,
)
from equipment_share.domain.errors import InvalidState, RuleViolation

NOW = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Shanghai
RULES = BookingRules(
    slot_minutes=30,
    min_booking_minutes=60,
    max_booking_minutes=240,
    lead_time_hours=24,
    horizon_days=30,
    timezone="Asia/Shanghai",
)


def shanghai(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Shanghai in December 2026, as UTC."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


@pytest.mark.parametrize(
    ("start", "end", "rule"),
    [
        (shanghai(1, 6), shanghai(1, 7), "past"),
        (shanghai(3, 9, 15), shanghai(3, 10, 15), "slot_granularity"),
        (shanghai(3, 9), shanghai(3, 10, 10), "slot_granularity"),
        (shanghai(3, 9), shanghai(3, 9, 30), "min_duration"),
        (shanghai(3, 9), shanghai(3, 13, 30), "max_duration"),
        (shanghai(1, 12), shanghai(1, 13), "lead_time"),
        (shanghai(31, 9), shanghai(31, 10), "horizon"),
    ],
)
def test_a_slot_that_breaks_a_rule_is_refused_naming_the_rule(start, end, rule):
    with pytest.raises(RuleViolation) as refused:
        check_booking_rules(Interval(start, end), RULES, NOW)
    assert refused.value.details == {"rule": rule}


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (shanghai(2, 8), shanghai(2, 9)),  # exactly at the lead time
        (shanghai(3, 9, 30), shanghai(3, 13, 30)),  # exactly the maximum
        (shanghai(30, 23), shanghai(31, 0)),  # ends within the horizon
    ],
)
def test_a_slot_within_every_rule_is_accepted(start, end):
    check_booking_rules(Interval(start, end), RULES, NOW)


def test_the_slot_grid_is_counted_in_the_instrument_time_zone():
    # 09:00 in Kathmandu (UTC+05:45) is on a 30-minute grid there, not in UTC.
    rules = BookingRules(30, 60, 240, 0, 30, timezone="Asia/Kathmandu")
    start = datetime(2026, 12, 3, 3, 15, tzinfo=UTC)
    check_booking_rules(Interval(start, start + timedelta(hours=1)), rules, NOW)
    with pytest.raises(RuleViolation):
        check_booking_rules(Interval(start, start + timedelta(hours=1)), RULES, NOW)


@pytest.mark.parametrize(
    ("current", "action", "expected"),
    [
        (BookingStatus.PENDING, BookingAction.APPROVE, BookingStatus.CONFIRMED),
        (BookingStatus.PENDING, BookingAction.REJECT, BookingStatus.REJECTED),
        (BookingStatus.PENDING, BookingAction.CANCEL, BookingStatus.CANCELLED),
        (BookingStatus.CONFIRMED, BookingAction.CANCEL, BookingStatus.CANCELLED),
        (BookingStatus.CONFIRMED, BookingAction.NO_SHOW, BookingStatus.NO_SHOW),
        (BookingStatus.CONFIRMED, BookingAction.COMPLETE, BookingStatus.COMPLETED),
        # a no-show corrected with the actual times of use
        (BookingStatus.NO_SHOW, BookingAction.COMPLETE, BookingStatus.COMPLETED),
    ],
)
def test_allowed_transitions(current, action, expected):
    assert next_status(current, action) == expected
    assert can_transition(current, action)


@pytest.mark.parametrize(
    ("current", "action"),
    [
        (BookingStatus.CANCELLED, BookingAction.APPROVE),
        (BookingStatus.CONFIRMED, BookingAction.APPROVE),
        (BookingStatus.CONFIRMED, BookingAction.REJECT),
        (BookingStatus.REJECTED, BookingAction.CANCEL),
        (BookingStatus.COMPLETED, BookingAction.CANCEL),
        (BookingStatus.PENDING, BookingAction.NO_SHOW),
        (BookingStatus.CANCELLED, BookingAction.COMPLETE),
    ],
)
def test_other_transitions_are_invalid(current, action):
    assert not can_transition(current, action)
    with pytest.raises(InvalidState) as refused:
        next_status(current, action)
    assert refused.value.details == {"status": current.value, "action": action.value}


@pytest.mark.parametrize(
    ("hours_before_start", "late"),
    [(48, False), (24, False), (23, True), (0, True)],
)
def test_late_cancellation_is_after_the_deadline(hours_before_start, late):
    start = NOW + timedelta(days=5)
    now = start - timedelta(hours=hours_before_start)
    assert is_late_cancellation(start, now, deadline_hours=24) is late
