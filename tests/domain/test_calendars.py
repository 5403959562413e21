"""iCalendar import (production schedules -> busy intervals) and export (feeds).

The samples in ics/ are hand-written in the shape Outlook, Google Calendar and Thunderbird give
their exports; every expected interval below was worked out by hand, in UTC.
Exported feeds are read back with vobject, a parser independent of icalendar.
"""

import random
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import vobject

from equipment_share.domain import calendar_import
from equipment_share.domain.availability import Interval
from equipment_share.domain.calendar_export import CalendarEvent, build_calendar, etag_for
from equipment_share.domain.calendar_import import (
    MAX_CALENDAR_BYTES,
    MAX_RUNS,
    known_zone,
    parse_production_calendar,
)
from equipment_share.domain.errors import Message, ValidationFailed
from tests.clock import SHANGHAI

ICS = Path(__file__).parent / "ics"
BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 1, 1, 8, 30, tzinfo=UTC)

NO_EVENTS = "The file contains no events."
INVALID = "The file is not a valid iCalendar (.ics) file: %(reason)s"
TOO_LARGE = "The file is larger than %(mb)d MB."
TOO_MANY = "The calendar expands to more than %(max)d production runs in the next %(days)d days."
TOO_OFTEN = "The event “%(summary)s” repeats too often to be imported."


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def window(start: str, end: str) -> Interval:
    return Interval(
        datetime.fromisoformat(start).replace(tzinfo=UTC),
        datetime.fromisoformat(end).replace(tzinfo=UTC),
    )


def sample(name: str) -> bytes:
    return (ICS / f"{name}.ics").read_bytes()


def calendar(*events: list[str], header: tuple[str, ...] = ()) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN", *header]
    for event_lines in events:
        lines += ["BEGIN:VEVENT", *event_lines, "END:VEVENT"]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def event(*lines: str, uid: str = "run-1@tests") -> list[str]:
    return [f"UID:{uid}", "DTSTAMP:20260101T000000Z", *lines]


def busy(
    data: bytes,
    start: str = "2026-01-01",
    end: str = "2026-03-01",
    tz: ZoneInfo = SHANGHAI,
) -> list[tuple[str, str, str]]:
    """(start, end, summary) of each run, times in UTC as 'YYYY-MM-DD HH:MM'."""
    return [
        (f"{run.interval.start:%Y-%m-%d %H:%M}", f"{run.interval.end:%Y-%m-%d %H:%M}", run.summary)
        for run in parse_production_calendar(data, window(start, end), tz)
    ]


def spans(data: bytes, **kwargs) -> list[tuple[str, str]]:
    return [(start, end) for start, end, _summary in busy(data, **kwargs)]


def refusal(data: bytes, **kwargs) -> Message:
    with pytest.raises(ValidationFailed) as caught:
        busy(data, **kwargs)
    assert set(caught.value.fields) == {"calendar"}
    return caught.value.fields["calendar"]


# --- the client samples ----------------------------------------------------------------------


def test_outlook_weekly_run_in_china_standard_time_with_exdate_and_all_day_event():
    # Mon/Wed 08:00-12:00 "China Standard Time" = 00:00-04:00 UTC; Wed 2026-01-14 excluded;
    # UNTIL 2026-01-28T00:00Z includes that Wednesday. The all-day 2026-01-16 covers the local
    # day in the instrument's zone. The TRANSPARENT (free) and the CANCELLED events are ignored.
    assert busy(sample("outlook_china")) == [
        ("2026-01-05 00:00", "2026-01-05 04:00", "焦煤工业分析"),
        ("2026-01-07 00:00", "2026-01-07 04:00", "焦煤工业分析"),
        ("2026-01-12 00:00", "2026-01-12 04:00", "焦煤工业分析"),
        ("2026-01-15 16:00", "2026-01-16 16:00", "设备年检"),
        ("2026-01-19 00:00", "2026-01-19 04:00", "焦煤工业分析"),
        ("2026-01-21 00:00", "2026-01-21 04:00", "焦煤工业分析"),
        ("2026-01-26 00:00", "2026-01-26 04:00", "焦煤工业分析"),
        ("2026-01-28 00:00", "2026-01-28 04:00", "焦煤工业分析"),
    ]


def test_outlook_w_europe_standard_time_keeps_the_wall_time_across_the_dst_change():
    # Mondays 09:00-10:30 Berlin time: CEST (UTC+2) until 2026-10-25, CET (UTC+1) after.
    assert spans(sample("outlook_berlin"), start="2026-10-01", end="2026-12-01") == [
        ("2026-10-12 07:00", "2026-10-12 08:30"),
        ("2026-10-19 07:00", "2026-10-19 08:30"),
        ("2026-10-26 08:00", "2026-10-26 09:30"),
        ("2026-11-02 08:00", "2026-11-02 09:30"),
    ]


def test_google_daily_run_with_until_in_utc_exdate_cancelled_override_and_utc_event():
    # Daily 14:00-17:00 Asia/Shanghai until 2026-01-09 23:59:59 local; 01-07 is an EXDATE,
    # 01-08 a cancelled override; the UTC one-off stays as is; all-day 01-13..01-15 is two
    # local days; the TRANSPARENT "Open for SMEs" is ignored.
    assert busy(sample("google_shanghai")) == [
        ("2026-01-05 06:00", "2026-01-05 09:00", "Fermentation GC run"),
        ("2026-01-06 06:00", "2026-01-06 09:00", "Fermentation GC run"),
        ("2026-01-09 06:00", "2026-01-09 09:00", "Fermentation GC run"),
        ("2026-01-12 01:00", "2026-01-12 03:00", "GC calibration"),
        ("2026-01-12 16:00", "2026-01-14 16:00", "Annual maintenance shutdown"),
    ]


