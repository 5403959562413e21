import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.availability import (
    Availability,
    Interval,
    WeeklyRule,
    clip,
    compute_availability,
    expand_weekly,
    idle_time,
    is_bookable,
    merge,
    subtract,
    to_utc,
)
from tests.clock import SHANGHAI

BERLIN = ZoneInfo("Europe/Berlin")
MONDAY = date(2026, 1, 5)
ALL_DAYS = frozenset(range(7))


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def at(hours: float) -> datetime:
    """Instant `hours` after Monday 2026-01-05 00:00 UTC (may exceed 24)."""
    return utc(2026, 1, 5) + timedelta(hours=hours)


def spans(*pairs: tuple[float, float]) -> list[Interval]:
    return [Interval(at(start), at(end)) for start, end in pairs]


def span(start: float, end: float) -> Interval:
    return Interval(at(start), at(end))


def local(tz: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=tz)


def local_days(tz: ZoneInfo, first: date, last: date) -> Interval:
    """Window from local midnight of `first` to local midnight after `last`."""
    return Interval(
        datetime.combine(first, time(), tzinfo=tz),
        datetime.combine(last + timedelta(days=1), time(), tzinfo=tz),
    )


# --- Interval -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime(2026, 1, 5, 9), utc(2026, 1, 5, 10)),
        (utc(2026, 1, 5, 9), datetime(2026, 1, 5, 10)),
        (datetime(2026, 1, 5, 9), datetime(2026, 1, 5, 10)),
    ],
    ids=["naive-start", "naive-end", "both-naive"],
)
def test_interval_rejects_naive_datetimes(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError, match="naive"):
        Interval(start, end)


@pytest.mark.parametrize(
    ("start", "end"),
    [(at(9), at(9)), (at(10), at(9))],
    ids=["empty", "reversed"],
)
def test_interval_rejects_start_not_before_end(start: datetime, end: datetime) -> None:
    with pytest.raises(ValueError, match="start < end"):
        Interval(start, end)


def test_interval_rejects_reversed_instants_given_in_different_zones() -> None:
    # 10:00 Shanghai is 02:00 UTC, i.e. before 09:00 UTC even though the wall hour is later.
    with pytest.raises(ValueError):
        Interval(utc(2026, 1, 5, 9), local(SHANGHAI, 2026, 1, 5, 10))


def test_interval_stores_bounds_in_utc() -> None:
    interval = Interval(local(SHANGHAI, 2026, 1, 5, 9), local(BERLIN, 2026, 1, 5, 9))

    assert interval.start == utc(2026, 1, 5, 1)
    assert interval.end == utc(2026, 1, 5, 8)
    assert interval.start.tzinfo is UTC
    assert interval.end.tzinfo is UTC


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (span(9, 10), span(10, 11), False),
        (span(10, 11), span(9, 10), False),
        (span(9, 10), span(11, 12), False),
        (span(9, 11), span(10, 12), True),
        (span(9, 12), span(10, 11), True),
        (span(10, 11), span(9, 12), True),
        (span(9, 10), span(9, 10), True),
    ],
    ids=["back-to-back", "back-to-back-reversed", "disjoint", "partial", "outer", "inner", "equal"],
)
def test_overlaps_is_end_exclusive(first: Interval, second: Interval, expected: bool) -> None:
    assert first.overlaps(second) is expected


@pytest.mark.parametrize(
    ("outer", "inner", "expected"),
    [
        (span(9, 17), span(9, 17), True),
        (span(9, 17), span(10, 11), True),
        (span(9, 17), span(9, 10), True),
        (span(9, 17), span(16, 17), True),
        (span(9, 17), span(8, 10), False),
        (span(9, 17), span(16, 18), False),
        (span(9, 17), span(17, 18), False),
        (span(10, 11), span(9, 17), False),
    ],
    ids=[
        "equal",
        "inside",
        "same-start",
        "same-end",
        "sticks-out-left",
        "sticks-out-right",
        "back-to-back",
        "larger",
    ],
)
def test_contains(outer: Interval, inner: Interval, expected: bool) -> None:
    assert outer.contains(inner) is expected


