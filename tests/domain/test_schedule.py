"""The schedule's rules without a database: idle time in minutes of the axis (other zones,
overnight rules, validity dates), where bars sit, and the booking link's start on the slot grid."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.availability import WeeklyRule, merge_spans, subtract_spans
from equipment_share.domain.schedule import (
    BarKind,
    Block,
    Instrument,
    Sight,
    Span,
    axis_for,
    build_row,
    idle_minutes,
)
from tests.clock import SHANGHAI

TUESDAY = date(2030, 1, 8)  # a Tuesday; winter, so Europe has no daylight saving
NOW = datetime(2029, 12, 1, tzinfo=UTC)
DAY = axis_for(TUESDAY, Span.DAY, SHANGHAI)


def instrument(timezone="Asia/Shanghai", **values) -> Instrument:
    return Instrument(
        **{
            "id": 1,
            "name": "量热仪",
            "name_en": "",
            "platform_id": 1,
            "platform_name": "平台",
            "platform_name_en": "",
            "timezone": timezone,
            "slot_minutes": 30,
            "min_booking_minutes": 60,
            "lead_time_hours": 0,
            "horizon_days": 730,
            "active": True,
        }
        | values
    )


def rule(start, end, weekdays=range(7), **values) -> WeeklyRule:
    return WeeklyRule(weekdays=frozenset(weekdays), start_time=start, end_time=end, **values)


def test_a_rule_in_another_zone_lands_at_its_own_wall_clock_time():
    tokyo = idle_minutes(DAY, [rule(time(9), time(17))], [], ZoneInfo("Asia/Tokyo"))
    berlin = idle_minutes(DAY, [rule(time(9), time(17))], [], ZoneInfo("Europe/Berlin"))

    assert tokyo == [(8 * 60, 16 * 60)]  # Tokyo is an hour ahead of Shanghai
    assert berlin == [(16 * 60, 24 * 60)]  # Berlin (UTC+1) 09:00 is 16:00 in Shanghai


def test_a_zone_far_ahead_brings_its_next_day_into_the_axis():
    # Auckland (UTC+13 in January): Wednesday 01:00-03:00 there is Tuesday 20:00-22:00 here
    spans = idle_minutes(
        DAY, [rule(time(1), time(3), weekdays=[2])], [], ZoneInfo("Pacific/Auckland")
    )

    assert spans == [(20 * 60, 22 * 60)]


def test_an_overnight_rule_of_the_day_before_reaches_into_the_morning():
    spans = idle_minutes(DAY, [rule(time(22), time(6))], [], SHANGHAI)

    assert spans == [(0, 6 * 60), (22 * 60, 24 * 60)]


def test_validity_dates_and_weekdays_count_in_local_days():
    spans = idle_minutes(
        DAY,
        [
            rule(time(8), time(10), weekdays=[1], valid_to=date(2030, 1, 7)),
            rule(time(12), time(14), weekdays=[1], valid_from=TUESDAY),
            rule(time(15), time(16), weekdays=[2]),
        ],
        [],
        SHANGHAI,
    )

    assert spans == [(12 * 60, 14 * 60)]


def test_one_off_windows_are_narrowed_to_whole_minutes_and_merged():
    start = datetime(2030, 1, 8, 1, 0, 30, tzinfo=UTC)  # 09:00:30 in Shanghai
    end = datetime(2030, 1, 8, 2, 0, tzinfo=UTC)
    spans = idle_minutes(DAY, [rule(time(10), time(11))], [(start, end)], SHANGHAI)

    assert spans == [(9 * 60 + 1, 11 * 60)]


@pytest.mark.parametrize(
    ("spans", "blocks", "free"),
    [
        ([(0, 100)], [], [(0, 100)]),
        ([(0, 100)], [(0, 100)], []),
        ([(0, 100)], [(10, 20), (20, 30), (90, 120)], [(0, 10), (30, 90)]),
        ([(0, 50), (60, 100)], [(40, 70)], [(0, 40), (70, 100)]),
        ([(10, 20)], [(0, 5), (25, 30)], [(10, 20)]),
    ],
)
def test_free_is_idle_minus_blocks(spans, blocks, free):
    assert subtract_spans(spans, merge_spans(blocks, 0, 1440)) == free


def test_a_booking_link_starts_on_the_slot_grid_of_an_instrument_in_another_zone():
    # Kathmandu is UTC+5:45: its half-hour grid falls at :15 and :45 in Shanghai (UTC+8)
    row = build_row(
        DAY,
        instrument("Asia/Kathmandu"),
        idle=[(9 * 60, 12 * 60)],
        blocks=[],
        sight=Sight(),
        now=NOW,
    )

    (bar,) = row.bars
    assert (bar.book_start, bar.book_end) == (9 * 60 + 15, 10 * 60 + 15)


def test_bars_of_a_week_are_hours_and_what_the_viewer_knows_is_drawn_last():
    week = axis_for(TUESDAY, Span.WEEK, SHANGHAI)
    wednesday = 2 * 1440
    blocks = [
        Block(wednesday + 600, wednesday + 690, BarKind.BOOKED, 7, "confirmed", 5, "华晟化工"),
        Block(wednesday + 720, wednesday + 780, BarKind.BOOKED, 8, "pending", 6, "汾阳焦化"),
    ]

    row = build_row(
        week,
        instrument(),
        idle=[(wednesday + 480, wednesday + 1200)],
        blocks=blocks,
        sight=Sight(own_organization_id=5),
        now=NOW,
    )

    # Wednesday is 48 hour columns in; 11:30-12:00 is free but no whole hour
    assert [(bar.kind, bar.column, bar.span) for bar in row.bars] == [
        (BarKind.FREE, 56, 2),  # 08:00-10:00
        (BarKind.FREE, 61, 7),  # 13:00-20:00
        (BarKind.BUSY, 60, 1),  # the other enterprise's 12:00-13:00
        (BarKind.MINE, 58, 2),  # 10:00-11:30, widened to whole hours
    ]
    mine = row.bars[-1]
    assert (mine.booking_id, mine.status, mine.organization_name) == (7, "confirmed", None)