def test_thunderbird_rdate_recurrence_id_and_all_day_event_in_berlin():
    # Mondays 09:00-11:00 Europe/Berlin, COUNT=6 from 10-05; 10-12 moved to Tue 10-13 13:00;
    # RDATE adds Wed 10-28 09:00 (same length); the clocks go back on 10-25.
    # The all-day 11-02..11-04 covers two Berlin days; the TRANSPARENT holiday is ignored.
    assert busy(sample("thunderbird_berlin"), start="2026-10-01", end="2026-12-01", tz=BERLIN) == [
        ("2026-10-05 07:00", "2026-10-05 09:00", "Foundry sand testing"),
        ("2026-10-13 11:00", "2026-10-13 13:00", "Foundry sand testing (moved)"),
        ("2026-10-19 07:00", "2026-10-19 09:00", "Foundry sand testing"),
        ("2026-10-26 08:00", "2026-10-26 10:00", "Foundry sand testing"),
        ("2026-10-28 08:00", "2026-10-28 10:00", "Foundry sand testing"),
        ("2026-11-01 23:00", "2026-11-03 23:00", "Furnace relining"),
        ("2026-11-02 08:00", "2026-11-02 10:00", "Foundry sand testing"),
        ("2026-11-09 08:00", "2026-11-09 10:00", "Foundry sand testing"),
    ]


def test_runs_carry_the_event_uid_and_come_sorted():
    runs = parse_production_calendar(
        sample("thunderbird_berlin"), window("2026-10-01", "2026-12-01"), BERLIN
    )
    assert {run.uid for run in runs} == {
        "7d3f2a9e-1b4c-4e8a-9f6d-2c5b8a1e0f3d",
        "2b8e4c1a-9d7f-4a3b-8e6c-5f1d0a2b3c4e",
    }
    assert runs == sorted(runs, key=lambda run: (run.interval.start, run.interval.end))


# --- time zones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tzid", "local", "expected_start"),
    [
        ("China Standard Time", "20260701T080000", utc(2026, 7, 1, 0)),
        ("W. Europe Standard Time", "20260105T090000", utc(2026, 1, 5, 8)),
        ("W. Europe Standard Time", "20260701T090000", utc(2026, 7, 1, 7)),
        ("Pacific Standard Time", "20260105T090000", utc(2026, 1, 5, 17)),
        ("Pacific Standard Time", "20260701T090000", utc(2026, 7, 1, 16)),
        ("Tokyo Standard Time", "20260701T090000", utc(2026, 7, 1, 0)),
        ("GMT Standard Time", "20260701T090000", utc(2026, 7, 1, 8)),
        ("Asia/Shanghai", "20260701T080000", utc(2026, 7, 1, 0)),
        ("America/New_York", "20260701T090000", utc(2026, 7, 1, 13)),
    ],
)
def test_windows_and_iana_zone_names_without_a_vtimezone(tzid, local, expected_start):
    data = calendar(
        event(f'DTSTART;TZID="{tzid}":{local}', f'DTEND;TZID="{tzid}":{local[:9]}235900')
    )
    [run] = parse_production_calendar(data, window("2026-01-01", "2026-12-31"), BERLIN)
    assert run.interval.start == expected_start


@pytest.mark.parametrize(
    ("tzid", "zone"),
    [
        ("Asia/Shanghai", "Asia/Shanghai"),
        ("China Standard Time", "Asia/Shanghai"),
        ("W. Europe Standard Time", "Europe/Berlin"),
        ("Pacific Standard Time", "America/Los_Angeles"),
        ("/mozilla.org/20050126_1/Europe/Berlin", "Europe/Berlin"),
        ("/freeassociation.sourceforge.net/Tzfile/Asia/Shanghai", "Asia/Shanghai"),
        ("/freeassociation.sourceforge.net/America/Argentina/Cordoba", "America/Argentina/Cordoba"),
        ("Customized Time Zone", None),
        ("Mars/Olympus_Mons", None),
        ("Europe", None),
        ("../../etc/passwd", None),
        ("", None),
    ],
)
def test_known_zone(tzid, zone):
    found = known_zone(tzid)
    assert (found.key if found else None) == zone


def custom_zone(offset: str) -> tuple[str, ...]:
    return (
        "BEGIN:VTIMEZONE",
        "TZID:Customized Time Zone",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        f"TZOFFSETFROM:{offset}",
        f"TZOFFSETTO:{offset}",
        "END:STANDARD",
        "END:VTIMEZONE",
    )


def test_a_custom_tzid_uses_the_vtimezone_of_its_own_file_not_one_seen_before():
    # icalendar caches custom VTIMEZONEs process-wide (first one wins); each file must keep its own.
    run = event(
        'DTSTART;TZID="Customized Time Zone":20260105T080000',
        'DTEND;TZID="Customized Time Zone":20260105T090000',
    )
    assert spans(calendar(run, header=custom_zone("+0800"))) == [
        ("2026-01-05 00:00", "2026-01-05 01:00")
    ]
    assert spans(calendar(run, header=custom_zone("-0500"))) == [
        ("2026-01-05 13:00", "2026-01-05 14:00")
    ]