@pytest.mark.parametrize(
    ("duration", "minutes"),
    [
        (timedelta(minutes=90), 90),
        (timedelta(minutes=90, seconds=59), 90),
        (timedelta(seconds=59), 0),
        (timedelta(days=1), 1440),
    ],
)
def test_minutes_are_floored(duration: timedelta, minutes: int) -> None:
    assert Interval(at(9), at(9) + duration).minutes == minutes


def test_intervals_sort_by_start_then_end() -> None:
    assert sorted([span(10, 11), span(9, 12), span(9, 10)]) == [
        span(9, 10),
        span(9, 12),
        span(10, 11),
    ]


# --- to_utc ---------------------------------------------------------------------------------


def test_to_utc_converts_aware_datetimes() -> None:
    converted = to_utc(local(SHANGHAI, 2026, 1, 5, 9))

    assert converted == utc(2026, 1, 5, 1)
    assert converted.tzinfo is UTC
    assert converted.hour == 1


def test_to_utc_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError):
        to_utc(datetime(2026, 1, 5, 9))


# --- merge ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ([], []),
        ([(9, 10)], [(9, 10)]),
        ([(9, 11), (10, 12)], [(9, 12)]),
        ([(9, 10), (10, 11)], [(9, 11)]),
        ([(9, 10), (11, 12)], [(9, 10), (11, 12)]),
        ([(11, 12), (9, 10)], [(9, 10), (11, 12)]),
        ([(9, 17), (10, 11), (12, 13)], [(9, 17)]),
        ([(14, 15), (9, 10), (10, 12), (11, 14), (16, 17)], [(9, 15), (16, 17)]),
        ([(9, 10), (9, 10)], [(9, 10)]),
    ],
    ids=[
        "empty",
        "single",
        "overlapping",
        "touching",
        "disjoint",
        "unsorted",
        "contained",
        "chain",
        "duplicate",
    ],
)
def test_merge(given: list[tuple[int, int]], expected: list[tuple[int, int]]) -> None:
    assert merge(spans(*given)) == spans(*expected)


def test_merge_accepts_any_iterable() -> None:
    assert merge(iter(spans((10, 11), (9, 10)))) == spans((9, 11))


# --- subtract -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "blocks", "expected"),
    [
        ([(9, 17)], [], [(9, 17)]),
        ([(9, 17)], [(9, 17)], []),
        ([(9, 17)], [(8, 18)], []),
        ([(9, 17)], [(7, 9)], [(9, 17)]),
        ([(9, 17)], [(17, 18)], [(9, 17)]),
        ([(9, 17)], [(12, 13)], [(9, 12), (13, 17)]),
        ([(9, 17)], [(8, 10)], [(10, 17)]),
        ([(9, 17)], [(16, 18)], [(9, 16)]),
        ([(9, 17)], [(9, 10)], [(10, 17)]),
        ([(9, 17)], [(16, 17)], [(9, 16)]),
        ([(9, 12), (13, 15), (16, 18)], [(11, 17)], [(9, 11), (17, 18)]),
        ([(9, 17)], [(10, 11), (12, 13), (14, 15)], [(9, 10), (11, 12), (13, 14), (15, 17)]),
        ([(9, 17)], [(12, 14), (10, 13)], [(9, 10), (14, 17)]),
        ([(9, 17)], [(10, 11), (11, 12)], [(9, 10), (12, 17)]),
        ([(9, 12), (12, 17)], [(14, 15)], [(9, 14), (15, 17)]),
        ([(9, 10), (20, 21)], [(11, 12), (13, 14)], [(9, 10), (20, 21)]),
        ([(9, 10), (11, 12), (13, 14)], [(9, 10), (13, 14)], [(11, 12)]),
        ([(13, 14), (9, 10)], [(9.5, 13.5)], [(9, 9.5), (13.5, 14)]),
    ],
    ids=[
        "no-blocks",
        "block-equal",
        "block-covers",
        "block-touches-start",
        "block-touches-end",
        "block-inside",
        "block-over-start",
        "block-over-end",
        "block-shares-start",
        "block-shares-end",
        "block-spans-several",
        "several-blocks-in-one",
        "overlapping-blocks",
        "touching-blocks",
        "touching-intervals-merged",
        "blocks-in-gaps",
        "removes-whole-pieces",
        "unsorted-intervals",
    ],
)
def test_subtract(
    intervals: list[tuple[float, float]],
    blocks: list[tuple[float, float]],
    expected: list[tuple[float, float]],
) -> None:
    assert subtract(spans(*intervals), spans(*blocks)) == spans(*expected)


