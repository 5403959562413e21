"""A week of an instrument as a grid of slots: rows are times of day, columns are days.

Pure: the caller passes the week's idle, free and busy intervals (UTC) and the booking rules;
every cell comes back free (bookable now), busy (taken by a booking, production or maintenance)
or closed (not offered, in the past, too soon or too far ahead), so a page only renders it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from equipment_share.domain.availability import Interval, merge, to_utc
from equipment_share.domain.bookings import BookingRules

MINUTES_PER_DAY = 24 * 60
DAYS_PER_WEEK = 7
# Rows shown when the instrument has no idle time at all that week.
FALLBACK_HOURS = (time(8), time(20))


class CellState(enum.StrEnum):
    FREE = "free"
    BUSY = "busy"
    CLOSED = "closed"


@dataclass(frozen=True)
class Cell:
    start: datetime
    end: datetime
    state: CellState

    @property
    def is_free(self) -> bool:
        return self.state == CellState.FREE


@dataclass(frozen=True)
class Row:
    time: time
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class WeekGrid:
    monday: date
    days: tuple[date, ...]
    rows: tuple[Row, ...]

    @property
    def previous_monday(self) -> date:
        return self.monday - timedelta(days=DAYS_PER_WEEK)

    @property
    def next_monday(self) -> date:
        return self.monday + timedelta(days=DAYS_PER_WEEK)

    @property
    def has_free(self) -> bool:
        return any(cell.is_free for row in self.rows for cell in row.cells)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_instant(day: date, minute_of_day: int, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock minute counted from the local midnight of a day."""
    midnight = datetime.combine(day, time(0), tzinfo=tz)
    return to_utc(midnight + timedelta(minutes=minute_of_day))


def week_window(monday: date, tz: ZoneInfo) -> Interval:
    """Local midnight of Monday to local midnight of the next Monday, in UTC."""
    return Interval(
        local_instant(monday, 0, tz),
        local_instant(monday + timedelta(days=DAYS_PER_WEEK), 0, tz),
    )


def default_booking_minutes(rules: BookingRules) -> int:
    """The shortest booking that starts and ends on the slot grid."""
    slot = rules.slot_minutes
    return max(slot, -(-rules.min_booking_minutes // slot) * slot)


def build_week_grid(
    monday: date,
    rules: BookingRules,
    *,
    idle: list[Interval],
    free: list[Interval],
    busy: list[Interval],
    now: datetime,
    open_for_booking: bool = True,
) -> WeekGrid:
    """The week starting on `monday`, in the rules' time zone, one row per slot.

    Rows span the hours of the week that have idle time (whole hours, on the slot grid), or
    FALLBACK_HOURS when there is none. A cell is free when it lies inside one free interval
    and between the lead time and the booking horizon; busy when it overlaps both idle time
    and a busy interval; closed otherwise. Cells that have begun are closed, busy or not.
    """
    tz = ZoneInfo(rules.timezone)
    days = tuple(monday + timedelta(days=offset) for offset in range(DAYS_PER_WEEK))
    first_minute, last_minute = _row_span(idle, tz, rules.slot_minutes)
    free, busy, idle = merge(free), merge(busy), merge(idle)
    open_from = now + timedelta(hours=rules.lead_time_hours)
    open_until = now + timedelta(days=rules.horizon_days)

    def state(cell: Interval) -> CellState:
        if cell.start < now:
            return CellState.CLOSED
        if _overlaps_any(cell, busy) and _overlaps_any(cell, idle):
            return CellState.BUSY
        if (
            open_for_booking
            and open_from <= cell.start
            and cell.end <= open_until
            and any(interval.contains(cell) for interval in free)
        ):
            return CellState.FREE
        return CellState.CLOSED

    rows = []
    for minute in range(first_minute, last_minute, rules.slot_minutes):
        cells = []
        for day in days:
            start = local_instant(day, minute, tz)
            end = local_instant(day, minute + rules.slot_minutes, tz)
            # A wall time skipped by a daylight-saving change leaves nothing to book.
            cell_state = state(Interval(start, end)) if start < end else CellState.CLOSED
            cells.append(Cell(start, end, cell_state))
        rows.append(Row(time(minute // 60, minute % 60), tuple(cells)))
    return WeekGrid(monday, days, tuple(rows))


def _overlaps_any(cell: Interval, intervals: list[Interval]) -> bool:
    return any(cell.overlaps(interval) for interval in intervals)


def _row_span(idle: list[Interval], tz: ZoneInfo, slot_minutes: int) -> tuple[int, int]:
    """First and last minute of the day (local) to show: idle hours widened to whole hours,
    then to the slot grid, which counts from local midnight."""
    first, last = MINUTES_PER_DAY, 0
    for interval in idle:
        start = interval.start.astimezone(tz)
        end = interval.end.astimezone(tz)
        start_minute = start.hour * 60 + start.minute
        end_minute = (end.date() - start.date()).days * MINUTES_PER_DAY + end.hour * 60 + end.minute
        if end_minute > MINUTES_PER_DAY:  # runs past midnight: both ends of the day are idle
            first, last = 0, MINUTES_PER_DAY
            break
        first, last = min(first, start_minute), max(last, end_minute)
    if first >= last:
        first, last = (hour.hour * 60 for hour in FALLBACK_HOURS)
    first = first // 60 * 60 // slot_minutes * slot_minutes
    last = min(-(-last // 60) * 60, MINUTES_PER_DAY)
    last = -(-last // slot_minutes) * slot_minutes
    return first, last
