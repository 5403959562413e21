"""The import reads a file of simple series itself (calendar_import._read_simple_file) and
leaves any other file to icalendar: on generated calendars both give the same runs, or the same
refusal, run by run.

The corpus is tests/domain/test_calendar_direct_expansion.py's (weekly and daily series in
zones with summer time, UTC, floating and all-day, EXDATEs, UNTIL, COUNT), written in the many
ways iCalendar allows: folded lines (inside multi-byte characters too), LF or CRLF, a BOM,
lower-case names, quoted TZIDs, Windows zone names, VTIMEZONEs, X-WR-TIMEZONE, escaped text,
properties the import does not read (some with parameters, some broken), alarms; and with the
mistakes icalendar refuses or tolerates (a repeated DTSTART, a TZID with a Z time, an
impossible date, a line without a colon, an unclosed event, a shared UID).
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from equipment_share.domain.availability import Interval
from equipment_share.domain.calendar_import import _read_simple_file
from tests.domain.test_calendar_direct_expansion import (
    WINDOW_STARTS,
    ZONES,
    outcome,
    simple_events,
)

CORPUS = settings(max_examples=400, deadline=None, derandomize=True, database=None)
HORIZON = timedelta(days=90)
SAMPLES = Path(__file__).parent / "ics"
WINDOWS_NAMES = {
    "America/New_York": "Eastern Standard Time",
    "Europe/Berlin": "W. Europe Standard Time",
    "Asia/Shanghai": "China Standard Time",
}
VTIMEZONE = [
    "BEGIN:VTIMEZONE",
    "TZID:{tzid}",
    "BEGIN:STANDARD",
    "DTSTART:19700101T000000",
    "TZOFFSETFROM:+0800",
    "TZOFFSETTO:+0800",
    "TZNAME:CST",
    "END:STANDARD",
    "END:VTIMEZONE",
]
# Lines the import does not read, each in an event with the probability the strategy draws.
UNREAD_LINES = (
    "DTSTAMP:20260101T000000Z",
    "DESCRIPTION:Line one\\nline two\\, with commas\\; and semicolons",
    'ORGANIZER;CN="Plant, Line 3":mailto:plan@example.com',
    "ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:a@example.com",
    "X-MICROSOFT-CDO-BUSYSTATUS:BUSY",
    "CATEGORIES:Production,Line 3",
    "SEQUENCE:2",
    "CLASS:PUBLIC",
    "LOCATION:Hall 2",
    "PRIORITY:high",  # broken: icalendar keeps it as vBroken, which the import ignores
    "GEO:not a place",
    "X-ALT-DESC;FMTTYPE=text/html:<p>Batch</p>",
)
# Odd or wrong lines: the reader must give icalendar's outcome whatever it does with them.
ODD_LINES = (
    "DTSTART;TZID=Europe/Berlin:20270301T080000Z",
    "DTSTART:20271301T080000",
    "DTEND;VALUE=DATE:20270301T090000",
    "SUMMARY:second summary",
    "UID:second-uid",
    "STATUS:cancelled",
    "TRANSP:Transparent",
    "no colon here",
    "DTSTART",
    "ATTACH;VALUE=BINARY;ENCODING=BASE64:aGVsbG8=",
    "BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nEND:VALARM",
    "EXDATE;TZID=Nowhere/Special:20270308T080000",
    "EXDATE:20270308T080000,20270315",
    "RRULE:freq=weekly",
    "RRULE:FREQ=WEEKLY;COUNT=3;UNTIL=20270401T000000Z",
    "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=MO",
    "RRULE:FREQ=WEEKLY;BYDAY=MO;BYDAY=TU",
    "RRULE:FREQ=WEEKLY;UNTIL=2027",
    "DUE:20270301T080000",
    "SUMMARY;VALUE=TEXT:valued",
    "dtend;tzid=Asia/Shanghai:20270301T090000",
    "X-WR-TIMEZONE:Europe/Berlin",
    "CALSCALE:CHINESE",
)


def respell(draw, line: str) -> str:
    """The same line as another writer might spell it."""
    name, colon, value = line.partition(":")
    if not colon:
        return line
    head, *params = name.split(";")
    choice = draw(st.integers(0, 9))
    if choice == 0:
        head = head.lower()
    elif choice == 1 and params and params[0].startswith("TZID="):
        zone = params[0].removeprefix("TZID=")
        params[0] = f'TZID="{zone}"'
    elif choice == 2 and params and params[0].startswith("TZID="):
        zone = params[0].removeprefix("TZID=")
        params[0] = f"TZID={WINDOWS_NAMES.get(zone, zone)}"
    elif choice == 3 and params:
        params = [param.replace("TZID=", "tzid=").replace("VALUE=", "Value=") for param in params]
    elif choice == 4 and params:
        params = [param.lower() for param in params]  # VALUE=date: icalendar reads no VALUE
    return ";".join([head, *params]) + ":" + value


def fold(draw, line: str) -> str:
    """Fold the line at drawn places (between any two characters, as a careless writer might)."""
    if len(line) < 3 or draw(st.integers(0, 3)):
        return line
    at = sorted(set(draw(st.lists(st.integers(1, len(line) - 1), min_size=1, max_size=3))))
    pieces = [line[start:end] for start, end in zip([0, *at], [*at, len(line)], strict=True)]
    return draw(st.sampled_from(("\r\n ", "\r\n\t", "\n "))).join(pieces)


@st.composite
def spelled_calendars(draw) -> tuple[bytes, Interval, ZoneInfo, bool]:
    """(file, window, the instrument's zone, whether it is written plainly)."""
    window_start = draw(st.sampled_from(WINDOW_STARTS))
    plain = draw(st.integers(0, 2)) > 0  # no odd line: most files
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//corpus//EN", "CALSCALE:GREGORIAN"]
    if draw(st.booleans()):
        lines.append(f"X-WR-TIMEZONE:{draw(st.sampled_from(ZONES))}")
    if draw(st.booleans()):
        tzid = draw(st.sampled_from((*ZONES, "Customized Time Zone", "China Standard Time")))
        lines += [line.format(tzid=tzid) for line in VTIMEZONE]
    for number in range(draw(st.integers(1, 4))):
        event = draw(simple_events(number, window_start))
        event += draw(st.lists(st.sampled_from(UNREAD_LINES), max_size=4, unique=True))
        if draw(st.booleans()):
            event.append("SUMMARY:Batch \\, escaped\\; 生产批次 \\\\ \\N done")
            event = [line for line in event if not line.startswith("SUMMARY:Batch ")][-1:] + [
                line for line in event if not line.startswith("SUMMARY:")
            ]
        if not plain and draw(st.booleans()):
            event.insert(draw(st.integers(0, len(event))), draw(st.sampled_from(ODD_LINES)))
        event = draw(st.permutations(event))
        lines += ["BEGIN:VEVENT", *(respell(draw, line) for line in event), "END:VEVENT"]
    if not plain and draw(st.integers(0, 4)) == 0:
        lines.insert(draw(st.integers(1, len(lines) - 1)), draw(st.sampled_from(ODD_LINES)))
    if not plain and draw(st.integers(0, 6)) == 0:
        lines.pop(draw(st.integers(1, len(lines) - 2)))  # an unclosed or unopened component
    lines.append("END:VCALENDAR")
    newline = draw(st.sampled_from(("\r\n", "\n")))
    text = newline.join(fold(draw, line) for line in lines) + newline
    if draw(st.integers(0, 5)) == 0:
        text = "\ufeff" + text
    if draw(st.integers(0, 5)) == 0:
        text = text.replace(newline + "BEGIN:VEVENT", newline + newline + "BEGIN:VEVENT", 1)
    default_tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    return text.encode(), Interval(window_start, window_start + HORIZON), default_tz, plain


@CORPUS
@given(spelled_calendars())
def test_reading_directly_gives_icalendar_s_runs_or_refusal(case):
    data, window, default_tz, _ = case
    direct = outcome(data, window, default_tz, read_directly=True)
    assert direct == outcome(data, window, default_tz, read_directly=False), data.decode()


def weekly(*extra: str, start: str = "DTSTART;TZID=Asia/Shanghai:20270301T080000") -> list[str]:
    return [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "BEGIN:VEVENT",
        "UID:weekly@tests",
        start,
        "DTEND;TZID=Asia/Shanghai:20270301T100000",
        "RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20270501T000000Z",
        "EXDATE;TZID=Asia/Shanghai:20270308T080000,20270311T080000",
        "SUMMARY:Batch",
        *extra,
        "END:VEVENT",
        "END:VCALENDAR",
    ]


def crlf(lines: list[str]) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


WINDOW = Interval(datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 5, 30, tzinfo=UTC))
PLAIN_SPELLINGS = {
    "plain": crlf(weekly()),
    "LF, BOM and blank lines": ("\ufeff" + "\n\n".join(weekly()) + "\n").encode(),
    "folded between multi-byte characters": crlf(
        weekly()[:8] + ["SUMMARY:生产批次"] + weekly()[9:]
    ).replace("生产".encode(), "生".encode() + b"\r\n " + "产".encode()),
    "lower case names and parameters": crlf(
        [line.replace("DTEND;TZID", "dtend;tzid") for line in weekly()]
    ),
    "quoted TZID": crlf(weekly(start='DTSTART;TZID="Asia/Shanghai":20270301T080000')),
    "Windows TZID": crlf(weekly(start="DTSTART;TZID=China Standard Time:20270301T080000")),
    "escaped text": crlf(weekly()[:8] + ["SUMMARY:a\\, b\\; c\\n d\\\\"] + weekly()[9:]),
    "unread lines": crlf(weekly(*UNREAD_LINES)),
    "UTC, X-WR-TIMEZONE and a VTIMEZONE": crlf(
        weekly(start="DTSTART:20270301T000000Z")[:2]
        + [
            "X-WR-TIMEZONE:Europe/Berlin",
            *(line.format(tzid="Asia/Shanghai") for line in VTIMEZONE),
        ]
        + weekly(start="DTSTART:20270301T000000Z")[2:]
    ),
    "all-day": crlf(
        [
            line
            for line in weekly("DTEND;VALUE=DATE:20270302", start="DTSTART;VALUE=DATE:20270301")
            if not line.startswith(("DTEND;TZID", "EXDATE"))
        ]
    ),
}