def _minute_set(intervals: list[Interval]) -> set[int]:
    def minute_of(instant: datetime) -> int:
        return (instant - at(0)) // timedelta(minutes=1)

    return {
        minute
        for interval in intervals
        for minute in range(minute_of(interval.start), minute_of(interval.end))
    }


def _random_intervals(rng: random.Random, count: int) -> list[Interval]:
    intervals = []
    for _ in range(count):
        start = at(0) + timedelta(minutes=rng.randrange(0, 600))
        intervals.append(Interval(start, start + timedelta(minutes=rng.randrange(1, 60))))
    return intervals


@pytest.mark.parametrize("seed", range(25))
def test_subtract_matches_minute_by_minute_reference(seed: int) -> None:
    rng = random.Random(seed)
    intervals = _random_intervals(rng, rng.randrange(0, 15))
    blocks = _random_intervals(rng, rng.randrange(0, 25))

    result = subtract(intervals, blocks)

    assert _minute_set(result) == _minute_set(intervals) - _minute_set(blocks)
    assert result == merge(result), "result must already be sorted and merged"


# --- clip -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("intervals", "expected"),
    [
        ([(10, 12)], [(10, 12)]),
        ([(8, 10)], [(9, 10)]),
        ([(16, 18)], [(16, 17)]),
        ([(8, 18)], [(9, 17)]),
        ([(6, 8), (18, 19)], []),
        ([(8, 9), (17, 18)], []),
        ([(15, 18), (8, 10)], [(9, 10), (15, 17)]),
    ],
    ids=["inside", "over-start", "over-end", "covers-window", "outside", "touches-edges", "sorted"],
)
def test_clip_to_window_9_to_17(
    intervals: list[tuple[int, int]], expected: list[tuple[int, int]]
) -> None:
    assert clip(spans(*intervals), span(9, 17)) == spans(*expected)


# --- expand_weekly --------------------------------------------------------------------------


def test_weekly_rule_in_shanghai_is_converted_to_utc() -> None:
    rule = WeeklyRule(frozenset({0}), time(9), time(17))
    week = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=6))

    assert expand_weekly([rule], SHANGHAI, week) == [
        Interval(utc(2026, 1, 5, 1), utc(2026, 1, 5, 9))
    ]


def test_weekly_rule_on_several_weekdays() -> None:
    rule = WeeklyRule(frozenset({0, 2, 4}), time(9), time(17))
    week = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=6))

    assert expand_weekly([rule], SHANGHAI, week) == [
        Interval(utc(2026, 1, day, 1), utc(2026, 1, day, 9)) for day in (5, 7, 9)
    ]


def test_weekly_rules_are_merged_when_they_touch_or_overlap() -> None:
    rules = [
        WeeklyRule(frozenset({0}), time(9), time(12)),
        WeeklyRule(frozenset({0}), time(12), time(14)),
        WeeklyRule(frozenset({0}), time(13), time(17)),
    ]

    assert expand_weekly(rules, SHANGHAI, local_days(SHANGHAI, MONDAY, MONDAY)) == [
        Interval(utc(2026, 1, 5, 1), utc(2026, 1, 5, 9))
    ]


