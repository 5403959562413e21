"""A schedule across instruments: each instrument's free, busy and own time along one time axis
(a day in quarter hours, or a week in hours), as bars on a grid of columns.

Pure: the service passes each instrument's idle time, its blocks (bookings, production runs,
maintenance) and what the viewer may know about them; this module decides the bars and where
they sit on the grid, so a page draws them with classes of a static stylesheet
(`static/css/schedule-grid.css`, written by `scripts/schedule_css.py` from the constants below).

A day may have 1,000 rows, so the rows are worked out in whole minutes of the axis's wall clock
(minutes from its first local midnight) rather than with `Interval` objects: the same rules as
`domain/availability.py` (free is idle time minus blocks; busy is the blocks that overlap idle
time), several times cheaper. Seconds are rounded outward for blocks and inward for idle time.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from equipment_share.domain.availability import (
    Interval,
    WeeklyRule,
    merge_spans,
    subtract_spans,
    to_utc,
)

MINUTES_PER_DAY = 24 * 60
DAYS_PER_WEEK = 7


class Span(enum.StrEnum):
    DAY = "day"
    WEEK = "week"


# Minutes per grid column: a day in 96 quarter hours, a week in 168 hours.
COLUMN_MINUTES = {Span.DAY: 15, Span.WEEK: 60}
SPAN_DAYS = {Span.DAY: 1, Span.WEEK: DAYS_PER_WEEK}
# The most columns any axis has: the stylesheet has a class for each start and length up to it.
MAX_COLUMNS = max(SPAN_DAYS[span] * MINUTES_PER_DAY // COLUMN_MINUTES[span] for span in Span)  # 168


class BarKind(enum.StrEnum):
    FREE = "free"  # bookable now
    BUSY = "busy"  # taken, without saying by whom or why
    MINE = "mine"  # a booking of the viewer's own enterprise
    BOOKED = "booked"  # a booking, with who made it (for the instrument's platform)
    PRODUCTION = "production"  # the platform's own production run (imported calendar)
    MAINTENANCE = "maintenance"


@dataclass(frozen=True)
class Axis:
    """The time the schedule shows, in one time zone (the deployment's): whole local days."""

    span: Span
    first_day: date
    tz: ZoneInfo

    @cached_property
    def days(self) -> tuple[date, ...]:
        return tuple(self.first_day + timedelta(days=n) for n in range(SPAN_DAYS[self.span]))

    @cached_property
    def column_minutes(self) -> int:
        return COLUMN_MINUTES[self.span]

    @cached_property
    def columns(self) -> int:
        return SPAN_DAYS[self.span] * MINUTES_PER_DAY // self.column_minutes

    @cached_property
    def columns_per_day(self) -> int:
        return MINUTES_PER_DAY // self.column_minutes

    @cached_property
    def window(self) -> Interval:
        return Interval(self.instant(0), self.instant(SPAN_DAYS[self.span] * MINUTES_PER_DAY))

    @property
    def previous_day(self) -> date:
        return self.first_day - timedelta(days=SPAN_DAYS[self.span])

    @property
    def next_day(self) -> date:
        return self.first_day + timedelta(days=SPAN_DAYS[self.span])

    def ceil_minute(self, instant: datetime) -> int:
        """Wall-clock minutes from the axis's first local midnight (so a day with a
        daylight-saving change still has 24 hours of columns), a part minute counted whole."""
        local = instant.astimezone(self.tz)
        days = (local.date() - self.first_day).days
        minute = days * MINUTES_PER_DAY + local.hour * 60 + local.minute
        return minute + (1 if local.second or local.microsecond else 0)

    def floor_minute(self, instant: datetime) -> int:
        """As ceil_minute, a part minute left out."""
        local = instant.astimezone(self.tz)
        return (
            (local.date() - self.first_day).days * MINUTES_PER_DAY + local.hour * 60 + local.minute
        )

    def instant(self, minute: int) -> datetime:
        """The UTC instant of a wall-clock minute of the axis."""
        return to_utc(
            datetime.combine(self.first_day, time(0), tzinfo=self.tz) + timedelta(minutes=minute)
        )

    def local_text(self, minute: int, with_date: bool) -> str:
        """A minute as "10:00", or with its date "12-08 10:00"."""
        day, minute = divmod(minute, MINUTES_PER_DAY)
        hour, minute = divmod(minute, 60)
        if not with_date:
            return f"{hour:02d}:{minute:02d}"
        return f"{self.first_day + timedelta(days=day):%m-%d} {hour:02d}:{minute:02d}"

    def input_text(self, minute: int) -> str:
        """A minute as a datetime-local value ("2026-12-08T10:00"), as the booking form reads it."""
        day, minute = divmod(minute, MINUTES_PER_DAY)
        hour, minute = divmod(minute, 60)
        return f"{self.first_day + timedelta(days=day)}T{hour:02d}:{minute:02d}"

    def place(self, first: int, last: int, *, inward: bool) -> tuple[int, int] | None:
        """First column (0-based) and number of columns of a span of minutes, clipped to the axis.

        Inward keeps only whole columns (a free bar never promises time that is not free);
        outward covers every column the span touches (a busy bar never hides)."""
        size = self.column_minutes
        if inward:
            start, end = -(-first // size), last // size
        else:
            start, end = first // size, -(-last // size)
        start, end = max(start, 0), min(end, self.columns)
        return (start, end - start) if end > start else None


@dataclass(frozen=True)
class Instrument:
    """What a row needs of an instrument: its name, platform and booking rules."""

    id: int
    name: str
    name_en: str
    platform_id: int
    platform_name: str
    platform_name_en: str
    timezone: str
    slot_minutes: int
    min_booking_minutes: int
    lead_time_hours: int
    horizon_days: int
    # open for booking: active, on an approved platform
    active: bool

    def display_name(self, locale: str) -> str:
        return self.name_en if locale.startswith("en") and self.name_en else self.name

    def platform_display_name(self, locale: str) -> str:
        if locale.startswith("en") and self.platform_name_en:
            return self.platform_name_en
        return self.platform_name


@dataclass(frozen=True, slots=True)
class Block:
    """Time an instrument is taken, in minutes of the axis: a booking (with its id, status and
    enterprise), a production run or maintenance."""

    start: int
    end: int
    kind: BarKind  # BOOKED, PRODUCTION or MAINTENANCE
    booking_id: int | None = None
    status: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None


@dataclass(frozen=True)
class Sight:
    """What the viewer may know about one row's blocks: their own enterprise's bookings
    (`own_organization_id`, an SME's), and who booked and why time is busy (`sees_who`: the
    instrument's platform, finance, admin)."""

    own_organization_id: int | None = None
    sees_who: bool = False


@dataclass(frozen=True, slots=True)
class Bar:
    """A bar: its kind, its time in minutes of the axis (not clipped) and its place on the grid."""

    kind: BarKind
    start: int
    end: int
    column: int
    span: int
    booking_id: int | None = None
    status: str | None = None
    organization_name: str | None = None
    # a free bar's booking link: the first start on the instrument's slot grid and the
    # shortest booking from it (minutes of the axis); None when the free time is too short
    book_start: int | None = None
    book_end: int | None = None


@dataclass(frozen=True)
class Row:
    instrument: Instrument
    bars: tuple[Bar, ...]

    @property
    def has_free(self) -> bool:
        return any(bar.kind == BarKind.FREE for bar in self.bars)


def axis_for(day: date, span: Span, tz: ZoneInfo) -> Axis:
    """The day itself, or the Monday-to-Sunday week it falls in."""
    first = day - timedelta(days=day.weekday()) if span == Span.WEEK else day
    return Axis(span, first, tz)


def shortest_booking_minutes(slot_minutes: int, min_booking_minutes: int) -> int:
    """The shortest booking that starts and ends on the slot grid."""
    return max(slot_minutes, -(-min_booking_minutes // slot_minutes) * slot_minutes)


def block_minutes(axis: Axis, start: datetime, end: datetime) -> tuple[int, int]:
    """A block's span in minutes of the axis, widened to whole minutes."""
    return axis.floor_minute(start), axis.ceil_minute(end)


def idle_minutes(
    axis: Axis, rules: list[WeeklyRule], one_off: list[tuple[datetime, datetime]], tz: ZoneInfo
) -> list[tuple[int, int]]:
    """An instrument's idle time within the axis, merged, in minutes of the axis: its weekly
    rules expanded in its own zone `tz` (directly in minutes when it is the axis's zone), plus
    its one-off windows, narrowed to whole minutes."""
    same_zone = tz.key == axis.tz.key
    # a day either side: an overnight occurrence, or a zone ahead of or behind the axis's
    first = axis.first_day - timedelta(days=1)
    days = [first + timedelta(days=n) for n in range(SPAN_DAYS[axis.span] + 2)]
    spans = []
    for rule in rules:
        start_minute = rule.start_time.hour * 60 + rule.start_time.minute
        end_minute = rule.end_time.hour * 60 + rule.end_time.minute
        if end_minute <= start_minute:
            end_minute += MINUTES_PER_DAY
        for day in days:
            if (
                day.weekday() not in rule.weekdays
                or (rule.valid_from is not None and day < rule.valid_from)
                or (rule.valid_to is not None and day > rule.valid_to)
            ):
                continue
            if same_zone:
                offset = (day - axis.first_day).days * MINUTES_PER_DAY
                spans.append((offset + start_minute, offset + end_minute))
            else:
                midnight = datetime.combine(day, time(0), tzinfo=tz)
                start = to_utc(midnight + timedelta(minutes=start_minute))
                end = to_utc(midnight + timedelta(minutes=end_minute))
                if start < end:  # a daylight-saving gap can leave nothing
                    spans.append((axis.ceil_minute(start), axis.floor_minute(end)))
    for start, end in one_off:
        spans.append((axis.ceil_minute(start), axis.floor_minute(end)))
    return merge_spans(spans, 0, axis.columns * axis.column_minutes)


def _overlapping(blocks, idle) -> list[tuple[int, int]]:
    """Merged blocks that overlap merged idle time (both sorted)."""
    found = []
    index = 0
    for start, end in blocks:
        while index < len(idle) and idle[index][1] <= start:
            index += 1
        if index < len(idle) and idle[index][0] < end:
            found.append((start, end))
    return found


def build_row(
    axis: Axis,
    instrument: Instrument,
    *,
    idle: list[tuple[int, int]],
    blocks: list[Block],
    sight: Sight,
    now: datetime,
) -> Row:
    """One instrument's bars, in drawing order: free, then busy, then what the viewer may know
    (their own bookings; or each booking with who made it, production runs and maintenance).

    `idle` is the instrument's merged idle time within the axis (`idle_minutes`). Free is idle
    time minus every block, limited to what can be booked now (open for booking, after the lead
    time, within the horizon). Busy is the blocks the viewer may not know about, merged, where
    they overlap idle time (outside it the instrument was not offered anyway).
    """
    high = axis.columns * axis.column_minutes
    bars: list[Bar] = []
    if instrument.active and idle:
        taken = merge_spans([(block.start, block.end) for block in blocks], 0, high)
        bars.extend(_free_bars(axis, instrument, subtract_spans(idle, taken), now))
    known: list[Block] = []
    hidden: list[tuple[int, int]] = []
    own_id = sight.own_organization_id
    for block in blocks:
        if sight.sees_who or (own_id is not None and block.organization_id == own_id):
            known.append(block)
        else:
            hidden.append((block.start, block.end))
    if hidden and idle:
        for start, end in _overlapping(merge_spans(hidden, 0, high), idle):
            placed = axis.place(start, end, inward=False)
            if placed is not None:
                bars.append(Bar(BarKind.BUSY, start, end, *placed))
    known.sort(key=lambda block: (block.start, block.end))
    for block in known:
        placed = axis.place(block.start, block.end, inward=False)
        if placed is None:
            continue
        kind = block.kind
        if kind == BarKind.BOOKED and not sight.sees_who:
            kind = BarKind.MINE
        bars.append(
            Bar(
                kind,
                block.start,
                block.end,
                *placed,
                booking_id=block.booking_id,
                status=block.status,
                organization_name=block.organization_name if sight.sees_who else None,
            )
        )
    return Row(instrument, tuple(bars))


def _free_bars(
    axis: Axis, instrument: Instrument, free: list[tuple[int, int]], now: datetime
) -> list[Bar]:
    opens_at = now + timedelta(hours=instrument.lead_time_hours)
    closes_at = now + timedelta(days=instrument.horizon_days)
    if opens_at >= closes_at:
        return []
    opens, closes = axis.ceil_minute(opens_at), axis.floor_minute(closes_at)
    slot = instrument.slot_minutes
    length = shortest_booking_minutes(slot, instrument.min_booking_minutes)
    same_zone = instrument.timezone == axis.tz.key
    bars = []
    for start, end in free:
        start, end = max(start, opens), min(end, closes)
        if start >= end:
            continue
        placed = axis.place(start, end, inward=True)
        if placed is None:
            continue
        if same_zone:  # the slot grid counts from local midnight
            book_start: int | None = -(-start // slot) * slot
        else:
            book_start = _next_slot(axis, start, slot, ZoneInfo(instrument.timezone))
        book_end = book_start + length if book_start is not None else None
        if book_end is None or book_end > end:
            book_start = book_end = None
        bars.append(
            Bar(BarKind.FREE, start, end, *placed, book_start=book_start, book_end=book_end)
        )
    return bars


def _next_slot(axis: Axis, minute: int, slot_minutes: int, tz: ZoneInfo) -> int | None:
    """The first start on the slot grid of an instrument in another zone (counted from its local
    midnight) at or after the axis minute; None when a daylight-saving gap swallows it."""
    instant = axis.instant(minute)
    local = instant.astimezone(tz)
    slot_minute = local.hour * 60 + local.minute
    slot_minute = -(-slot_minute // slot_minutes) * slot_minutes
    # aware arithmetic within one zone is wall-clock arithmetic, as the slot grid is
    start = to_utc(
        datetime.combine(local.date(), time(0), tzinfo=tz) + timedelta(minutes=slot_minute)
    )
    if start < instant:
        return None
    return axis.ceil_minute(start)
