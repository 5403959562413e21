"""The import expands simple series itself (calendar_import._simple_series) and leaves the
rest to recurring_ical_events: on generated calendars both give the same runs, run by run.

The corpus covers what production plans hold: weekly and daily series with BYDAY, INTERVAL,
WKST, COUNT or UNTIL (UTC, floating, date), EXDATEs that match an occurrence or miss it (in
the series' zone, in UTC, floating, as a date), DTSTART in a zone with summer time (New York,
Berlin) across its changes, in UTC, floating (with or without X-WR-TIMEZONE) or all-day, with
DTEND, DURATION or neither; next to events only the library expands (RDATE, moved occurrences).
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from equipment_share.domain.availability import Interval
from equipment_share.domain.calendar_import import _simple_series_of, parse_production_calendar
from equipment_share.domain.errors import ValidationFailed

CORPUS = settings(max_examples=300, deadline=None, derandomize=True, database=None)
ZONES = ("America/New_York", "Europe/Berlin", "Asia/Shanghai")
# Windows across the spring-forward (New York 14 March, Berlin 28 March 2027) and fall-back
# (Berlin 25 October, New York 1 November 2026) nights, and one without any.
WINDOW_STARTS = (
    datetime(2027, 3, 1, 5, tzinfo=UTC),
    datetime(2026, 10, 20, 22, tzinfo=UTC),
    datetime(2026, 12, 7, 3, 17, tzinfo=UTC),
)
HORIZON = timedelta(days=90)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
KINDS = ("zoned", "utc", "floating", "all-day")


def stamp(value: datetime) -> str:
    return f"{value:%Y%m%dT%H%M%S}"


@st.composite
def rules(draw, first: datetime, all_day: bool) -> tuple[str | None, int]:
    """An RRULE value (or None) and the days between its steps."""
    if draw(st.integers(0, 5)) == 0:
        return None, 1
    freq = draw(st.sampled_from(("WEEKLY", "DAILY")))
    interval = draw(st.integers(1, 3))
    parts = [f"FREQ={freq}"]
    if interval > 1 or draw(st.booleans()):
        parts.append(f"INTERVAL={interval}")
    days = draw(st.lists(st.sampled_from(WEEKDAYS), max_size=3, unique=True))
    if days:
        parts.append(f"BYDAY={','.join(days)}")
    if draw(st.booleans()):
        parts.append(f"WKST={draw(st.sampled_from(('MO', 'SU', 'WE')))}")
    end = draw(st.sampled_from(("none", "count", "until-utc", "until-floating", "until-date")))
    last = first + timedelta(days=draw(st.integers(0, 500)), hours=draw(st.integers(-30, 30)))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 80))}")
    elif end == "until-date" or (all_day and end != "none" and draw(st.booleans())):
        parts.append(f"UNTIL={last:%Y%m%d}")
    elif end == "until-utc":
        parts.append(f"UNTIL={stamp(last)}Z")
    elif end == "until-floating":
        parts.append(f"UNTIL={stamp(last)}")
    return ";".join(parts), interval * (7 if freq == "WEEKLY" else 1)


@st.composite
def simple_events(draw, number: int, window_start: datetime) -> list[str]:
    kind = draw(st.sampled_from(KINDS))
    zone = draw(st.sampled_from(ZONES))
    day = window_start.date() + timedelta(days=draw(st.integers(-420, 100)))
    # 01:30 and 02:30 fall in the repeated or the missing hour of a change
    hour, minute = draw(st.sampled_from(((0, 0), (1, 30), (2, 30), (3, 0), (8, 15), (23, 30))))
    first = datetime(day.year, day.month, day.day, hour, minute)
    lines = [f"UID:simple-{number}@corpus", "DTSTAMP:20260101T000000Z"]
    if kind == "all-day":
        lines.append(f"DTSTART;VALUE=DATE:{day:%Y%m%d}")
    elif kind == "zoned":
        lines.append(f"DTSTART;TZID={zone}:{stamp(first)}")
    elif kind == "utc":
        lines.append(f"DTSTART:{stamp(first)}Z")
    else:
        lines.append(f"DTSTART:{stamp(first)}")
    lines += end_lines(draw, kind, zone, first)
    rule, step_days = draw(rules(first, kind == "all-day"))
    if rule:
        lines.append(f"RRULE:{rule}")
    exdates = [exdate(draw, kind, zone, first, step_days) for _ in range(draw(st.integers(0, 3)))]
    lines += [line for line in exdates if line]
    status = draw(st.sampled_from((None, None, None, "STATUS:CANCELLED", "TRANSP:TRANSPARENT")))
    if status:
        lines.append(status)
    lines.append(f"SUMMARY:Batch {number}")
    return lines


def end_lines(draw, kind: str, zone: str, first: datetime) -> list[str]:
    choice = draw(st.sampled_from(("dtend", "dtend-utc", "duration", "none")))
    if kind == "all-day":
        days = draw(st.integers(1, 3))
        if choice.startswith("dtend"):
            return [f"DTEND;VALUE=DATE:{first.date() + timedelta(days=days):%Y%m%d}"]
        return [f"DURATION:P{days}D"] if choice == "duration" else []
    length = timedelta(minutes=30 * draw(st.integers(1, 60)))
    if choice == "duration":
        return [f"DURATION:PT{length.seconds // 3600}H{length.seconds % 3600 // 60}M"]
    if choice == "dtend-utc" and kind != "floating":  # the exact instant
        start = first.replace(tzinfo=UTC if kind == "utc" else ZoneInfo(zone))
        return [f"DTEND:{stamp((start + length).astimezone(UTC))}Z"]
    if choice.startswith("dtend"):
        end = stamp(first + length)
        if kind == "zoned":
            return [f"DTEND;TZID={zone}:{end}"]
        return [f"DTEND:{end}Z" if kind == "utc" else f"DTEND:{end}"]
    return []


def exdate(draw, kind: str, zone: str, first: datetime, step_days: int) -> str | None:
    """An EXDATE on an occurrence (a whole number of steps after DTSTART) or beside one."""
    wall = first + timedelta(days=step_days * draw(st.integers(0, 80)))
    if draw(st.booleans()):
        wall += timedelta(hours=draw(st.sampled_from((-1, 1, 5, 24))))
    form = draw(st.sampled_from(("same", "utc", "floating", "date")))
    if kind == "all-day" or form == "date":
        return f"EXDATE;VALUE=DATE:{wall:%Y%m%d}"
    if form == "utc" and kind != "floating":
        zoned = wall.replace(tzinfo=UTC if kind == "utc" else ZoneInfo(zone))
        return f"EXDATE:{stamp(zoned.astimezone(UTC))}Z"
    if kind == "zoned" and form == "same":
        return f"EXDATE;TZID={zone}:{stamp(wall)}"
    if kind == "utc":
        return f"EXDATE:{stamp(wall)}Z"
    return f"EXDATE:{stamp(wall)}"


def library_events(draw, window_start: datetime) -> list[list[str]]:
    """A series with RDATE, or one with a moved occurrence: only the library expands these."""
    day = window_start + timedelta(days=draw(st.integers(-10, 60)))
    start = day.replace(hour=6, minute=0, second=0, tzinfo=None)
    if draw(st.booleans()):
        return [
            [
                "UID:rdate@corpus",
                f"DTSTART;TZID=Europe/Berlin:{stamp(start)}",
                "DURATION:PT3H",
                f"RDATE;TZID=Europe/Berlin:{stamp(start + timedelta(days=2, hours=5))}",
                "SUMMARY:With RDATE",
            ]
        ]
    moved = start + timedelta(days=7)
    return [
        [
            "UID:moved@corpus",
            f"DTSTART;TZID=America/New_York:{stamp(start)}",
            f"DTEND;TZID=America/New_York:{stamp(start + timedelta(hours=2))}",
            "RRULE:FREQ=WEEKLY;COUNT=10",
            "SUMMARY:Series",
        ],
        [
            "UID:moved@corpus",
            f"RECURRENCE-ID;TZID=America/New_York:{stamp(moved)}",
            f"DTSTART;TZID=America/New_York:{stamp(moved + timedelta(hours=3))}",
            f"DTEND;TZID=America/New_York:{stamp(moved + timedelta(hours=4))}",
            "SUMMARY:Moved",
        ],
    ]


@st.composite
def corpus_calendars(draw) -> tuple[bytes, int, Interval, ZoneInfo]:
    """(file, how many of its events are simple, window, the instrument's zone)."""
    window_start = draw(st.sampled_from(WINDOW_STARTS))
    count = draw(st.integers(1, 4))
    events = [draw(simple_events(number, window_start)) for number in range(count)]
    if draw(st.integers(0, 3)) == 0:
        events += library_events(draw, window_start)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//corpus//EN"]
    if draw(st.booleans()):
        lines.append(f"X-WR-TIMEZONE:{draw(st.sampled_from(ZONES))}")
    for event_lines in events:
        lines += ["BEGIN:VEVENT", *event_lines, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    data = ("\r\n".join(lines) + "\r\n").encode()
    default_tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    return data, count, Interval(window_start, window_start + HORIZON), default_tz


def outcome(data: bytes, window: Interval, default_tz: ZoneInfo, **switches: bool):
    """The runs, or the refusal's fields; `switches` choose the paths (expand_directly,
    read_directly)."""
    try:
        return parse_production_calendar(data, window, default_tz, **switches)
    except ValidationFailed as refused:
        return refused.fields


@CORPUS
@given(corpus_calendars())
def test_direct_expansion_gives_the_library_s_runs_run_by_run(case):
    data, simple, window, default_tz = case
    direct = outcome(data, window, default_tz, expand_directly=True)
    library = outcome(data, window, default_tz, expand_directly=False)
    assert direct == library
    # the generated simple events did go the direct way
    assert len(_simple_series_of(Calendar.from_ical(data))) == simple, data.decode()


def weekly_in_new_york(*extra: str) -> bytes:
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:weekly@tests",
        "DTSTART;TZID=America/New_York:20270301T023000",
        "DTEND;TZID=America/New_York:20270301T043000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,SU;COUNT=6",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(lines) + "\r\n").encode()


def test_a_weekly_series_across_spring_forward_worked_out_by_hand():
    """02:30 does not exist on Sunday 14 March 2027 in New York: read as 02:30 EST (07:30 UTC),
    it lasts two wall-clock hours, to 04:30 EDT (08:30 UTC). The EXDATE in UTC removes the
    Monday 8 March run; COUNT=6 counts it."""
    data = weekly_in_new_york("EXDATE:20270308T073000Z")
    window = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    runs = parse_production_calendar(data, window, ZoneInfo("Asia/Shanghai"))
    assert [(f"{run.interval.start:%m-%d %H:%M}", f"{run.interval.end:%H:%M}") for run in runs] == [
        ("03-01 07:30", "09:30"),
        ("03-07 07:30", "09:30"),
        ("03-14 07:30", "08:30"),
        ("03-15 06:30", "08:30"),
        ("03-21 06:30", "08:30"),
    ]
    assert runs == parse_production_calendar(data, window, ZoneInfo("UTC"), expand_directly=False)


def test_events_sharing_a_uid_and_rules_beyond_the_simple_ones_go_to_the_library():
    monthly = weekly_in_new_york().replace(b"FREQ=WEEKLY;BYDAY=MO,SU", b"FREQ=MONTHLY")
    with_rdate = weekly_in_new_york("RDATE;TZID=America/New_York:20270305T100000")
    nth_weekday = weekly_in_new_york().replace(b"BYDAY=MO,SU", b"BYDAY=1MO")
    for data in (monthly, with_rdate, nth_weekday):
        assert _simple_series_of(Calendar.from_ical(data)) == []
    twice = weekly_in_new_york().replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\nUID:weekly@tests\r\nDTSTART:20270302T100000Z\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR",
    )
    assert _simple_series_of(Calendar.from_ical(twice)) == []
    assert len(_simple_series_of(Calendar.from_ical(weekly_in_new_york()))) == 1