def test_validity_dates_are_inclusive() -> None:
    rule = WeeklyRule(ALL_DAYS, time(9), time(17), date(2026, 1, 6), date(2026, 1, 8))
    two_weeks = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=13))

    starts = [interval.start for interval in expand_weekly([rule], SHANGHAI, two_weeks)]

    assert starts == [utc(2026, 1, 6, 1), utc(2026, 1, 7, 1), utc(2026, 1, 8, 1)]


@pytest.mark.parametrize(
    ("valid_from", "valid_to", "expected_days"),
    [
        (None, None, [5, 12]),
        (date(2026, 1, 6), None, [12]),
        (None, date(2026, 1, 11), [5]),
        (date(2026, 1, 5), date(2026, 1, 5), [5]),
        (date(2026, 1, 6), date(2026, 1, 11), []),
    ],
    ids=["unbounded", "from-only", "to-only", "single-day", "no-matching-weekday"],
)
def test_validity_bounds(
    valid_from: date | None, valid_to: date | None, expected_days: list[int]
) -> None:
    rule = WeeklyRule(frozenset({0}), time(9), time(17), valid_from, valid_to)
    two_weeks = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=13))

    starts = [interval.start for interval in expand_weekly([rule], SHANGHAI, two_weeks)]

    assert starts == [utc(2026, 1, day, 1) for day in expected_days]


def test_validity_applies_to_the_start_day_of_an_overnight_occurrence() -> None:
    # Valid only on Monday, but the Monday night occurrence still runs into Tuesday.
    rule = WeeklyRule(ALL_DAYS, time(22), time(6), MONDAY, MONDAY)
    week = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=6))

    assert expand_weekly([rule], SHANGHAI, week) == [
        Interval(local(SHANGHAI, 2026, 1, 5, 22), local(SHANGHAI, 2026, 1, 6, 6))
    ]


@pytest.mark.parametrize(
    ("start_time", "end_time", "expected_end"),
    [
        (time(22), time(6), local(SHANGHAI, 2026, 1, 6, 6)),
        (time(8), time(0), local(SHANGHAI, 2026, 1, 6, 0)),
        (time(22), time(22), local(SHANGHAI, 2026, 1, 6, 22)),
    ],
    ids=["22-to-06", "until-midnight", "equal-times-is-24h"],
)
def test_rule_ending_at_or_before_its_start_crosses_midnight(
    start_time: time, end_time: time, expected_end: datetime
) -> None:
    rule = WeeklyRule(frozenset({0}), start_time, end_time)
    week = local_days(SHANGHAI, MONDAY, MONDAY + timedelta(days=6))

    assert expand_weekly([rule], SHANGHAI, week) == [
        Interval(datetime.combine(MONDAY, start_time, tzinfo=SHANGHAI), expected_end)
    ]


def test_midnight_crossing_rule_is_expressed_in_utc() -> None:
    rule = WeeklyRule(frozenset({0}), time(22), time(6))

    assert expand_weekly([rule], SHANGHAI, local_days(SHANGHAI, MONDAY, MONDAY)) == [
        Interval(utc(2026, 1, 5, 14), utc(2026, 1, 5, 16))  # clipped at local midnight
    ]
    assert expand_weekly([rule], SHANGHAI, local_days(SHANGHAI, MONDAY, MONDAY.replace(day=6))) == [
        Interval(utc(2026, 1, 5, 14), utc(2026, 1, 5, 22))
    ]


def test_overnight_occurrence_from_before_the_window_is_included() -> None:
    rule = WeeklyRule(frozenset({0}), time(22), time(6))
    tuesday = MONDAY + timedelta(days=1)

    assert expand_weekly([rule], SHANGHAI, local_days(SHANGHAI, tuesday, tuesday)) == [
        Interval(local(SHANGHAI, 2026, 1, 6, 0), local(SHANGHAI, 2026, 1, 6, 6))
    ]


