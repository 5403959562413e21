"""The nearest bookable window when a search finds nothing: pure rules, no app."""

from datetime import date, datetime, time, timedelta

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingRules
from equipment_share.domain.suggestions import (
    booking_length,
    is_bookable_window,
    nearest_later,
    nearest_on_day,
)
from tests.clock import SHANGHAI

DAY = date(2030, 3, 4)  # a Monday
NOW = datetime(2030, 2, 1, 9, 0, tzinfo=SHANGHAI)
RULES = BookingRules(
    slot_minutes=30,
    min_booking_minutes=30,
    max_booking_minutes=480,
    lead_time_hours=24,
    horizon_days=60,
)
HOUR = timedelta(hours=1)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def span(start: tuple, end: tuple, day: date = DAY) -> Interval:
    return Interval(at(*start, day=day), at(*end, day=day))


@pytest.mark.parametrize(
    ("free", "wanted", "length", "expected"),
    [
        # the morning is taken: the afternoon's first two hours
        ([span((8,), (9,)), span((12,), (20,))], time(9), 2 * HOUR, span((12,), (14,))),
        # nearer after than before
        ([span((6,), (7, 30)), span((9, 30), (12,))], time(8, 30), HOUR, span((9, 30), (10, 30))),
        # as near before as after: the earlier one
        ([span((6,), (8,)), span((10,), (12,))], time(8, 30), HOUR, span((7,), (8,))),
        # the nearest start inside a long free interval is the wanted start itself
        ([span((8,), (20,))], time(14), 3 * HOUR, span((14,), (17,))),
        # on the slot grid: a free interval from 09:10 offers 09:30
        ([span((9, 10), (12,))], time(9), HOUR, span((9, 30), (10, 30))),
        # no free interval long enough
        ([span((8,), (9,)), span((10,), (10, 30))], time(8), 2 * HOUR, None),
        # free time of the next day is not the searched day's
        ([span((8,), (20,), day=DAY + timedelta(days=1))], time(9), HOUR, None),
        # an evening window may run past midnight; it starts on the day
        (
            [Interval(at(22), at(2, day=DAY + timedelta(days=1)))],
            time(23),
            2 * HOUR,
            Interval(at(23), at(1, day=DAY + timedelta(days=1))),
        ),
    ],
)
def test_nearest_window_on_the_day(free, wanted, length, expected):
    assert nearest_on_day(free, DAY, wanted, length, RULES, NOW) == expected


def test_nothing_before_the_lead_time():
    now = at(10, 15) - timedelta(hours=RULES.lead_time_hours)

    found = nearest_on_day([span((8,), (20,))], DAY, time(9), HOUR, RULES, now)

    assert found == span((10, 30), (11, 30))


def test_nothing_beyond_the_horizon():
    now = at(8) - timedelta(days=RULES.horizon_days)

    assert nearest_on_day([span((8,), (20,))], DAY, time(9), HOUR, RULES, now) is None


def test_the_last_window_before_the_horizon():
    now = at(9) - timedelta(days=RULES.horizon_days)

    found = nearest_on_day([span((8,), (20,))], DAY, time(11), HOUR, RULES, now)

    assert found == span((8,), (9,))


def test_later_days_start_with_the_first_day_that_has_a_window():
    third = DAY + timedelta(days=3)
    free = [span((18,), (22,), day=third), span((8,), (20,), day=DAY + timedelta(days=5))]

    found = nearest_later(free, DAY, time(9), 2 * HOUR, RULES, NOW)

    assert found == span((18,), (20,), day=third)


def test_the_same_hours_on_the_next_day_when_they_are_free():
    free = [span((8,), (20,), day=DAY + timedelta(days=1))]

    assert nearest_later(free, DAY, time(9), 2 * HOUR, RULES, NOW) == span(
        (9,), (11,), day=DAY + timedelta(days=1)
    )


def test_no_later_day_beyond_a_week():
    free = [span((8,), (20,), day=DAY + timedelta(days=8))]

    assert nearest_later(free, DAY, time(9), HOUR, RULES, NOW) is None


@pytest.mark.parametrize(
    ("requested", "minimum", "maximum", "expected"),
    [
        (timedelta(minutes=60), 30, 480, timedelta(minutes=60)),
        (timedelta(minutes=50), 30, 480, timedelta(minutes=60)),  # up to the slot grid
        (timedelta(minutes=30), 90, 480, timedelta(minutes=90)),  # at least the shortest
        (timedelta(hours=9), 30, 480, None),  # longer than the longest booking
    ],
)
def test_booking_length(requested, minimum, maximum, expected):
    rules = BookingRules(30, minimum, maximum, 24, 60)

    assert booking_length(requested, rules) == expected


@pytest.mark.parametrize(
    ("window", "bookable"),
    [
        (span((9,), (11,)), True),
        (span((9,), (13,)), False),  # runs into busy time
        (span((9, 10), (11,)), False),  # off the slot grid
        (span((14,), (15,)), True),
    ],
)
def test_a_window_is_bookable_inside_free_time_and_the_rules(window, bookable):
    free = [span((8,), (12,)), span((13,), (20,))]

    assert is_bookable_window(window, free, RULES, NOW) is bookable