@pytest.mark.parametrize("data", PLAIN_SPELLINGS.values(), ids=PLAIN_SPELLINGS.keys())
def test_plainly_written_files_are_read_directly(data):
    """Without this, a reader that gave up on every file would pass the corpus test."""
    assert _read_simple_file(data, WINDOW, ZoneInfo("Asia/Shanghai")) is not None
    runs = outcome(data, WINDOW, ZoneInfo("Asia/Shanghai"), read_directly=True)
    assert runs
    assert runs == outcome(data, WINDOW, ZoneInfo("Asia/Shanghai"), read_directly=False)


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.ics")), ids=lambda path: path.name)
def test_the_sample_exports_give_the_same_runs(sample):
    window = Interval(datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 12, 31, tzinfo=UTC))
    data = sample.read_bytes()
    direct = outcome(data, window, ZoneInfo("Asia/Shanghai"), read_directly=True)
    assert direct == outcome(data, window, ZoneInfo("Asia/Shanghai"), read_directly=False)


def replaced(old: str, new: str, lines: list[str] | None = None) -> bytes:
    lines = weekly() if lines is None else lines
    assert any(line.startswith(old) for line in lines)
    return crlf([new if line.startswith(old) else line for line in lines])


ODD_SPELLINGS = {
    "TZID on a UTC time": replaced("DTSTART", "DTSTART;TZID=Europe/Berlin:20270301T080000Z"),
    "a daily rule that never matches": replaced(
        "RRULE", "RRULE:FREQ=DAILY;INTERVAL=7;BYDAY=TU;COUNT=5"
    ),
    "a daily rule every other day on a weekday": replaced(
        "RRULE", "RRULE:FREQ=DAILY;INTERVAL=2;BYDAY=TU,FR;UNTIL=20270420T000000Z"
    ),
    "VALUE=DATE on date-time EXDATEs": replaced(
        "EXDATE", "EXDATE;VALUE=DATE:20270308T080000,20270311T080000"
    ),
    "VALUE=date, read as no VALUE": replaced("DTSTART", "DTSTART;VALUE=date:20270301T080000"),
    "a duration": replaced("DTEND", "DURATION:PT1H30M"),
    "an all-day event of hours": crlf(
        [
            line
            for line in weekly("DURATION:PT12H", start="DTSTART;VALUE=DATE:20270301")
            if not line.startswith(("DTEND", "EXDATE"))
        ]
    ),
    "a negative duration": replaced("DTEND", "DURATION:-PT1H"),
    "no end": replaced("DTEND", "X-NO-END:1"),
    "two SUMMARY lines": replaced("UID", "SUMMARY:first"),
    "a Chinese calendar scale": replaced("VERSION", "CALSCALE:CHINESE"),
    "an unknown TZID": replaced("DTSTART", "DTSTART;TZID=Plant Time:20270301T080000"),
    "a TZID defined in the file": crlf(
        weekly()[:2]
        + [line.format(tzid="Plant Time") for line in VTIMEZONE]
        + [line.replace("Asia/Shanghai", "Plant Time") for line in weekly()[2:]]
    ),
    "ends before it starts": replaced("DTEND", "DTEND;TZID=Asia/Shanghai:20270301T070000"),
    "a date-time that does not exist": replaced("DTEND", "DTEND:20270230T100000"),
    "a NUL byte": replaced("SUMMARY", "SUMMARY:Batch\x00"),
    "a line without a colon": replaced("SUMMARY", "SUMMARY Batch"),
    "a parameter without a value": replaced("SUMMARY", "SUMMARY;LANGUAGE:Batch"),
}


@pytest.mark.parametrize("data", ODD_SPELLINGS.values(), ids=ODD_SPELLINGS.keys())
def test_odd_spellings_give_icalendar_s_outcome(data):
    direct = outcome(data, WINDOW, ZoneInfo("Asia/Shanghai"), read_directly=True)
    assert direct == outcome(data, WINDOW, ZoneInfo("Asia/Shanghai"), read_directly=False)
