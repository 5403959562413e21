"""Bookable time of an instrument: idle windows minus blocks.

Every instant is a timezone-aware datetime; results are always expressed in UTC.
Weekly rules are expanded in the instrument's local wall-clock time, so a rule for
"Mon 09:00-17:00" stays 09:00-17:00 local across daylight-saving changes.
Intervals are half-open: ``[start, end)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ONE_DAY = timedelta(days=1)
ONE_MINUTE = timedelta(minutes=1)


def to_utc(value: datetime) -> datetime:
    """Return the same instant in UTC; naive datetimes are rejected."""
    if value.tzinfo is UTC:  # first: the feeds and sweeps build tens of thousands
        return value
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime is not allowed: {value!r}")
    return value.astimezone(UTC)


@dataclass(frozen=True, order=True)
class Interval:
    """Half-open time span ``[start, end)``; both ends are stored in UTC."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        start, end = to_utc(self.start), to_utc(self.end)
        if start >= end:
            raise ValueError(f"interval must have start < end: {self.start} >= {self.end}")
        # Stored in UTC because aware datetimes sharing one ZoneInfo compare by wall time,
        # which is wrong around a fall-back transition.
        object.__setattr__(self, "start", start)
        object.__setattr__(self, "end", end)

    def overlaps(self, other: Interval) -> bool:
        """True if both share some time; back-to-back intervals do not overlap."""
        return self.start < other.end and other.start < self.end

    def contains(self, other: Interval) -> bool:
        return self.start <= other.start and other.end <= self.end

    @property
    def minutes(self) -> int:
        return (self.end - self.start) // ONE_MINUTE


@dataclass(frozen=True)
class WeeklyRule:
    """Recurring idle window in local wall-clock time (Monday=0 ... Sunday=6).

    ``end_time <= start_time`` means the window ends on the next local day.
    ``valid_from``/``valid_to`` are inclusive bounds on the local date an occurrence starts.
    """

    weekdays: frozenset[int]
    start_time: time
    end_time: time
    valid_from: date | None = None
    valid_to: date | None = None

    def __post_init__(self) -> None:
        if not all(0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"weekdays must be within 0..6: {sorted(self.weekdays)}")
        bounded = self.valid_from is not None and self.valid_to is not None
        if bounded and self.valid_from > self.valid_to:
            raise ValueError(f"valid_from {self.valid_from} is after valid_to {self.valid_to}")