def test_a_windows_name_means_its_iana_zone_even_after_another_file_defined_it():
    defined = calendar(
        event(
            'DTSTART;TZID="Pacific Standard Time":20260701T090000',
            'DTEND;TZID="Pacific Standard Time":20260701T100000',
        ),
        header=(
            "BEGIN:VTIMEZONE",
            "TZID:Pacific Standard Time",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            "TZOFFSETFROM:-0800",
            "TZOFFSETTO:-0800",
            "END:STANDARD",
            "END:VTIMEZONE",
        ),
    )
    # PDT (UTC-7) in July, whatever the file's one-observance VTIMEZONE says.
    assert spans(defined, end="2026-12-31") == [("2026-07-01 16:00", "2026-07-01 17:00")]


def test_an_old_lightning_globally_unique_tzid_is_read_as_its_iana_zone():
    tzid = "/mozilla.org/20050126_1/Europe/Berlin"
    data = calendar(
        event(f"DTSTART;TZID={tzid}:20260701T090000", f"DTEND;TZID={tzid}:20260701T100000"),
        header=(
            "BEGIN:VTIMEZONE",
            f"TZID:{tzid}",
            "X-LIC-LOCATION:Europe/Berlin",
            "BEGIN:STANDARD",
            "DTSTART:19701025T030000",
            "TZOFFSETFROM:+0200",
            "TZOFFSETTO:+0100",
            "END:STANDARD",
            "BEGIN:DAYLIGHT",
            "DTSTART:19700329T020000",
            "TZOFFSETFROM:+0100",
            "TZOFFSETTO:+0200",
            "END:DAYLIGHT",
            "END:VTIMEZONE",
        ),
    )
    assert spans(data, end="2026-12-31") == [("2026-07-01 07:00", "2026-07-01 08:00")]


@pytest.mark.parametrize(
    ("default_tz", "expected"),
    [
        (SHANGHAI, ("2026-01-05 00:00", "2026-01-05 01:00")),
        (BERLIN, ("2026-01-05 07:00", "2026-01-05 08:00")),
    ],
)
def test_an_unknown_tzid_without_vtimezone_falls_back_to_the_default_zone(default_tz, expected):
    data = calendar(
        event(
            "DTSTART;TZID=Mars/Olympus_Mons:20260105T080000",
            "DTEND;TZID=Mars/Olympus_Mons:20260105T090000",
        )
    )
    assert spans(data, tz=default_tz) == [expected]


@pytest.mark.parametrize(
    ("header", "default_tz", "expected"),
    [
        ((), SHANGHAI, ("2026-01-05 00:00", "2026-01-05 01:00")),
        ((), BERLIN, ("2026-01-05 07:00", "2026-01-05 08:00")),
        (("X-WR-TIMEZONE:Europe/Berlin",), SHANGHAI, ("2026-01-05 07:00", "2026-01-05 08:00")),
        (
            ("X-WR-TIMEZONE:W. Europe Standard Time",),
            SHANGHAI,
            ("2026-01-05 07:00", "2026-01-05 08:00"),
        ),
        (("X-WR-TIMEZONE:Mars/Olympus_Mons",), SHANGHAI, ("2026-01-05 00:00", "2026-01-05 01:00")),
    ],
)
def test_floating_times_are_read_in_the_calendar_zone_or_else_the_default_zone(
    header, default_tz, expected
):
    data = calendar(event("DTSTART:20260105T080000", "DTEND:20260105T090000"), header=header)
    assert spans(data, tz=default_tz) == [expected]


def test_a_google_series_in_utc_repeats_at_local_time_of_x_wr_timezone():
    data = calendar(
        event("DTSTART:20261019T070000Z", "DTEND:20261019T080000Z", "RRULE:FREQ=WEEKLY;COUNT=2"),
        header=("X-WR-TIMEZONE:Europe/Berlin",),
    )
    assert spans(data, start="2026-10-01", end="2026-11-01") == [
        ("2026-10-19 07:00", "2026-10-19 08:00"),
        ("2026-10-26 08:00", "2026-10-26 09:00"),
    ]


def test_a_single_utc_event_in_the_repeated_hour_stays_exact_with_x_wr_timezone():
    data = calendar(
        event("DTSTART:20261025T003000Z", "DTEND:20261025T011500Z"),
        header=("X-WR-TIMEZONE:Europe/Berlin",),
    )
    assert spans(data, start="2026-10-01", end="2026-11-01") == [
        ("2026-10-25 00:30", "2026-10-25 01:15")
    ]


def test_floating_weekly_rule_keeps_local_wall_time_across_dst():
    data = calendar(
        event("DTSTART:20261019T090000", "DTEND:20261019T100000", "RRULE:FREQ=WEEKLY;COUNT=2")
    )
    assert spans(data, start="2026-10-01", end="2026-11-01", tz=BERLIN) == [
        ("2026-10-19 07:00", "2026-10-19 08:00"),
        ("2026-10-26 08:00", "2026-10-26 09:00"),
    ]


