"""A week of an instrument as intervals: seven day columns with free and busy blocks on a time axis.

Pure: the caller passes the week's idle time and free intervals (UTC), what occupies the
instrument (as the viewer may see it: `Occupancy`) and the booking rules. What comes back is
ready to render: per block its day column, its rows on a 5-minute axis (so CSS classes place
it, never an inline style), its local wall times and, for a free block, the first start that
can be booked. Time that is neither free nor busy (not offered, past, too soon, too far ahead)
is closed: the page's background.
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
# One row of the time axis: blocks start and end on it (rounded to the nearest row).
ROW_MINUTES = 5
ROWS_PER_DAY = MINUTES_PER_DAY // ROW_MINUTES
# Hours shown when the instrument has no idle time at all that week.
FALLBACK_HOURS = (time(8), time(20))


class BlockState(enum.StrEnum):
    FREE = "free"
    BUSY = "busy"


class BusyKind(enum.StrEnum):
    """Why time is taken, as far as the viewer may know it."""

    BUSY = "busy"  # taken, reason not shown
    BOOKING = "booking"
    MAINTENANCE = "maintenance"
    PRODUCTION = "production"


# Where two occupancies overlap, the block shows the one listed first.
_PRECEDENCE = {
    BusyKind.BOOKING: 0,
    BusyKind.MAINTENANCE: 1,
    BusyKind.PRODUCTION: 2,
    BusyKind.BUSY: 3,
}


@dataclass(frozen=True)
class Occupancy:
    """One thing that takes an instrument's time, with only what the viewer may see of it."""

    interval: Interval
    kind: BusyKind = BusyKind.BUSY
    mine: bool = False  # a booking of the viewer's own enterprise
    status: str | None = None  # the booking's status, for its enterprise and the platform
    who: str | None = None  # the booking enterprise's name, for the platform only
    booking_id: int | None = None  # linked for those who may open the booking

    @property
    def shown_as(self) -> tuple:
        """What a block shows: pieces that show the same thing and touch are one block."""
        return (self.kind, self.mine, self.status, self.who, self.booking_id)


@dataclass(frozen=True)
class Block:
    day: int  # column, 0 = Monday
    start: datetime  # UTC
    end: datetime
    state: BlockState
    row: int  # first row of the time axis, from 1
    span: int  # rows covered, at least 1
    start_label: str  # local wall time, HH:MM
    end_label: str  # 24:00 at the end of the day
    occupancy: Occupancy | None = None  # busy blocks: what takes the time

    @property
    def is_free(self) -> bool:
        return self.state == BlockState.FREE

    @property
    def place(self) -> str:
        """The classes that put the block on the grid (static/css/week-grid.css)."""
        return f"d-{self.day} r-{self.row} s-{self.span}"

    @property
    def times(self) -> str:
        return f"{self.start_label}–{self.end_label}"


@dataclass(frozen=True)
class HourMark:
    row: int
    label: str