def test_daily_overnight_rules_merge_into_one_interval() -> None:
    rule = WeeklyRule(ALL_DAYS, time(0), time(0))
    week = local_days(BERLIN, MONDAY, MONDAY + timedelta(days=6))

    assert expand_weekly([rule], BERLIN, week) == [week]


@pytest.mark.parametrize(
    ("window", "expected"),
    [
        (Interval(utc(2026, 1, 5, 3), utc(2026, 1, 5, 5)), (3, 5)),
        (Interval(utc(2026, 1, 5, 0), utc(2026, 1, 5, 5)), (1, 5)),
        (Interval(utc(2026, 1, 5, 3), utc(2026, 1, 5, 12)), (3, 9)),
    ],
    ids=["inside-occurrence", "cuts-end", "cuts-start"],
)
def test_weekly_expansion_is_clipped_to_the_window(
    window: Interval, expected: tuple[int, int]
) -> None:
    rule = WeeklyRule(frozenset({0}), time(9), time(17))

    assert expand_weekly([rule], SHANGHAI, window) == [
        Interval(utc(2026, 1, 5, expected[0]), utc(2026, 1, 5, expected[1]))
    ]


def test_weekly_expansion_outside_the_window_is_empty() -> None:
    rule = WeeklyRule(frozenset({0}), time(9), time(17))
    tuesday_to_sunday = local_days(SHANGHAI, date(2026, 1, 6), date(2026, 1, 11))

    assert expand_weekly([rule], SHANGHAI, tuesday_to_sunday) == []
    assert expand_weekly([], SHANGHAI, tuesday_to_sunday) == []


@pytest.mark.parametrize(
    ("day", "utc_start_hour", "utc_end_hour"),
    [
        (date(2026, 3, 28), 8, 16),  # CET, UTC+1
        (date(2026, 3, 30), 7, 15),  # CEST, UTC+2
        (date(2026, 10, 24), 7, 15),  # CEST
        (date(2026, 10, 26), 8, 16),  # CET
    ],
    ids=["before-spring", "after-spring", "before-fall", "after-fall"],
)
def test_berlin_rule_stays_at_local_wall_time_across_dst(
    day: date, utc_start_hour: int, utc_end_hour: int
) -> None:
    rule = WeeklyRule(ALL_DAYS, time(9), time(17))

    [occurrence] = expand_weekly([rule], BERLIN, local_days(BERLIN, day, day))

    assert occurrence == Interval(
        utc(day.year, day.month, day.day, utc_start_hour),
        utc(day.year, day.month, day.day, utc_end_hour),
    )
    assert occurrence.start.astimezone(BERLIN).time() == time(9)
    assert occurrence.end.astimezone(BERLIN).time() == time(17)


def test_berlin_week_across_both_switches_keeps_local_times() -> None:
    rule = WeeklyRule(ALL_DAYS, time(9), time(17))
    for first in (date(2026, 3, 26), date(2026, 10, 22)):
        window = local_days(BERLIN, first, first + timedelta(days=6))

        occurrences = expand_weekly([rule], BERLIN, window)

        assert len(occurrences) == 7
        assert {o.start.astimezone(BERLIN).time() for o in occurrences} == {time(9)}
        assert {o.end.astimezone(BERLIN).time() for o in occurrences} == {time(17)}
        assert {o.minutes for o in occurrences} == {8 * 60}