@dataclass(frozen=True)
class Availability:
    free: list[Interval]
    busy: list[Interval]


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort and join intervals that overlap or touch."""
    merged: list[Interval] = []
    for interval in sorted(intervals, key=_start_of):
        if merged and interval.start <= merged[-1].end:
            if interval.end > merged[-1].end:
                merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return merged


def subtract(intervals: Iterable[Interval], blocks: Iterable[Interval]) -> list[Interval]:
    """Remove every block from the intervals; the result is merged.

    Both inputs are merged first, then walked in one sweep, so the cost is dominated by sorting.
    """
    remaining: list[Interval] = []
    merged_blocks = merge(blocks)
    first_relevant = 0
    for interval in merge(intervals):
        cursor = interval.start
        # Blocks ending before this interval cannot touch any later interval either.
        while first_relevant < len(merged_blocks) and merged_blocks[first_relevant].end <= cursor:
            first_relevant += 1
        index = first_relevant
        while index < len(merged_blocks) and merged_blocks[index].start < interval.end:
            block = merged_blocks[index]
            if block.start > cursor:
                remaining.append(Interval(cursor, block.start))
            cursor = max(cursor, block.end)
            if cursor >= interval.end:
                break
            index += 1
        if cursor < interval.end:
            remaining.append(_reuse_or_build(interval, cursor, interval.end))
    return remaining


def clip(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """Cut each interval to the window, drop the ones outside it; sorted, not merged."""
    clipped = [
        _reuse_or_build(interval, max(interval.start, window.start), min(interval.end, window.end))
        for interval in intervals
        if interval.overlaps(window)
    ]
    clipped.sort(key=_start_of)
    return clipped


def expand_weekly(rules: Iterable[WeeklyRule], tz: ZoneInfo, window: Interval) -> list[Interval]:
    """Every rule occurrence that intersects the window, clipped to it and merged, in UTC."""
    rule_list = list(rules)
    occurrences = [
        occurrence
        for day in _local_days(tz, window)
        for rule in rule_list
        if _starts_on(rule, day) and (occurrence := _occurrence(rule, day, tz)) is not None
    ]
    return merge(clip(occurrences, window))


def idle_time(
    rules: Iterable[WeeklyRule],
    one_off: Iterable[Interval],
    tz: ZoneInfo,
    window: Interval,
) -> list[Interval]:
    """Weekly occurrences plus one-off windows, clipped to the window and merged."""
    return merge([*expand_weekly(rules, tz, window), *clip(one_off, window)])


def compute_availability(
    idle: Iterable[Interval], blocks: Iterable[Interval], window: Interval
) -> Availability:
    """Free = idle minus blocks; busy = whole (merged, clipped) blocks that overlap idle time.

    A block lying entirely outside idle time is not reported as busy, since the instrument
    was not offered then anyway.
    """
    idle_in_window = merge(clip(idle, window))
    blocks_in_window = merge(clip(blocks, window))
    return Availability(
        free=subtract(idle_in_window, blocks_in_window),
        busy=_overlapping(blocks_in_window, idle_in_window),
    )


# [start, end) with both ends as integers on one scale (the feeds use epoch microseconds).
Span = tuple[int, int]


def free_spans(idle: Iterable[Span], blocks: Iterable[Span], window: Span) -> list[Span]:
    """`compute_availability(idle, blocks, window).free` for spans of integers, by the same
    steps (clip both to the window, merge, one sweep), for callers that have thousands of
    blocks as integers already: the instrument feed reads its bookings as epoch microseconds,
    and building an Interval (two aware datetimes) for each cost most of its free time.
    Every span must start before it ends, as an Interval must. tests/domain/test_free_spans.py
    compares the two on generated idle windows, zones and blocks."""
    return subtract_spans(merge_spans(idle, *window), merge_spans(blocks, *window))


def merge_spans(spans: Iterable[Span], low: int, high: int) -> list[Span]:
    """Clip spans to [low, high), sort, and join those that overlap or touch (`merge`)."""
    clipped = sorted(
        (max(start, low), min(end, high)) for start, end in spans if start < high and low < end
    )
    merged: list[Span] = []
    if not clipped:
        return merged
    current_start, current_end = clipped[0]
    for start, end in clipped:
        if start <= current_end:
            if end > current_end:
                current_end = end
        else:
            merged.append((current_start, current_end))
            current_start, current_end = start, end
    merged.append((current_start, current_end))
    return merged


def subtract_spans(spans: list[Span], blocks: list[Span]) -> list[Span]:
    """`subtract` for sorted, merged spans and blocks (as merge_spans returns them)."""
    remaining: list[Span] = []
    first_relevant = 0
    for span_start, span_end in spans:
        cursor = span_start
        while first_relevant < len(blocks) and blocks[first_relevant][1] <= cursor:
            first_relevant += 1
        index = first_relevant
        while index < len(blocks) and blocks[index][0] < span_end:
            block_start, block_end = blocks[index]
            if block_start > cursor:
                remaining.append((cursor, block_start))
            cursor = max(cursor, block_end)
            if cursor >= span_end:
                break
            index += 1
        if cursor < span_end:
            remaining.append((cursor, span_end))
    return remaining


def is_bookable(candidate: Interval, free: Iterable[Interval]) -> bool:
    """True if the candidate lies wholly inside one free interval.

    Free intervals are merged first, so touching pieces count as one continuous interval.
    """
    return any(interval.contains(candidate) for interval in merge(free))


def _start_of(interval: Interval) -> datetime:
    return interval.start


def _reuse_or_build(original: Interval, start: datetime, end: datetime) -> Interval:
    """Avoid re-validating an interval whose bounds did not change (hot path in sweeps)."""
    if original.start == start and original.end == end:
        return original
    return Interval(start, end)


def _overlapping(candidates: list[Interval], reference: list[Interval]) -> list[Interval]:
    """Candidates overlapping any reference interval; both lists sorted and merged."""
    overlapping: list[Interval] = []
    ref_index = 0
    for candidate in candidates:
        while ref_index < len(reference) and reference[ref_index].end <= candidate.start:
            ref_index += 1
        if ref_index < len(reference) and reference[ref_index].start < candidate.end:
            overlapping.append(candidate)
    return overlapping


def _starts_on(rule: WeeklyRule, day: date) -> bool:
    """True if the rule has an occurrence starting on this local date."""
    return (
        day.weekday() in rule.weekdays
        and (rule.valid_from is None or rule.valid_from <= day)
        and (rule.valid_to is None or day <= rule.valid_to)
    )


def _local_days(tz: ZoneInfo, window: Interval) -> list[date]:
    """Local dates on which an occurrence intersecting the window can start.

    Starts one day early because an overnight occurrence reaches into the next day.
    """
    first = window.start.astimezone(tz).date() - ONE_DAY
    last = window.end.astimezone(tz).date()
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def _occurrence(rule: WeeklyRule, day: date, tz: ZoneInfo) -> Interval | None:
    """The rule's occurrence starting on this local day, or None if DST leaves nothing of it."""
    end_day = day + ONE_DAY if rule.end_time <= rule.start_time else day
    start = to_utc(_local_instant(day, rule.start_time, tz))
    end = to_utc(_local_instant(end_day, rule.end_time, tz))
    # A start inside the spring-forward gap can land after the end (02:30-03:00 -> 03:30-03:00).
    if start >= end:
        return None
    return Interval(start, end)


def _local_instant(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    # Nonexistent/ambiguous wall times use fold=0 (the pre-transition offset), then go via UTC.
    return datetime.combine(day, wall_time.replace(tzinfo=None, fold=0), tzinfo=tz)
