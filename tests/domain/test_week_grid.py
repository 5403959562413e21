"""The week grid: which slot of a week is free, busy or closed, and which rows are shown."""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.availability import (
    Interval,
    WeeklyRule,
    compute_availability,
    idle_time,
)
from equipment_share.domain.bookings import BookingRules
from equipment_share.domain.week_grid import (
    CellState,
    build_week_grid,
    default_booking_minutes,
    monday_of,
    week_window,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONDAY = date(2026, 3, 2)
TUESDAY = MONDAY + timedelta(days=1)
FREE, BUSY, CLOSED = CellState.FREE, CellState.BUSY, CellState.CLOSED
EVERY_DAY_8_TO_20 = WeeklyRule(frozenset(range(7)), time(8), time(20))
# A week before MONDAY: nothing of the week is in the past or inside the lead time.
LONG_BEFORE = datetime(2026, 2, 20, 9, 0, tzinfo=SHANGHAI)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


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
    window = week_window(MONDAY, SHANGHAI)
    idle = idle_time(weekly, one_off, SHANGHAI, window)
    availability = compute_availability(idle, blocks, window)
    return build_week_grid(
        MONDAY,
        booking_rules or rules(),
        idle=idle,
        free=availability.free,
        busy=availability.busy,
        now=now,
        **options,
    )


def cell(grid, day: date, hour: int, minute: int = 0):
    """The cell starting at this local wall time."""
    column = grid.days.index(day)
    [row] = [row for row in grid.rows if row.time == time(hour, minute)]
    return row.cells[column]


def states(grid, day: date, *times: tuple[int, int]) -> list[CellState]:
    return [cell(grid, day, hour, minute).state for hour, minute in times]


def test_the_grid_has_seven_days_from_monday_and_one_row_per_slot_of_the_idle_hours():
    grid = grid_for()

    assert grid.days == tuple(MONDAY + timedelta(days=offset) for offset in range(7))
    assert [row.time for row in grid.rows][:3] == [time(8), time(8, 30), time(9)]
    assert grid.rows[-1].time == time(19, 30)
    assert len(grid.rows) == 24
    assert grid.previous_monday == date(2026, 2, 23)
    assert grid.next_monday == date(2026, 3, 9)


def test_cells_are_instants_in_utc_of_the_local_wall_time():
    first = cell(grid_for(), TUESDAY, 10)

    assert first.start == local(TUESDAY, 10)
    assert first.end == local(TUESDAY, 10, 30)
    assert first.start.utcoffset() == timedelta(0)


def test_cells_across_a_booking_boundary_are_free_busy_busy_free():
    booking = Interval(local(TUESDAY, 10), local(TUESDAY, 11))

    grid = grid_for(blocks=[booking])

    assert states(grid, TUESDAY, (9, 30), (10, 0), (10, 30), (11, 0)) == [FREE, BUSY, BUSY, FREE]
    assert cell(grid, MONDAY, 10).state == FREE


def test_a_slot_partly_blocked_is_busy_not_free():
    grid = grid_for(blocks=[Interval(local(TUESDAY, 10, 15), local(TUESDAY, 10, 45))])

    assert states(grid, TUESDAY, (10, 0), (10, 30), (11, 0)) == [BUSY, BUSY, FREE]


def test_time_outside_idle_windows_is_closed_even_when_blocked():
    weekly = [EVERY_DAY_8_TO_20, WeeklyRule(frozenset({1}), time(6), time(8))]
    production = Interval(local(MONDAY, 6), local(MONDAY, 9))

    grid = grid_for(weekly=weekly, blocks=[production])

    assert grid.rows[0].time == time(6)
    assert states(grid, MONDAY, (6, 0), (7, 30), (8, 0), (8, 30), (9, 0)) == [
        CLOSED,
        CLOSED,
        BUSY,
        BUSY,
        FREE,
    ]
    assert cell(grid, TUESDAY, 6).state == FREE


def test_past_cells_are_closed_and_so_are_busy_ones_in_the_past():
    now = local(TUESDAY, 12, 10)
    booking = Interval(local(TUESDAY, 11), local(TUESDAY, 13))

    grid = grid_for(blocks=[booking], now=now)

    assert cell(grid, MONDAY, 15).state == CLOSED
    assert states(grid, TUESDAY, (11, 0), (12, 0), (12, 30), (13, 0)) == [
        CLOSED,
        CLOSED,  # began before now
        BUSY,
        FREE,
    ]


def test_cells_inside_the_lead_time_or_beyond_the_horizon_are_closed():
    now = local(MONDAY, 9)

    grid = grid_for(now=now, booking_rules=rules(lead_time_hours=24, horizon_days=3))

    assert states(grid, TUESDAY, (8, 30), (9, 0)) == [CLOSED, FREE]
    assert states(grid, date(2026, 3, 5), (8, 30), (9, 0)) == [FREE, CLOSED]


def test_an_instrument_not_open_for_booking_has_no_free_cell_but_shows_busy_ones():
    booking = Interval(local(TUESDAY, 10), local(TUESDAY, 11))

    grid = grid_for(blocks=[booking], open_for_booking=False)

    assert not grid.has_free
    assert states(grid, TUESDAY, (10, 0), (11, 0)) == [BUSY, CLOSED]


def test_without_idle_time_the_grid_shows_8_to_20_all_closed():
    grid = grid_for(weekly=[])

    assert grid.rows[0].time == time(8)
    assert grid.rows[-1].time == time(19, 30)
    assert {c.state for row in grid.rows for c in row.cells} == {CLOSED}


@pytest.mark.parametrize(
    ("weekly", "slot", "first", "last"),
    [
        ([WeeklyRule(frozenset({0}), time(9, 30), time(17, 15))], 30, time(9), time(17, 30)),
        ([WeeklyRule(frozenset({0}), time(9, 30), time(17, 15))], 60, time(9), time(17)),
        ([WeeklyRule(frozenset({0}), time(10), time(12))], 90, time(9), time(10, 30)),
        ([WeeklyRule(frozenset({4}), time(22), time(2))], 60, time(0), time(23)),  # overnight
        ([WeeklyRule(frozenset({4}), time(13), time(0))], 60, time(13), time(23)),  # to midnight
    ],
)
def test_rows_cover_the_idle_hours_on_the_slot_grid(weekly, slot, first, last):
    grid = grid_for(weekly=weekly, booking_rules=rules(slot_minutes=slot))

    assert grid.rows[0].time == first
    assert grid.rows[-1].time == last


def test_a_one_off_window_widens_the_rows_of_the_week():
    evening = Interval(local(TUESDAY, 20), local(TUESDAY, 22))

    grid = grid_for(one_off=[evening])

    assert grid.rows[-1].time == time(21, 30)
    assert cell(grid, TUESDAY, 21).state == FREE
    assert cell(grid, MONDAY, 21).state == CLOSED


def test_hour_slots_are_free_only_when_the_whole_slot_is_free():
    weekly = [WeeklyRule(frozenset({1}), time(8, 30), time(12))]

    grid = grid_for(weekly=weekly, booking_rules=rules(slot_minutes=60))

    assert states(grid, TUESDAY, (8, 0), (9, 0), (11, 0)) == [CLOSED, FREE, FREE]


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