@pytest.mark.parametrize(
    ("day", "expected_start", "expected_end"),
    [
        (date(2026, 3, 28), utc(2026, 3, 28, 21), utc(2026, 3, 29, 4)),  # night is 7 h long
        (date(2026, 10, 24), utc(2026, 10, 24, 20), utc(2026, 10, 25, 5)),  # night is 9 h long
    ],
    ids=["spring-forward", "fall-back"],
)
def test_overnight_rule_across_dst_keeps_wall_times(
    day: date, expected_start: datetime, expected_end: datetime
) -> None:
    rule = WeeklyRule(frozenset({5}), time(22), time(6))

    assert expand_weekly([rule], BERLIN, local_days(BERLIN, day, day + timedelta(days=1))) == [
        Interval(expected_start, expected_end)
    ]


@pytest.mark.parametrize(
    ("start_time", "end_time", "expected"),
    [
        # 02:30 does not exist on 2026-03-29; fold=0 reads it with the CET offset (UTC+1).
        (time(2, 30), time(5), [Interval(utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 3))]),
        (time(1), time(2, 30), [Interval(utc(2026, 3, 29, 0), utc(2026, 3, 29, 1, 30))]),
        # Both ends in the gap: fold=0 moves the whole window to 03:00-03:30 CEST.
        (time(2), time(2, 30), [Interval(utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30))]),
        # 02:30 reads as 03:30 CEST, after the 03:00 end: nothing left, and no error.
        (time(2, 30), time(3), []),
    ],
    ids=["starts-in-gap", "ends-in-gap", "inside-gap", "gap-to-switch"],
)
def test_spring_forward_gap_does_not_raise(
    start_time: time, end_time: time, expected: list[Interval]
) -> None:
    rule = WeeklyRule(frozenset({6}), start_time, end_time)
    spring_day = date(2026, 3, 29)

    occurrences = expand_weekly([rule], BERLIN, local_days(BERLIN, spring_day, spring_day))

    assert occurrences == expected
    assert all(o.start < o.end for o in occurrences)


def test_fall_back_ambiguous_time_uses_first_occurrence() -> None:
    # 02:30 happens twice on 2026-10-25; fold=0 picks the earlier one (CEST, UTC+2).
    rule = WeeklyRule(frozenset({6}), time(2, 30), time(4))
    fall_day = date(2026, 10, 25)

    assert expand_weekly([rule], BERLIN, local_days(BERLIN, fall_day, fall_day)) == [
        Interval(utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 3))
    ]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"weekdays": frozenset({7})}, "weekdays"),
        ({"weekdays": frozenset({-1})}, "weekdays"),
        ({"valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 31)}, "valid_from"),
    ],
)
def test_weekly_rule_rejects_invalid_values(kwargs: dict, message: str) -> None:
    fields = {"weekdays": frozenset({0}), "start_time": time(9), "end_time": time(17)} | kwargs
    with pytest.raises(ValueError, match=message):
        WeeklyRule(**fields)


# --- idle_time ------------------------------------------------------------------------------


def test_idle_time_combines_weekly_and_one_off_windows() -> None:
    rule = WeeklyRule(frozenset({0}), time(9), time(17))  # 01:00-09:00 UTC in Shanghai
    window = Interval(utc(2026, 1, 5), utc(2026, 1, 6))
    one_off = [
        Interval(utc(2026, 1, 5, 9), utc(2026, 1, 5, 11)),  # touches the weekly window
        Interval(utc(2026, 1, 5, 20), utc(2026, 1, 6, 2)),  # runs past the window
        Interval(utc(2026, 1, 7, 1), utc(2026, 1, 7, 2)),  # outside the window
    ]

    assert idle_time([rule], one_off, SHANGHAI, window) == [
        Interval(utc(2026, 1, 5, 1), utc(2026, 1, 5, 11)),
        Interval(utc(2026, 1, 5, 20), utc(2026, 1, 6)),
    ]


def test_idle_time_with_only_one_off_windows() -> None:
    assert idle_time([], spans((12, 13), (9, 10)), BERLIN, span(0, 24)) == spans((9, 10), (12, 13))


