"""The week as intervals: which time of a week is free, busy (and why, as far as the viewer may
know) or closed, where each block sits on the 5-minute axis, and which hours are shown."""

from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest

from equipment_share.domain.availability import (
    Interval,
    WeeklyRule,
    compute_availability,
    idle_time,
)
from equipment_share.domain.bookings import BookingRules
from equipment_share.domain.week_grid import (
    BlockState,
    BusyKind,
    Occupancy,
    build_week_grid,
    default_booking_minutes,
    monday_of,
    week_window,
)
from scripts.week_grid_css import OUTPUT, stylesheet
from tests.clock import SHANGHAI, local

MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)
FREE, BUSY = BlockState.FREE, BlockState.BUSY
EVERY_DAY_8_TO_20 = WeeklyRule(frozenset(range(7)), time(8), time(20))
# A week before MONDAY: nothing of the week is in the past or inside the lead time.
LONG_BEFORE = datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI)


def rules(**changes) -> BookingRules:
    values = {
        "slot_minutes": 30,
        "min_booking_minutes": 30,
        "max_booking_minutes": 480,
        "lead_time_hours": 0,
        "horizon_days": 60,
        "timezone": "Asia/Shanghai",
    }
    return BookingRules(**(values | changes))


def grid_for(
    weekly=(EVERY_DAY_8_TO_20,),
    blocks=(),
    now=LONG_BEFORE,
    booking_rules=None,
    one_off=(),
    **options,
):
    """`blocks` are intervals (shown as plain busy) or occupancies."""
    occupancies = [b if isinstance(b, Occupancy) else Occupancy(b) for b in blocks]
    window = week_window(MONDAY, SHANGHAI)
    idle = idle_time(weekly, one_off, SHANGHAI, window)
    availability = compute_availability(idle, [o.interval for o in occupancies], window)
    return build_week_grid(
        MONDAY,
        booking_rules or rules(),
        idle=idle,
        free=availability.free,
        busy=occupancies,
        now=now,
        **options,
    )


def spans(grid, day: date) -> list[tuple[str, str, str]]:
    """(state, start, end) of each block of a day, in local wall time."""
    column = grid.days.index(day)
    return [
        (block.state.value, block.start_label, block.end_label)
        for block in grid.blocks
        if block.day == column
    ]


def test_a_free_day_is_one_block_placed_on_the_5_minute_axis():
    grid = grid_for()

    assert grid.days == tuple(MONDAY + timedelta(days=offset) for offset in range(7))
    assert grid.first_minute == 8 * 60
    assert grid.rows == 12 * 12
    assert [mark.label for mark in grid.hours][:2] == ["08:00", "09:00"]
    assert [mark.row for mark in grid.hours][:2] == [1, 13]
    [block] = grid.day_blocks(1)
    assert (block.state, block.row, block.span) == (FREE, 1, 144)
    assert block.start == local(TUESDAY, 8)
    assert block.end == local(TUESDAY, 20)
    assert block.start.utcoffset() == timedelta(0)
    assert len(grid.blocks) == 7
    assert grid.previous_monday == date(2026, 2, 23)
    assert grid.next_monday == date(2026, 3, 9)


def test_a_booking_splits_the_free_time_and_is_busy_without_a_name():
    booking = Interval(local(TUESDAY, 10), local(TUESDAY, 11))

    grid = grid_for(blocks=[booking])

    assert spans(grid, TUESDAY) == [
        ("free", "08:00", "10:00"),
        ("busy", "10:00", "11:00"),
        ("free", "11:00", "20:00"),
    ]
    busy = grid.day_blocks(1)[1]
    assert (busy.row, busy.span) == (25, 12)
    assert busy.occupancy.kind == BusyKind.BUSY
    assert busy.occupancy.who is None
    assert spans(grid, MONDAY) == [("free", "08:00", "20:00")]