# --- lengths, all-day events, status ---------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "default_tz", "expected"),
    [
        (("DTSTART;VALUE=DATE:20260105",), SHANGHAI, [("2026-01-04 16:00", "2026-01-05 16:00")]),
        (
            ("DTSTART;VALUE=DATE:20260105", "DTEND;VALUE=DATE:20260107"),
            SHANGHAI,
            [("2026-01-04 16:00", "2026-01-06 16:00")],
        ),
        (
            ("DTSTART;VALUE=DATE:20260105", "DURATION:P3D"),
            SHANGHAI,
            [("2026-01-04 16:00", "2026-01-07 16:00")],
        ),
        (("DTSTART;VALUE=DATE:20260105",), BERLIN, [("2026-01-04 23:00", "2026-01-05 23:00")]),
        # The day the clocks go back in Berlin lasts 25 hours.
        (("DTSTART;VALUE=DATE:20261025",), BERLIN, [("2026-10-24 22:00", "2026-10-25 23:00")]),
        (
            ("DTSTART;VALUE=DATE:20260105", "RRULE:FREQ=WEEKLY;COUNT=2"),
            SHANGHAI,
            [("2026-01-04 16:00", "2026-01-05 16:00"), ("2026-01-11 16:00", "2026-01-12 16:00")],
        ),
        # Same day as DTEND: zero length, nothing is blocked.
        (("DTSTART;VALUE=DATE:20260105", "DTEND;VALUE=DATE:20260105"), SHANGHAI, []),
        (
            ("DTSTART:20260105T080000Z", "DURATION:PT90M"),
            SHANGHAI,
            [("2026-01-05 08:00", "2026-01-05 09:30")],
        ),
        # A date-time DTSTART with neither DTEND nor DURATION is a point in time: skipped.
        (("DTSTART:20260105T080000Z",), SHANGHAI, []),
        (("DTSTART;TZID=Asia/Shanghai:20260105T080000",), SHANGHAI, []),
        # No DTSTART at all: nothing to block (other events in the file still count).
        (("SUMMARY:no time yet",), SHANGHAI, []),
    ],
)
def test_event_lengths(lines, default_tz, expected):
    assert spans(calendar(event(*lines)), end="2026-12-31", tz=default_tz) == expected


@pytest.mark.parametrize(
    ("extra", "is_busy"),
    [
        ("STATUS:CONFIRMED", True),
        ("STATUS:TENTATIVE", True),
        ("TRANSP:OPAQUE", True),
        ("STATUS:CANCELLED", False),
        ("STATUS:cancelled", False),
        ("TRANSP:TRANSPARENT", False),
    ],
)
def test_cancelled_and_transparent_events_do_not_block(extra, is_busy):
    data = calendar(event("DTSTART:20260105T000000Z", "DTEND:20260105T010000Z", extra))
    assert bool(spans(data)) is is_busy


def test_a_cancelled_occurrence_is_skipped_and_the_rest_of_the_series_kept():
    data = calendar(
        event("DTSTART:20260105T000000Z", "DTEND:20260105T010000Z", "RRULE:FREQ=DAILY;COUNT=3"),
        event(
            "RECURRENCE-ID:20260106T000000Z",
            "DTSTART:20260106T000000Z",
            "DTEND:20260106T010000Z",
            "STATUS:CANCELLED",
        ),
    )
    assert spans(data) == [
        ("2026-01-05 00:00", "2026-01-05 01:00"),
        ("2026-01-07 00:00", "2026-01-07 01:00"),
    ]


def test_an_override_exported_without_its_series_still_blocks_its_time():
    data = calendar(
        event(
            "RECURRENCE-ID;TZID=Asia/Shanghai:20260112T080000",
            "DTSTART;TZID=Asia/Shanghai:20260113T080000",
            "DTEND;TZID=Asia/Shanghai:20260113T100000",
        )
    )
    assert spans(data) == [("2026-01-13 00:00", "2026-01-13 02:00")]


def test_runs_are_clipped_to_the_window_and_runs_outside_it_dropped():
    data = calendar(
        event("DTSTART:20251231T200000Z", "DTEND:20260101T040000Z", uid="across-start"),
        event("DTSTART:20260228T220000Z", "DTEND:20260301T020000Z", uid="across-end"),
        event("DTSTART:20251230T000000Z", "DTEND:20251231T000000Z", uid="before"),
        event("DTSTART:20260301T000000Z", "DTEND:20260302T000000Z", uid="after"),
        event("DTSTART:20260110T000000Z", "DTEND:20260110T010000Z", uid="inside"),
    )
    assert spans(data) == [
        ("2026-01-01 00:00", "2026-01-01 04:00"),
        ("2026-01-10 00:00", "2026-01-10 01:00"),
        ("2026-02-28 22:00", "2026-03-01 00:00"),
    ]


def test_several_vcalendars_in_one_file_are_all_read():
    first = calendar(event("DTSTART:20260105T000000Z", "DTEND:20260105T010000Z", uid="a"))
    second = calendar(event("DTSTART:20260106T000000Z", "DTEND:20260106T010000Z", uid="b"))
    assert len(spans(first + second)) == 2


# --- refusals ----------------------------------------------------------------------------------


def test_an_oversized_file_is_refused_before_parsing():
    data = b"\x00" * (MAX_CALENDAR_BYTES + 1)
    assert refusal(data) == Message(TOO_LARGE, {"mb": 2})


def test_a_file_of_exactly_the_limit_is_read():
    data = sample("google_shanghai")
    padded = data + b"\r\n" * ((MAX_CALENDAR_BYTES - len(data)) // 2)
    assert len(padded) <= MAX_CALENDAR_BYTES
    assert len(spans(padded)) == 5


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b" \r\n\t\r\n",
        calendar(),
        calendar(header=("BEGIN:VTODO", "UID:todo", "SUMMARY:not an event", "END:VTODO")),
    ],
    ids=["empty", "blank", "no-components", "only-a-todo"],
)
def test_a_file_without_events_is_refused(data):
    assert refusal(data) == Message(NO_EVENTS)


