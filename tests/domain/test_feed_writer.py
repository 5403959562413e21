"""FeedWriter (and build_calendar on top of it) against the writer it replaced
(tests/calendar_oracle.py), byte for byte, on varied events: texts that need escaping or folding
(multi-byte characters across the 75-octet boundary), zones with and without daylight saving
(the repeated hour of a fall-back night included), instants with microseconds, free intervals,
cancelled events, and ties on start and end."""

import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.calendar_export import (
    CalendarEvent,
    FeedWriter,
    build_calendar,
    epoch_microseconds,
    utc_text,
)
from tests import calendar_oracle

ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # a half-hour shift
    "Pacific/Chatham",  # +12:45/+13:45
    "America/St_Johns",  # a negative offset with minutes
    "America/Argentina/ComodRivadavia",  # the longest key
    "UTC",
]
TEXTS = [
    "已预约 / Booked",
    "XRD phase analysis, 3 samples",
    "a;b,c\\d",
    "two\nlines\r\nand\rreturns",
    "control\x01\x1f\x7fchars\tand tab",
    "长" * 30,  # 90 octets: folded
    "x" * 62 + "长长",  # the first fold falls inside a three-octet character
    "Zürich – Genève, 5 µm; “quoted”",
    "",
]


def random_event(rng: random.Random, number: int, base: datetime) -> CalendarEvent:
    start = base + timedelta(
        minutes=rng.choice([0, 30, 50, 60, 90]) * rng.randrange(0, 2000),
        microseconds=rng.choice([0, 0, 0, 1, 999_999, 500_000]),
    )
    end = start + timedelta(minutes=rng.choice([5, 30, 60, 61, 600]), seconds=rng.choice([0, 59]))
    transparent = rng.random() < 0.3
    return CalendarEvent(
        uid=rng.choice([f"booking-{number}@equipment-share", f"idle-7-{number}@equipment-share"]),
        interval=Interval(start, end),
        summary=rng.choice(TEXTS) or "x",
        description="\n".join(rng.sample(TEXTS, rng.randrange(0, 4))),
        location=rng.choice(TEXTS),
        status=rng.choice(["TENTATIVE", "CONFIRMED", "CANCELLED"]),
        sequence=rng.randrange(0, 12),
        last_modified=rng.choice(
            [None, start - timedelta(days=3, microseconds=rng.randrange(10**6))]
        ),
        transparent=transparent,
    )


@pytest.mark.parametrize("zone", ZONES)
def test_feeds_match_the_previous_writer_byte_for_byte(zone):
    rng = random.Random(zone)
    tz = ZoneInfo(zone)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    events = [random_event(rng, number, base) for number in range(400)]
    # ties on start and end, told apart by uid (as strings: booking-10 before booking-9)
    tie = Interval(base + timedelta(days=3), base + timedelta(days=3, hours=1))
    events += [
        CalendarEvent(uid=f"booking-{n}@equipment-share", interval=tie, summary="tie")
        for n in (9, 10, 100)
    ]
    now = datetime(2026, 12, 7, 1, 2, 3, 456789, tzinfo=UTC)
    args = {"name": "Instrument, 长名; \\ x" * 3, "tz": tz, "now": now}

    fast = build_calendar(events, **args)

    assert fast == calendar_oracle.build_calendar(events, **args)
    assert len(icalendar.Calendar.from_ical(fast).walk("VEVENT")) == len(events)


@pytest.mark.parametrize(
    ("zone", "night"),
    [
        ("Europe/Berlin", datetime(2026, 10, 25, 0, 0, tzinfo=UTC)),  # 03:00 -> 02:00 local
        ("America/New_York", datetime(2026, 11, 1, 5, 0, tzinfo=UTC)),  # 02:00 -> 01:00 local
        ("Australia/Lord_Howe", datetime(2026, 4, 4, 14, 0, tzinfo=UTC)),  # 02:00 -> 01:30
    ],
)
def test_the_repeated_hour_of_a_fall_back_night_matches_too(zone, night):
    tz = ZoneInfo(zone)
    events = [
        CalendarEvent(
            uid=f"booking-{minutes}@equipment-share",
            interval=Interval(
                night + timedelta(minutes=minutes), night + timedelta(minutes=minutes + 30)
            ),
            summary="Booked",
        )
        for minutes in range(0, 240, 10)
    ]
    args = {"name": "n", "tz": tz, "now": night}
    fast = build_calendar(events, **args)
    assert fast == calendar_oracle.build_calendar(events, **args)
    assert b"DTSTART:" in fast  # some were written in UTC
    assert f"DTSTART;TZID={zone}:".encode() in fast  # and others in local time


def test_an_empty_feed_matches_and_spans_the_year_of_now():
    args = {
        "name": "empty",
        "tz": ZoneInfo("Europe/Berlin"),
        "now": datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
    }
    fast = build_calendar([], **args)
    assert fast == calendar_oracle.build_calendar([], **args)


def test_the_writer_takes_epoch_microseconds_and_keeps_details_per_text():
    tz = ZoneInfo("Asia/Shanghai")
    now = datetime(2026, 12, 7, tzinfo=UTC)
    writer = FeedWriter(name="n", tz=tz, now=now)
    details = writer.details("已预约 / Booked")
    start = epoch_microseconds(datetime(2026, 12, 8, 1, 0, 0, 999_999, tzinfo=UTC))
    event = writer.event(start, start + 3_600_000_000, "booking-1@equipment-share", details=details)
    body = writer.calendar([event]).decode()
    assert "DTSTART;TZID=Asia/Shanghai:20261208T090000\r\n" in body
    assert "DTEND;TZID=Asia/Shanghai:20261208T100000\r\n" in body
    assert utc_text(start) == "20261208T010000Z"


@pytest.mark.parametrize(
    "instant",
    [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 12, 7, 1, 2, 3, 456_789, tzinfo=UTC),
        datetime(2038, 1, 19, 3, 14, 8, tzinfo=UTC),
    ],
)
def test_utc_text_is_strftimes_text(instant):
    assert utc_text(epoch_microseconds(instant)) == f"{instant:%Y%m%dT%H%M%SZ}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"status": "DONE"}, "status must be one of"),
        ({"sequence": -1}, "sequence must not be negative"),
        ({"uid": ""}, "uid must not be empty"),
        ({"end": 0}, "must start before it ends"),
    ],
)
def test_the_writer_refuses_what_the_event_type_refuses(change, message):
    writer = FeedWriter(name="n", tz=ZoneInfo("UTC"), now=datetime(2026, 1, 1, tzinfo=UTC))
    values = {"start": 10, "end": 20, "uid": "u", "details": writer.details("s")} | change
    with pytest.raises(ValueError, match=message):
        writer.event(values.pop("start"), values.pop("end"), values.pop("uid"), **values)