def test_free_time_is_cut_to_whole_slots():
    grid = grid_for(blocks=[Interval(local(TUESDAY, 10, 15), local(TUESDAY, 10, 45))])

    assert spans(grid, TUESDAY) == [
        ("free", "08:00", "10:00"),
        ("busy", "10:15", "10:45"),
        ("free", "11:00", "20:00"),
    ]


def test_busy_time_outside_idle_windows_is_closed():
    weekly = [EVERY_DAY_8_TO_20, WeeklyRule(frozenset({1}), time(6), time(8))]
    production = Interval(local(MONDAY, 6), local(MONDAY, 9))

    grid = grid_for(weekly=weekly, blocks=[production])

    assert grid.first_minute == 6 * 60
    assert spans(grid, MONDAY) == [("busy", "08:00", "09:00"), ("free", "09:00", "20:00")]
    assert spans(grid, TUESDAY) == [("free", "06:00", "20:00")]


def test_the_past_is_closed_and_so_is_the_part_of_a_booking_before_now():
    now = local(TUESDAY, 12, 10)
    booking = Interval(local(TUESDAY, 11), local(TUESDAY, 13))

    grid = grid_for(blocks=[booking], now=now)

    assert spans(grid, MONDAY) == []
    assert spans(grid, TUESDAY) == [("busy", "12:10", "13:00"), ("free", "13:00", "20:00")]


def test_time_inside_the_lead_time_or_beyond_the_horizon_is_closed():
    now = local(MONDAY, 9)

    grid = grid_for(now=now, booking_rules=rules(lead_time_hours=24, horizon_days=3))

    assert spans(grid, TUESDAY) == [("free", "09:00", "20:00")]
    assert spans(grid, date(2026, 3, 5)) == [("free", "08:00", "09:00")]
    assert spans(grid, date(2026, 3, 6)) == []


def test_an_instrument_not_open_for_booking_has_no_free_block_but_shows_busy_ones():
    booking = Interval(local(TUESDAY, 10), local(TUESDAY, 11))

    grid = grid_for(blocks=[booking], open_for_booking=False)

    assert not grid.has_free
    assert spans(grid, TUESDAY) == [("busy", "10:00", "11:00")]


def test_without_idle_time_the_grid_shows_8_to_20_and_nothing_in_it():
    grid = grid_for(weekly=[])

    assert grid.first_minute == 8 * 60
    assert grid.rows == 12 * 12
    assert grid.blocks == ()


@pytest.mark.parametrize(
    ("weekly", "first", "last"),
    [
        ([WeeklyRule(frozenset({0}), time(9, 30), time(17, 15))], "09:00", "17:00"),
        ([WeeklyRule(frozenset({0}), time(10), time(12))], "10:00", "11:00"),
        ([WeeklyRule(frozenset({4}), time(22), time(2))], "00:00", "23:00"),  # overnight
        ([WeeklyRule(frozenset({4}), time(13), time(0))], "13:00", "23:00"),  # to midnight
    ],
)
def test_hours_cover_the_idle_time_in_whole_hours(weekly, first, last):
    grid = grid_for(weekly=weekly)

    assert grid.hours[0].label == first
    assert grid.hours[-1].label == last
    assert grid.rows == len(grid.hours) * 12


def test_an_overnight_window_is_cut_at_midnight_into_two_days():
    grid = grid_for(weekly=[WeeklyRule(frozenset({4}), time(22), time(2))])

    friday, saturday = grid.days.index(date(2026, 3, 6)), grid.days.index(date(2026, 3, 7))
    assert [(b.day, b.start_label, b.end_label, b.row, b.span) for b in grid.blocks] == [
        (friday, "22:00", "24:00", 22 * 12 + 1, 24),
        (saturday, "00:00", "02:00", 1, 24),
    ]


def test_a_one_off_window_widens_the_hours_of_the_week():
    evening = Interval(local(TUESDAY, 20), local(TUESDAY, 22))

    grid = grid_for(one_off=[evening])

    assert grid.hours[-1].label == "21:00"
    assert spans(grid, TUESDAY) == [("free", "08:00", "22:00")]
    assert spans(grid, MONDAY) == [("free", "08:00", "20:00")]