INVALID_FILES = {
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    "html": b"<!DOCTYPE html><html><body>Not found</body></html>",
    "csv": "日期,开始,结束\n2026-01-05,08:00,12:00\n".encode("gbk"),
    "bare-vevent": b"BEGIN:VEVENT\r\nUID:1\r\nDTSTART:20260105T000000Z\r\nEND:VEVENT\r\n",
    "truncated": sample("google_shanghai")[:1500],
    "truncated-after-an-event": sample("outlook_china").rsplit(b"BEGIN:VEVENT", 1)[0],
    "bad-rrule": calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=SOMETIMES;BYDAY=XX")),
    "rrule-without-freq": calendar(event("DTSTART:20260105T000000Z", "RRULE:COUNT=3")),
    "bad-dtstart": calendar(event("DTSTART:2026XX05T000000Z")),
    "dtstart-as-time": calendar(event("DTSTART;VALUE=TIME:080000", "DTEND:20260105T010000Z")),
    "two-dtstarts": calendar(event("DTSTART:20260105T000000Z", "DTSTART:20260106T000000Z")),
    "tzid-is-a-directory": calendar(event("DTSTART;TZID=Europe:20260105T080000")),
    "tzid-too-long": calendar(event(f"DTSTART;TZID={'x' * 300}:20260105T080000")),
    "period-ends-before-start": calendar(
        event(
            "DTSTART:20260105T000000Z",
            "DTEND:20260105T010000Z",
            "RDATE;VALUE=PERIOD:20260106T100000Z/20260106T090000Z",
        )
    ),
    "vtimezone-without-offsets": calendar(
        event("DTSTART;TZID=Lab:20260105T080000", "DTEND;TZID=Lab:20260105T090000"),
        header=(
            "BEGIN:VTIMEZONE",
            "TZID:Lab",
            "BEGIN:STANDARD",
            "DTSTART:16010101T000000",
            "END:STANDARD",
            "END:VTIMEZONE",
        ),
    ),
    "two-value-types": calendar(event("DTSTART;VALUE=DATE,DATE-TIME:20260105")),
    "mismatched-end": b"BEGIN:VCALENDAR\r\nBEGIN:X-THING\r\nTZID:Lab\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n",
    "until-is-a-time": calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=DAILY;UNTIL=080000")),
    "interval-zero": calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=MONTHLY;INTERVAL=0")),
    "month-13": calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=HOURLY;BYMONTH=13")),
    "minute-61": calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=DAILY;BYMINUTE=61")),
    "count-and-until": calendar(
        event("DTSTART:20260105T000000Z", "RRULE:FREQ=DAILY;COUNT=3;UNTIL=20260110T000000Z")
    ),
    "ends-before-it-starts": calendar(event("DTSTART:20261015T000000Z", "DTEND:20260101T000000Z")),
    "negative-duration": calendar(event("DTSTART:20260105T000000Z", "DURATION:-PT1H")),
    "date-out-of-range": calendar(event("DTSTART;VALUE=DATE:99991231")),
    "year-one-daily": calendar(event("DTSTART;VALUE=DATE:00010101", "RRULE:FREQ=DAILY")),
    "huge-interval": calendar(
        event("DTSTART:20260105T000000Z", "RRULE:FREQ=DAILY;INTERVAL=99999999999999999999")
    ),
    "chinese-calendar-scale": calendar(
        event("DTSTART:20260105T000000Z", "DTEND:20260105T010000Z"), header=("CALSCALE:CHINESE",)
    ),
}


@pytest.mark.parametrize("data", INVALID_FILES.values(), ids=INVALID_FILES.keys())
def test_a_malformed_file_is_refused_with_a_short_reason(data):
    message = refusal(data)
    assert message.template == INVALID
    reason = message.params["reason"]
    assert 0 < len(reason) <= 100
    assert "\n" not in reason
    assert "/site-packages/" not in reason


def test_the_reason_names_the_broken_property():
    data = calendar(event("DTSTART:20260105T000000Z", "RRULE:FREQ=SOMETIMES", "SUMMARY:Kiln"))
    assert refusal(data).params["reason"].startswith("RRULE of event 'Kiln'")


@pytest.fixture
def no_time_limit(monkeypatch):
    """For tests of the count limit: on a loaded machine, expanding tens of thousands of runs
    could meet the time limit first and be refused for that instead."""
    monkeypatch.setattr(calendar_import, "MAX_EXPANSION_SECONDS", 3600.0)


@pytest.mark.usefixtures("no_time_limit")
def test_a_calendar_expanding_to_too_many_runs_is_refused():
    # 20 hourly series, each well under the limit, 43,200 runs in all.
    data = calendar(
        *(
            event("DTSTART:20260101T000000Z", "DURATION:PT30M", "RRULE:FREQ=HOURLY", uid=f"s{i}")
            for i in range(20)
        )
    )
    assert refusal(data, end="2026-04-01") == Message(TOO_MANY, {"max": MAX_RUNS, "days": 90})


@pytest.mark.usefixtures("no_time_limit")
def test_a_single_rule_that_would_explode_is_refused_before_expansion():
    data = calendar(event("DTSTART:20260101T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY"))
    assert refusal(data, end="2026-04-01") == Message(TOO_MANY, {"max": MAX_RUNS, "days": 90})


