"""Where to look when a "free between … and …" search finds nothing: the nearest window of the
same length that could be booked, on the searched day or on one of the days after it.

Pure: free intervals (idle time minus blocks, as `compute_availability` gives them) and the
instrument's booking rules in, an interval or None out. A window suggested here passes
`check_booking_rules` and lies inside one free interval, so the booking form accepts it unless
someone books the time first.
"""

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from equipment_share.domain.availability import Interval, merge, to_utc
from equipment_share.domain.bookings import BookingRules, check_booking_rules
from equipment_share.domain.errors import RuleViolation

# How many days after the searched one are tried.
LATER_DAYS = 7


def booking_length(requested: timedelta, rules: BookingRules) -> timedelta | None:
    """The requested length on the slot grid (rounded up) and at least the shortest booking;
    None when it is longer than the longest booking the instrument takes."""
    slot = rules.slot_minutes
    minutes = -(-int(requested.total_seconds() // 60) // slot) * slot
    minutes = max(minutes, -(-rules.min_booking_minutes // slot) * slot)
    if minutes > rules.max_booking_minutes:
        return None
    return timedelta(minutes=minutes)


def nearest_on_day(
    free: Iterable[Interval],
    day: date,
    wanted_start: time,
    length: timedelta,
    rules: BookingRules,
    now: datetime,
) -> Interval | None:
    """The bookable window of `length` starting on the local `day` (the rules' zone) whose start
    is nearest to `wanted_start` on that day (the earlier one on a tie), or None."""
    zone = ZoneInfo(rules.timezone)
    day_start = _local(day, time(0), zone)
    day_end = _local(day + timedelta(days=1), time(0), zone)
    target = _local(day, wanted_start, zone)
    open_from = now + timedelta(hours=rules.lead_time_hours)
    open_until = now + timedelta(days=rules.horizon_days)
    best: Interval | None = None
    for interval in merge(free):
        # starts that keep the whole window inside this free interval and the booking rules,
        # and on the day
        earliest = max(interval.start, open_from, day_start)
        latest = min(interval.end, open_until) - length
        latest = min(latest, day_end - timedelta(minutes=rules.slot_minutes))
        start = _on_grid_nearest(min(max(target, earliest), latest), earliest, latest, rules)
        if start is None:
            continue
        candidate = Interval(start, start + length)
        if not _passes_rules(candidate, rules, now):
            continue
        if best is None or _distance(candidate, target) < _distance(best, target):
            best = candidate
    return best


def nearest_later(
    free: Iterable[Interval],
    day: date,
    wanted_start: time,
    length: timedelta,
    rules: BookingRules,
    now: datetime,
    days: int = LATER_DAYS,
) -> Interval | None:
    """The window nearest to the same hours on the first of the next `days` days that has one."""
    free = merge(free)
    for offset in range(1, days + 1):
        found = nearest_on_day(free, day + timedelta(days=offset), wanted_start, length, rules, now)
        if found is not None:
            return found
    return None


def is_bookable_window(
    window: Interval, free: Iterable[Interval], rules: BookingRules, now: datetime
) -> bool:
    """Inside one free interval and within the booking rules."""
    return _passes_rules(window, rules, now) and any(
        interval.contains(window) for interval in merge(free)
    )


def _passes_rules(candidate: Interval, rules: BookingRules, now: datetime) -> bool:
    try:
        check_booking_rules(candidate, rules, now)
    except RuleViolation:
        return False
    return True


def _distance(candidate: Interval, target: datetime) -> tuple[timedelta, datetime]:
    return abs(candidate.start - target), candidate.start


def _on_grid_nearest(
    start: datetime, earliest: datetime, latest: datetime, rules: BookingRules
) -> datetime | None:
    """The slot-grid instant (counted from local midnight) nearest to `start` within
    [earliest, latest], or None when the range holds none."""
    if latest < earliest:
        return None
    zone = ZoneInfo(rules.timezone)
    slot = timedelta(minutes=rules.slot_minutes)
    local = start.astimezone(zone)
    elapsed = timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    below = elapsed // slot * slot
    options = [_wall(local.date(), below, zone), _wall(local.date(), below + slot, zone)]
    inside = [option for option in options if earliest <= option <= latest]
    if not inside:
        return None
    return min(inside, key=lambda option: (abs(option - start), option))


def _wall(day: date, since_midnight: timedelta, zone: ZoneInfo) -> datetime:
    """The instant of a wall-clock time counted from the day's local midnight (24:00 is the next
    day's midnight)."""
    day += timedelta(days=since_midnight.days)
    return _local(day, (datetime.min + timedelta(seconds=since_midnight.seconds)).time(), zone)


def _local(day: date, wall: time, zone: ZoneInfo) -> datetime:
    return to_utc(datetime.combine(day, wall, tzinfo=zone))