@dataclass(frozen=True)
class WeekGrid:
    monday: date
    days: tuple[date, ...]
    blocks: tuple[Block, ...]  # by day, then by start
    hours: tuple[HourMark, ...]
    rows: int  # rows of the time axis shown
    first_minute: int  # local minute of day of row 1

    @property
    def previous_monday(self) -> date:
        return self.monday - timedelta(days=DAYS_PER_WEEK)

    @property
    def next_monday(self) -> date:
        return self.monday + timedelta(days=DAYS_PER_WEEK)

    @property
    def has_free(self) -> bool:
        return any(block.is_free for block in self.blocks)

    def day_blocks(self, day: int) -> list[Block]:
        return [block for block in self.blocks if block.day == day]


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
    busy: list[Occupancy],
    now: datetime,
    open_for_booking: bool = True,
) -> WeekGrid:
    """The week starting on `monday`, in the rules' time zone, as blocks.

    Free blocks: the free intervals between now plus the lead time and the booking horizon,
    cut to whole slots of the slot grid (at least one). Busy blocks: idle time taken by an
    occupancy, from now on; where occupancies overlap, a booking shows before maintenance
    before production. The rows span the idle hours of the week (whole hours), or
    FALLBACK_HOURS when there are none.
    """
    tz = ZoneInfo(rules.timezone)
    days = tuple(monday + timedelta(days=offset) for offset in range(DAYS_PER_WEEK))
    midnights = [local_instant(monday, 0, tz)] + [
        local_instant(day + timedelta(days=1), 0, tz) for day in days
    ]
    first_minute, last_minute = _row_span(idle, tz)
    slot = rules.slot_minutes

    pieces: list[tuple[Interval, Occupancy | None]] = []
    if open_for_booking:
        open_from = max(now + timedelta(hours=rules.lead_time_hours), midnights[0])
        open_until = min(now + timedelta(days=rules.horizon_days), midnights[-1])
        if open_from < open_until:
            bookable = Interval(open_from, open_until)
            for interval in merge(free):
                start = _slot_ceil(max(interval.start, bookable.start), tz, slot)
                end = _slot_floor(min(interval.end, bookable.end), tz, slot)
                if start < end:
                    pieces.append((Interval(start, end), None))
    if busy and now < midnights[-1]:
        seen = Interval(max(now, midnights[0]), midnights[-1])
        pieces.extend(_busy_pieces(busy, merge(idle), seen))

    blocks = []
    for interval, occupancy in pieces:
        for index in range(DAYS_PER_WEEK):
            day_start, day_end = midnights[index], midnights[index + 1]
            start, end = max(interval.start, day_start), min(interval.end, day_end)
            if start >= end:
                continue
            start_minute = _minutes_between(day_start, start)
            end_minute = _minutes_between(day_start, end)
            row = max(round((start_minute - first_minute) / ROW_MINUTES), 0) + 1
            last_row = min(round((end_minute - first_minute) / ROW_MINUTES), ROWS_PER_DAY)
            blocks.append(
                Block(
                    day=index,
                    start=start,
                    end=end,
                    state=BlockState.FREE if occupancy is None else BlockState.BUSY,
                    row=row,
                    span=max(last_row - row + 1, 1),
                    start_label=_wall_time(start, tz),
                    end_label="24:00" if end == day_end else _wall_time(end, tz),
                    occupancy=occupancy,
                )
            )
    blocks.sort(key=lambda block: (block.day, block.start))
    hours = tuple(
        HourMark((minute - first_minute) // ROW_MINUTES + 1, f"{minute // 60:02d}:00")
        for minute in range(first_minute, last_minute, 60)
    )
    return WeekGrid(
        monday=monday,
        days=days,
        blocks=tuple(blocks),
        hours=hours,
        rows=(last_minute - first_minute) // ROW_MINUTES,
        first_minute=first_minute,
    )


def _busy_pieces(
    busy: list[Occupancy], idle: list[Interval], seen: Interval
) -> list[tuple[Interval, Occupancy]]:
    """Idle time inside `seen` taken by an occupancy, cut into pieces that do not overlap:
    each piece shows the occupancy of highest precedence; touching pieces that show the same
    are joined."""
    clipped = []
    for occupancy in busy:
        for window in idle:
            start = max(occupancy.interval.start, window.start, seen.start)
            end = min(occupancy.interval.end, window.end, seen.end)
            if start < end:
                clipped.append((start, end, occupancy))
    if not clipped:
        return []
    bounds = sorted({instant for start, end, _ in clipped for instant in (start, end)})
    pieces: list[tuple[Interval, Occupancy]] = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        covering = [o for s, e, o in clipped if s <= start and end <= e]
        if not covering:
            continue
        shown = min(covering, key=lambda o: (_PRECEDENCE[o.kind], not o.mine))
        if pieces and pieces[-1][0].end == start and pieces[-1][1].shown_as == shown.shown_as:
            pieces[-1] = (Interval(pieces[-1][0].start, end), pieces[-1][1])
        else:
            pieces.append((Interval(start, end), shown))
    return pieces


def _minutes_between(earlier: datetime, later: datetime) -> int:
    return int((later - earlier).total_seconds() // 60)


def _wall_time(instant: datetime, tz: ZoneInfo) -> str:
    local = instant.astimezone(tz)
    return f"{local.hour:02d}:{local.minute:02d}"


def _slot_floor(instant: datetime, tz: ZoneInfo, slot: int) -> datetime:
    """The latest start of a slot at or before the instant (the grid counts from local midnight)."""
    local = instant.astimezone(tz)
    minute = local.hour * 60 + local.minute
    return local_instant(local.date(), minute // slot * slot, tz)


def _slot_ceil(instant: datetime, tz: ZoneInfo, slot: int) -> datetime:
    floor = _slot_floor(instant, tz, slot)
    if floor >= instant:
        return floor
    local = floor.astimezone(tz)
    return local_instant(local.date(), local.hour * 60 + local.minute + slot, tz)


def _row_span(idle: list[Interval], tz: ZoneInfo) -> tuple[int, int]:
    """First and last minute of the day (local) to show: the idle hours, widened to whole hours."""
    first, last = MINUTES_PER_DAY, 0
    for interval in idle:
        start = interval.start.astimezone(tz)
        end = interval.end.astimezone(tz)
        start_minute = start.hour * 60 + start.minute
        end_minute = (end.date() - start.date()).days * MINUTES_PER_DAY + end.hour * 60 + end.minute
        if end_minute > MINUTES_PER_DAY:  # runs past midnight: both ends of the day are idle
            return 0, MINUTES_PER_DAY
        first, last = min(first, start_minute), max(last, end_minute)
    if first >= last:
        first, last = (hour.hour * 60 for hour in FALLBACK_HOURS)
    return first // 60 * 60, min(-(-last // 60) * 60, MINUTES_PER_DAY)