@pytest.mark.usefixtures("no_time_limit")
def test_long_occurrences_that_started_before_the_window_count_too():
    # Every 10 minutes in 2025, each lasting 300 days: some 39,000 of them reach into 2026.
    data = calendar(
        event(
            "DTSTART:20250401T000000Z",
            "DURATION:P300D",
            "RRULE:FREQ=MINUTELY;INTERVAL=10;UNTIL=20251231T000000Z",
        )
    )
    assert refusal(data) == Message(TOO_MANY, {"max": MAX_RUNS, "days": 59})


@pytest.mark.parametrize("rule", ["FREQ=SECONDLY", "FREQ=SECONDLY;INTERVAL=3600;COUNT=3"])
def test_a_rule_repeating_by_the_second_is_refused(rule):
    data = calendar(
        event("DTSTART:20260105T080000Z", "DURATION:PT1S", f"RRULE:{rule}", "SUMMARY:x")
    )
    assert refusal(data) == Message(TOO_OFTEN, {"summary": "x"})


def test_a_filtered_minutely_rule_is_not_mistaken_for_an_explosion():
    data = calendar(
        event(
            "DTSTART:20260105T080000Z", "DURATION:PT1H", "RRULE:FREQ=MINUTELY;BYHOUR=8;BYMINUTE=0"
        )
    )
    assert len(spans(data)) == 55  # every day from 01-05 to 02-28


def three_events_with_dates() -> bytes:
    """3 events, 26 content lines once unfolded (and 2 blank ones), 4 EXDATE/RDATE values."""
    data = calendar(
        event("DTSTART:20260105T080000Z", "DURATION:PT1H", uid="a"),
        event(
            "DTSTART:20260106T080000Z",
            "DURATION:PT1H",
            "RRULE:FREQ=DAILY;COUNT=5",
            "EXDATE:20260107T080000Z,20260108T080000Z",
            "exdate;VALUE=DATE-TIME:20260109T080000Z",
            uid="b",
        ),
        event("DTSTART:20260112T080000Z", "DURATION:PT1H", "RDATE:20260113T080000Z", uid="c"),
    )
    # a folded line counts once, and blank lines not at all
    return data.replace(b"EXDATE:20260107T080000Z,", b"EXDATE:20260107T080000Z,\r\n ") + b"\r\n\r\n"


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        ("MAX_CONTENT_LINES", 25, "The file has more than %(max)d lines."),
        ("MAX_EVENTS", 2, "The file has more than %(max)d events."),
        ("MAX_DATE_VALUES", 3, "The file has more than %(max)d RDATE and EXDATE dates."),
    ],
)
def test_a_file_over_a_count_limit_is_refused_before_parsing(monkeypatch, limit, value, message):
    """Lines, events and dates cost memory by the piece, whatever their size in bytes."""
    data = three_events_with_dates()
    assert len(spans(data)) == 5  # within every limit: read

    monkeypatch.setattr(calendar_import, limit, value)
    monkeypatch.setattr(calendar_import, "_read_calendars", None)  # never reached
    assert refusal(data) == Message(message, {"max": value})


def test_the_count_limits_leave_room_for_a_large_schedule():
    """1,000 weekly series with EXDATEs (benchmarks/bench_calendar.py) are about 8,300 lines."""
    assert calendar_import.MAX_CONTENT_LINES >= 10_000
    assert calendar_import.MAX_EVENTS >= 1_000


@pytest.mark.parametrize(("limit", "accepted"), [(4, False), (5, True)])
def test_the_run_limit_counts_runs_in_the_window(monkeypatch, limit, accepted):
    monkeypatch.setattr(calendar_import, "MAX_RUNS", limit)
    data = calendar(
        event("DTSTART:20260105T000000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=5"),
        event("DTSTART:20250105T000000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3", uid="old"),
        event("DTSTART:20260105T000000Z", "DURATION:PT1H", "TRANSP:TRANSPARENT", uid="free"),
    )
    if accepted:
        assert len(spans(data)) == 5
    else:
        assert refusal(data) == Message(TOO_MANY, {"max": 4, "days": 59})


@pytest.mark.parametrize(
    "lines",
    [
        ("DTSTART:19900101T000000Z", "DURATION:PT10M", "RRULE:FREQ=HOURLY"),
        ("DTSTART:10000101T000000Z", "DURATION:PT10M", "RRULE:FREQ=DAILY"),
        (
            "DTSTART:19900101T000000Z",
            "DURATION:PT1S",
            "RRULE:FREQ=MINUTELY;BYMINUTE=0;COUNT=2000000000",
        ),
    ],
)
def test_a_rule_walked_from_long_ago_is_refused(lines):
    # dateutil steps from DTSTART: hundreds of thousands of steps before reaching the window.
    assert refusal(calendar(event(*lines, "SUMMARY:Kiln"))) == Message(
        TOO_OFTEN, {"summary": "Kiln"}
    )


def test_a_rule_ended_long_ago_or_starting_later_is_not_counted_against_the_limit():
    data = calendar(
        event(
            "DTSTART:19900101T000000Z", "DURATION:PT10M", "RRULE:FREQ=HOURLY;UNTIL=19900201T000000Z"
        ),
        event("DTSTART:20300101T000000Z", "DURATION:PT1M", "RRULE:FREQ=MINUTELY", uid="later"),
    )
    assert spans(data) == []