def test_the_start_of_a_series_long_ago_is_skipped_to_the_window_without_count():
    """A daily series begun in 1990 gives the same runs as the library from the first step."""
    data = (
        weekly_in_new_york()
        .replace(b"20270301T0", b"19900301T0")
        .replace(b"FREQ=WEEKLY;BYDAY=MO,SU;COUNT=6", b"FREQ=DAILY;INTERVAL=3")
    )
    window = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    runs = parse_production_calendar(data, window, ZoneInfo("UTC"))
    assert len(runs) == 10  # every third day in 31 days
    assert runs == parse_production_calendar(data, window, ZoneInfo("UTC"), expand_directly=False)
    assert date(2027, 3, 1) <= runs[0].interval.start.date()


@pytest.mark.parametrize(
    "rule", ["FREQ=DAILY;INTERVAL=5000000", "FREQ=WEEKLY;INTERVAL=2000000;BYDAY=MO"]
)
def test_a_step_beyond_the_calendar_goes_to_the_library_instead_of_overflowing(rule):
    data = weekly_in_new_york().replace(b"FREQ=WEEKLY;BYDAY=MO,SU;COUNT=6", rule.encode())
    assert _simple_series_of(Calendar.from_ical(data)) == []
    window = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 4, 1, tzinfo=UTC))
    [only_dtstart] = parse_production_calendar(data, window, ZoneInfo("UTC"))
    assert only_dtstart.interval.start == datetime(2027, 3, 1, 7, 30, tzinfo=UTC)
