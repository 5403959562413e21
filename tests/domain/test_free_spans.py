"""`free_spans` (integers, the instrument feed's free time) against `compute_availability`
(Intervals, everything else): the same free time, span for span, on generated idle windows
(weekly, overnight, one-off, with validity dates) in a zone without summer time and one with it,
across its changes, with blocks that share, cross or touch the idle windows' edges."""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.availability import (
    Interval,
    WeeklyRule,
    compute_availability,
    free_spans,
    idle_time,
)
from equipment_share.domain.calendar_export import epoch_microseconds

ZONES = [ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")]
# Windows of a few weeks around Berlin's changes (29 March and 25 October 2026) and away from them
WINDOW_STARTS = [
    datetime(2026, 3, 20, 16, 0, tzinfo=UTC),
    datetime(2026, 10, 18, 22, 30, 15, 250_000, tzinfo=UTC),
    datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
]


def as_spans(intervals: list[Interval]) -> list[tuple[int, int]]:
    return [(epoch_microseconds(i.start), epoch_microseconds(i.end)) for i in intervals]


def both(idle: list[Interval], blocks: list[Interval], window: Interval):
    """The free time by the general function and by the integer one, both as integer spans."""
    general = compute_availability(idle, blocks, window).free
    fast = free_spans(as_spans(idle), as_spans(blocks), as_spans([window])[0])
    return as_spans(general), fast


def random_rule(rng: random.Random, window: Interval) -> WeeklyRule:
    start = time(rng.choice([0, 2, 8, 9, 13, 22]), rng.choice([0, 30]))
    end = rng.choice([time(0), time(3), time(6), time(17), time(17, 30), start])  # some overnight
    first_day = window.start.date()
    return WeeklyRule(
        weekdays=frozenset(rng.sample(range(7), rng.randint(1, 7))),
        start_time=start,
        end_time=end,
        valid_from=rng.choice([None, first_day + timedelta(days=rng.randrange(0, 10))]),
        valid_to=rng.choice([None, first_day + timedelta(days=rng.randrange(10, 30))]),
    )


def random_interval(rng: random.Random, around: datetime, days: int) -> Interval:
    start = around + timedelta(minutes=rng.randrange(-24 * 60, days * 24 * 60))
    start += timedelta(microseconds=rng.choice([0, 0, 1, 999_999]))
    return Interval(start, start + timedelta(minutes=rng.randrange(1, 3 * 24 * 60)))


def blocks_on_edges(rng: random.Random, idle: list[Interval], count: int) -> list[Interval]:
    """Blocks that start or end where an idle interval does, or just before or after."""
    nudges = [timedelta(0), timedelta(0), timedelta(microseconds=1), timedelta(minutes=-30)]
    blocks = []
    for interval in rng.sample(idle, min(count, len(idle))):
        edge = rng.choice([interval.start, interval.end]) + rng.choice(nudges)
        length = timedelta(minutes=rng.choice([5, 60, 600]))
        blocks.append(rng.choice([Interval(edge, edge + length), Interval(edge - length, edge)]))
    return blocks


def touching_blocks(rng: random.Random, around: datetime, count: int) -> list[Interval]:
    """Back-to-back bookings (a feed's busy day), none overlapping."""
    blocks, start = [], around + timedelta(hours=rng.randrange(0, 48))
    for _ in range(count):
        end = start + timedelta(minutes=rng.choice([30, 50, 90]))
        blocks.append(Interval(start, end))
        start = end + rng.choice([timedelta(0), timedelta(0), timedelta(minutes=10)])
    return blocks


def outside_touching(rng: random.Random, window: Interval) -> list[Interval]:
    """Maybe a span that ends where the window starts, and one that starts where it ends."""
    hour = timedelta(hours=1)
    return [
        span
        for span in (
            Interval(window.start - hour, window.start),
            Interval(window.end, window.end + hour),
        )
        if rng.random() < 0.3
    ]


@pytest.mark.parametrize("seed", range(240))
def test_free_spans_are_the_free_time_of_compute_availability(seed: int) -> None:
    rng = random.Random(seed)
    zone = ZONES[seed % len(ZONES)]
    start = WINDOW_STARTS[seed % len(WINDOW_STARTS)] + timedelta(hours=rng.randrange(0, 24))
    days = rng.choice([1, 7, 21])
    window = Interval(start, start + timedelta(days=days))
    rules = [random_rule(rng, window) for _ in range(rng.randint(0, 3))]
    one_off = [random_interval(rng, start, days) for _ in range(rng.randint(0, 4))]
    one_off += touching_blocks(rng, start, rng.choice([0, 0, 3]))  # one-off windows in a row
    one_off += outside_touching(rng, window)
    idle = idle_time(rules, one_off, zone, window)
    if rng.random() < 0.3:  # the function is also given idle time that is not merged yet
        idle = [*idle, *one_off]
    blocks = [random_interval(rng, start, days) for _ in range(rng.randint(0, 12))]
    blocks += blocks_on_edges(rng, idle, rng.randint(0, 6))
    blocks += touching_blocks(rng, start, rng.randint(0, 40))
    blocks += outside_touching(rng, window)
    rng.shuffle(blocks)

    general, fast = both(idle, blocks, window)

    assert fast == general


def at(hour: float) -> datetime:
    return datetime(2026, 3, 29, tzinfo=UTC) + timedelta(hours=hour)


def span(start: float, end: float) -> Interval:
    return Interval(at(start), at(end))


@pytest.mark.parametrize(
    ("idle", "blocks"),
    [
        ([], [(1, 2)]),
        ([(0, 24)], []),
        ([(9, 17)], [(9, 17)]),
        ([(9, 17)], [(8, 18)]),
        ([(9, 12), (12, 17)], [(14, 15)]),
        ([(9, 17)], [(10, 11), (11, 12)]),
        ([(9, 17)], [(12, 14), (10, 13)]),
        ([(9, 10), (11, 12), (13, 14)], [(9, 10), (13, 14)]),
        ([(-5, 3)], [(-4, -3), (2, 30)]),
        ([(20, 30)], [(23, 25)]),
        ([(13, 14), (9, 10), (9, 12)], [(9.5, 13.5)]),
        ([(-3, 0), (9, 10), (24, 26)], []),
        ([(0, 24)], [(-1, 0), (24, 25)]),
        ([(2, 4), (4, 6), (8, 9)], [(5, 8)]),
    ],
    ids=[
        "no-idle",
        "no-blocks",
        "block-equal",
        "block-covers",
        "touching-idle-merged",
        "touching-blocks",
        "overlapping-blocks",
        "removes-whole-pieces",
        "idle-and-blocks-before-the-window",
        "idle-after-the-window",
        "unsorted",
        "idle-touching-the-window-from-outside",
        "blocks-touching-the-window-from-outside",
        "touching-idle-then-a-block",
    ],
)
def test_free_spans_on_named_cases(idle, blocks) -> None:
    window = span(0, 24)

    general, fast = both([span(*i) for i in idle], [span(*b) for b in blocks], window)

    assert fast == general


def test_free_spans_across_berlins_fall_back_night() -> None:
    """An overnight window (22:00-06:00 local) over the night the clocks go back, with a
    booking in the repeated hour (01:00-02:00 UTC is 02:00-02:00 local)."""
    window = Interval(utc(2026, 10, 24, 22), utc(2026, 10, 26, 0))
    rules = [WeeklyRule(frozenset(range(7)), time(22), time(6))]
    booking = Interval(utc(2026, 10, 25, 1), utc(2026, 10, 25, 2))

    general, fast = both(idle_time(rules, [], ZONES[1], window), [booking], window)

    assert fast == general
    expected = [
        (utc(2026, 10, 24, 22), utc(2026, 10, 25, 1)),
        (utc(2026, 10, 25, 2), utc(2026, 10, 25, 5)),  # 06:00 CET
        (utc(2026, 10, 25, 21), utc(2026, 10, 26, 0)),  # 22:00 CET
    ]
    assert fast == as_spans([Interval(*pair) for pair in expected])


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)