@pytest.mark.parametrize(
    "rule",
    [
        "RRULE:FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30",
        "RRULE:FREQ=HOURLY;BYMONTH=2;BYMONTHDAY=-1;BYYEARDAY=366;BYMINUTE=0,30",
        "RRULE:FREQ=MINUTELY;BYMONTH=4;BYMONTHDAY=31;COUNT=5",
        "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU",  # DTSTART is a Monday
    ],
)
def test_a_rule_that_never_matches_leaves_only_dtstart(rule):
    # dateutil alone would look for an occurrence until the year 9999, for seconds.
    data = calendar(event("DTSTART:20260105T080000Z", "DURATION:PT1H", rule))
    assert spans(data) == [("2026-01-05 08:00", "2026-01-05 09:00")]


def test_a_rule_matching_rarely_is_kept():
    # Friday the 29th of February: 2036 is the next.
    data = calendar(
        event(
            "DTSTART:20260105T080000Z",
            "DURATION:PT1H",
            "RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;BYDAY=FR",
        )
    )
    assert spans(data, end="2037-01-01") == [
        ("2026-01-05 08:00", "2026-01-05 09:00"),
        ("2036-02-29 08:00", "2036-02-29 09:00"),
    ]


def test_expansion_stops_when_out_of_time(monkeypatch):
    monkeypatch.setattr(calendar_import, "MAX_EXPANSION_SECONDS", -1.0)
    data = calendar(event("DTSTART:20260105T000000Z", "DURATION:PT1H", "SUMMARY:Kiln"))
    assert refusal(data) == Message(TOO_OFTEN, {"summary": "Kiln"})


@pytest.mark.parametrize(
    "name", ["outlook_china", "outlook_berlin", "google_shanghai", "thunderbird_berlin"]
)
def test_damaged_samples_give_runs_or_a_refusal_and_never_another_exception(name):
    data = sample(name)
    damaged = [data[:cut] for cut in range(0, len(data), 97)]
    generator = random.Random(name)
    for _ in range(150):
        copy = bytearray(data)
        for _ in range(generator.randint(1, 3)):
            position = generator.randrange(len(copy))
            if generator.random() < 0.5:
                del copy[position : position + generator.randint(1, 12)]
            else:
                copy[position:position] = generator.choice(
                    [
                        b":",
                        b";",
                        b",",
                        b"=",
                        b"\r\n",
                        b"\r\n ",
                        b"Z",
                        b"T",
                        b"\xff",
                        b"BEGIN:",
                        b"END:",
                    ]
                )
        damaged.append(bytes(copy))
    for data in damaged:
        try:
            runs = parse_production_calendar(data, window("2026-01-01", "2026-12-31"), SHANGHAI)
        except ValidationFailed:
            continue
        assert all(isinstance(run.interval, Interval) for run in runs)


# --- export ------------------------------------------------------------------------------------


def booking(number: int, start: datetime, hours: float = 2, **fields) -> CalendarEvent:
    return CalendarEvent(
        uid=f"booking-{number}@equipment-share",
        interval=Interval(start, start + timedelta(hours=hours)),
        summary=fields.pop("summary", f"Booking {number}"),
        **fields,
    )


FEED_EVENTS = [
    booking(1, utc(2026, 1, 5, 0), summary="气相色谱仪 GC-2030, 预约; 样品\\批次"),
    booking(
        2,
        utc(2026, 3, 28, 23),
        hours=4,  # across the spring-forward night in Berlin
        description="Bring your own vials.\nContact: 王工, +86 358 000 0000. " + "详细说明" * 30,
        location="吕梁市 Lab 3, Room 301",
        sequence=2,
        last_modified=utc(2026, 3, 1, 9, 15),
    ),
    booking(3, utc(2026, 7, 1, 6), status="CANCELLED", sequence=4),
    booking(4, utc(2026, 10, 25, 0, 30), hours=0.5),  # 02:30 CEST, first pass
    booking(5, utc(2026, 10, 25, 1, 0), hours=1.5),  # 02:00 CET, second pass of that hour
    booking(6, utc(2026, 12, 31, 20), hours=8, status="TENTATIVE"),  # into 2027 locally
    CalendarEvent(
        uid="idle-7@equipment-share",
        interval=Interval(utc(2026, 2, 2, 1), utc(2026, 2, 2, 9)),
        summary="Idle window",
        transparent=True,
    ),
]


def feed(tz: ZoneInfo = BERLIN, events=FEED_EVENTS) -> bytes:
    return build_calendar(events, name="GC-2030, 吕梁", tz=tz, now=NOW)


def read_with_vobject(body: bytes):
    return vobject.readOne(body.decode("utf-8"))


@pytest.mark.parametrize("tz", [BERLIN, SHANGHAI], ids=str)
def test_vobject_reads_the_events_back_exactly(tz):
    parsed = read_with_vobject(feed(tz))
    read = {
        item.uid.value: (
            item.dtstart.value.astimezone(UTC),
            item.dtend.value.astimezone(UTC),
            int(item.sequence.value),
            item.status.value,
            item.transp.value,
            item.summary.value,
        )
        for item in parsed.vevent_list
    }
    assert read == {
        event.uid: (
            event.interval.start,
            event.interval.end,
            event.sequence,
            event.status,
            "TRANSPARENT" if event.transparent else "OPAQUE",
            event.summary,
        )
        for event in FEED_EVENTS
    }