def test_hour_slots_leave_a_half_hour_at_the_start_closed():
    weekly = [WeeklyRule(frozenset({1}), time(8, 30), time(12))]

    grid = grid_for(weekly=weekly, booking_rules=rules(slot_minutes=60))

    assert spans(grid, TUESDAY) == [("free", "09:00", "12:00")]


def test_a_free_time_shorter_than_a_slot_is_not_offered():
    blocks = [
        Interval(local(TUESDAY, 8), local(TUESDAY, 10, 10)),
        Interval(local(TUESDAY, 10, 40), local(TUESDAY, 20)),
    ]

    grid = grid_for(blocks=blocks)

    assert [state for state, _, _ in spans(grid, TUESDAY)] == ["busy", "busy"]


# --- who's who: what an occupancy shows ---------------------------------------------------------


def test_a_booking_shows_before_maintenance_before_production_where_they_overlap():
    production = Occupancy(Interval(local(TUESDAY, 9), local(TUESDAY, 13)), BusyKind.PRODUCTION)
    maintenance = Occupancy(Interval(local(TUESDAY, 12), local(TUESDAY, 14)), BusyKind.MAINTENANCE)
    booking = Occupancy(
        Interval(local(TUESDAY, 10), local(TUESDAY, 11)),
        BusyKind.BOOKING,
        status="confirmed",
        who="华晟煤化科技有限公司",
        booking_id=7,
    )

    grid = grid_for(blocks=[production, maintenance, booking])

    busy = [b for b in grid.day_blocks(1) if b.state == BUSY]
    assert [(b.occupancy.kind, b.start_label, b.end_label) for b in busy] == [
        (BusyKind.PRODUCTION, "09:00", "10:00"),
        (BusyKind.BOOKING, "10:00", "11:00"),
        (BusyKind.PRODUCTION, "11:00", "12:00"),
        (BusyKind.MAINTENANCE, "12:00", "14:00"),
    ]
    assert busy[1].occupancy.who == "华晟煤化科技有限公司"
    assert busy[1].occupancy.status == "confirmed"


def test_plain_busy_pieces_that_touch_are_one_block():
    first = Occupancy(Interval(local(TUESDAY, 10), local(TUESDAY, 11)))
    second = Occupancy(Interval(local(TUESDAY, 11), local(TUESDAY, 12)))
    mine = Occupancy(
        Interval(local(TUESDAY, 12), local(TUESDAY, 13)),
        BusyKind.BOOKING,
        mine=True,
        status="pending",
        booking_id=3,
    )

    grid = grid_for(blocks=[first, second, mine])

    busy = [b for b in grid.day_blocks(1) if b.state == BUSY]
    assert [(b.start_label, b.end_label, b.occupancy.mine) for b in busy] == [
        ("10:00", "12:00", False),
        ("12:00", "13:00", True),
    ]


def test_the_generated_stylesheet_is_up_to_date():
    assert Path(OUTPUT).read_text(encoding="utf-8") == stylesheet()


@pytest.mark.parametrize(
    ("slot", "minimum", "expected"),
    [(30, 30, 30), (30, 60, 60), (30, 45, 60), (60, 30, 60), (15, 50, 60)],
)
def test_default_booking_length_is_the_minimum_on_the_slot_grid(slot, minimum, expected):
    assert default_booking_minutes(rules(slot_minutes=slot, min_booking_minutes=minimum)) == (
        expected
    )


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 3, 2), date(2026, 3, 2)),
        (date(2026, 3, 5), date(2026, 3, 2)),
        (date(2026, 3, 8), date(2026, 3, 2)),
        (date(2026, 3, 9), date(2026, 3, 9)),
    ],
)
def test_monday_of(day, monday):
    assert monday_of(day) == monday


def test_week_window_runs_from_local_monday_midnight_for_seven_days():
    window = week_window(MONDAY, SHANGHAI)

    assert window.start == local(MONDAY, 0)
    assert window.end == local(date(2026, 3, 9), 0)