# --- compute_availability -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("idle", "blocks", "free", "busy"),
    [
        ([(9, 17)], [], [(9, 17)], []),
        ([(9, 17)], [(10, 11), (13, 14)], [(9, 10), (11, 13), (14, 17)], [(10, 11), (13, 14)]),
        ([(9, 17)], [(18, 19), (6, 9)], [(9, 17)], []),
        ([(9, 17)], [(8, 10)], [(10, 17)], [(8, 10)]),
        ([(9, 17)], [(10, 12), (11, 13), (13, 14)], [(9, 10), (14, 17)], [(10, 14)]),
        ([(9, 12), (14, 17)], [(11, 15)], [(9, 11), (15, 17)], [(11, 15)]),
        ([(9, 12), (14, 17)], [(12, 14)], [(9, 12), (14, 17)], []),
        ([(9, 17)], [(9, 17)], [], [(9, 17)]),
        ([], [(9, 10)], [], []),
    ],
    ids=[
        "no-blocks",
        "two-blocks",
        "blocks-outside-idle",
        "block-overlaps-idle-start",
        "blocks-merged",
        "block-bridges-gap",
        "block-only-in-gap",
        "fully-blocked",
        "no-idle",
    ],
)
def test_compute_availability(
    idle: list[tuple[int, int]],
    blocks: list[tuple[int, int]],
    free: list[tuple[int, int]],
    busy: list[tuple[int, int]],
) -> None:
    result = compute_availability(spans(*idle), spans(*blocks), span(0, 24))

    assert result == Availability(free=spans(*free), busy=spans(*busy))


def test_compute_availability_clips_everything_to_the_window() -> None:
    window = span(10, 16)

    result = compute_availability(spans((8, 12), (14, 20)), spans((9, 11), (15, 30)), window)

    assert result.free == spans((11, 12), (14, 15))
    assert result.busy == spans((10, 11), (15, 16))


def test_compute_availability_ignores_blocks_outside_the_window() -> None:
    result = compute_availability(spans((9, 17)), spans((0, 8), (20, 22)), span(6, 18))

    assert result == Availability(free=spans((9, 17)), busy=[])


def test_compute_availability_of_a_berlin_week() -> None:
    rule = WeeklyRule(frozenset({0, 1, 2, 3, 4}), time(9), time(17))
    window = local_days(BERLIN, MONDAY, MONDAY + timedelta(days=6))
    idle = idle_time([rule], [], BERLIN, window)
    maintenance = Interval(local(BERLIN, 2026, 1, 7, 8), local(BERLIN, 2026, 1, 7, 12))

    result = compute_availability(idle, [maintenance], window)

    assert len(result.free) == 5
    assert result.free[2] == Interval(local(BERLIN, 2026, 1, 7, 12), local(BERLIN, 2026, 1, 7, 17))
    assert result.busy == [maintenance]
    assert sum(interval.minutes for interval in result.free) == 5 * 8 * 60 - 3 * 60


# --- is_bookable ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("candidate", "expected"),
    [
        (span(9, 12), True),
        (span(10, 11), True),
        (span(9, 10), True),
        (span(11, 12), True),
        (span(14, 17), True),
        (span(8, 10), False),
        (span(11, 13), False),
        (span(11, 15), False),
        (span(12, 13), False),
        (span(17, 18), False),
    ],
    ids=[
        "equal",
        "inside",
        "at-start",
        "at-end",
        "second-interval",
        "sticks-out-left",
        "sticks-out-right",
        "spans-gap",
        "in-gap",
        "after-all",
    ],
)
def test_is_bookable(candidate: Interval, expected: bool) -> None:
    assert is_bookable(candidate, spans((9, 12), (14, 17))) is expected


def test_is_bookable_treats_touching_free_intervals_as_continuous() -> None:
    assert is_bookable(span(10, 13), spans((12, 14), (9, 12)))


def test_nothing_is_bookable_without_free_time() -> None:
    assert not is_bookable(span(9, 10), [])