def test_vobject_reads_texts_and_stamps():
    parsed = read_with_vobject(feed())
    second = next(item for item in parsed.vevent_list if item.uid.value.startswith("booking-2@"))
    assert second.description.value == FEED_EVENTS[1].description
    assert second.location.value == "吕梁市 Lab 3, Room 301"
    assert second.last_modified.value == utc(2026, 3, 1, 9, 15)
    assert {item.dtstamp.value for item in parsed.vevent_list} == {NOW}
    first = next(item for item in parsed.vevent_list if item.uid.value.startswith("booking-1@"))
    assert "last-modified" not in first.contents
    assert "description" not in first.contents


@pytest.mark.parametrize(
    ("tz", "observances"),
    [(BERLIN, {"STANDARD", "DAYLIGHT"}), (SHANGHAI, {"STANDARD"})],
    ids=["Europe/Berlin", "Asia/Shanghai"],
)
def test_the_feed_has_a_header_and_one_vtimezone_matching_the_tzids(tz, observances):
    body = feed(tz)
    parsed = read_with_vobject(body)
    assert parsed.version.value == "2.0"
    assert parsed.prodid.value == "-//equipment_share//EN"
    assert parsed.calscale.value == "GREGORIAN"
    assert parsed.method.value == "PUBLISH"
    assert parsed.contents["x-wr-calname"][0].value == "GC-2030, 吕梁"
    assert parsed.contents["x-wr-timezone"][0].value == tz.key
    [vtimezone] = parsed.contents["vtimezone"]
    assert vtimezone.tzid.value == tz.key
    assert {child.name for child in vtimezone.getChildren()} - {"TZID", "COMMENT"} == observances
    assert set(re.findall(rb"TZID=([^:;]+)", body)) == {tz.key.encode()}


def test_the_berlin_vtimezone_covers_every_transition_of_the_events_years():
    body = feed(BERLIN).decode()
    vtimezone = body[body.index("BEGIN:VTIMEZONE") : body.index("END:VTIMEZONE")]
    for transition in ("20260329T", "20261025T", "20270328T", "20271031T"):
        assert transition in vtimezone


def test_an_event_in_the_second_pass_of_a_repeated_hour_is_written_in_utc():
    body = feed(BERLIN).decode()
    # booking 4: 02:30 CEST (first pass) to 02:00 CET, the second 02:00 of that night
    assert "DTSTART:20261025T003000Z\r\nDTEND:20261025T010000Z\r\n" in body
    # booking 5: 02:00 CET (second pass) to 03:30 CET
    assert "DTSTART:20261025T010000Z\r\nDTEND:20261025T023000Z\r\n" in body
    # booking 2 crosses the spring-forward night and stays in local time
    assert "DTSTART;TZID=Europe/Berlin:20260329T000000\r\n" in body
    assert "DTEND;TZID=Europe/Berlin:20260329T050000\r\n" in body


def test_the_feed_uses_crlf_and_folds_long_lines_without_splitting_characters():
    body = feed()
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    physical = body.split(b"\r\n")[:-1]
    assert all(len(line) <= 75 for line in physical)
    for line in physical:
        line.decode("utf-8")  # a fold never cuts a multi-byte character
    assert any(line.startswith(b" ") for line in physical)


def test_texts_are_escaped():
    body = feed().decode().replace("\r\n ", "")
    assert "SUMMARY:气相色谱仪 GC-2030\\, 预约\\; 样品\\\\批次\r\n" in body
    assert "DESCRIPTION:Bring your own vials.\\nContact: 王工\\, +86" in body


def test_the_feed_is_deterministic_and_its_etag_stable():
    shuffled = FEED_EVENTS[::-1]
    assert feed(events=shuffled) == feed()
    assert etag_for(feed(events=shuffled)) == etag_for(feed())
    changed = [*FEED_EVENTS[:-1], booking(8, utc(2026, 2, 2, 1))]
    assert etag_for(feed(events=changed)) != etag_for(feed())


def test_etag_is_a_quoted_strong_hash():
    assert re.fullmatch(r'"[0-9a-f]{64}"', etag_for(b"BEGIN:VCALENDAR"))


def test_an_empty_feed_is_still_a_valid_calendar():
    parsed = read_with_vobject(build_calendar([], name="Nothing yet", tz=SHANGHAI, now=NOW))
    assert "vevent" not in parsed.contents
    assert parsed.vtimezone.tzid.value == "Asia/Shanghai"


@pytest.mark.parametrize("tz", [BERLIN, SHANGHAI], ids=str)
def test_round_trip_gives_the_same_busy_intervals(tz):
    runs = parse_production_calendar(feed(tz), window("2026-01-01", "2027-12-31"), SHANGHAI)
    expected = sorted(
        (event.interval, event.uid)
        for event in FEED_EVENTS
        if not event.transparent and event.status != "CANCELLED"
    )
    assert [(run.interval, run.uid) for run in runs] == expected
    assert {run.summary for run in runs} >= {FEED_EVENTS[0].summary}


@pytest.mark.parametrize(
    "fields",
    [
        {"status": "DONE"},
        {"status": "confirmed"},
        {"sequence": -1},
        {"uid": ""},
        {"last_modified": datetime(2026, 1, 1)},  # naive
    ],
)
def test_calendar_event_refuses_bad_values(fields):
    values = {"uid": "booking-1@equipment-share", "summary": "x", **fields}
    with pytest.raises(ValueError):
        CalendarEvent(interval=Interval(utc(2026, 1, 1), utc(2026, 1, 2)), **values)


def test_build_calendar_needs_an_aware_now():
    with pytest.raises(ValueError):
        build_calendar([], name="x", tz=SHANGHAI, now=datetime(2026, 1, 1))
