"""iCalendar in: production schedules become busy intervals (the export is calendar_export.py).

`parse_production_calendar` reads an .ics file exported by Outlook, Google Calendar,
Thunderbird and the like, expands every VEVENT over a window (plain daily and weekly series
itself, the others with recurring_ical_events: RRULE, RDATE, EXDATE, RECURRENCE-ID overrides) and
returns the occurrences that keep the instrument busy, in UTC, clipped to the window. Time zones
are read like this:

- ``TZID`` naming an IANA zone ("Asia/Shanghai"), a Windows zone as Outlook writes it ("China
  Standard Time", mapped with icalendar's CLDR table) or a "globally unique" id
  ("/mozilla.org/20050126_1/Europe/Berlin") uses that IANA zone;
- any other ``TZID`` uses the VTIMEZONE of the same file that defines it;
- a ``TZID`` that is neither known nor defined in the file falls back to ``default_tz`` (the
  instrument's zone) rather than refusing the file: a production plan in an odd zone is far more
  likely local than not;
- floating times (no TZID, no Z) are read in ``X-WR-TIMEZONE`` when the file names a known zone
  there (Google, Apple), else in ``default_tz``; all-day dates are always read in ``default_tz``.

A file of simple series written plainly is read here line by line, any other with icalendar
(see "Simple files, read here" below); both give the same runs.

Refusals raise `ValidationFailed` with a "calendar" message; no icalendar, recurring_ical_events
or dateutil exception escapes.
"""

from __future__ import annotations

import math
import re
import time as clock
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from dateutil.rrule import rrulestr
from icalendar import Calendar
from icalendar.parser import unescape_backslash
from icalendar.prop import vDDDLists, vRecur
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from recurring_ical_events import CalendarQuery, ComponentsWithName, EventAdapter, Occurrence

from equipment_share.domain.availability import ONE_DAY, Interval
from equipment_share.domain.errors import N_, Message, ValidationFailed

MAX_CALENDAR_BYTES = 2 * 1024 * 1024
MAX_RUNS = 20_000
# What the parser builds costs memory by the line, not by the byte (about 1 kB of Python objects
# per content line or date value, 5 kB per event): 2 MB of short lines took a worker to 228 MB.
# Counted in the raw file before parsing; a production schedule needs far fewer (1,000 weekly
# series with their EXDATEs are about 9,000 lines).
MAX_CONTENT_LINES = 20_000
MAX_EVENTS = 4_000
MAX_DATE_VALUES = 10_000  # RDATE and EXDATE values, several to a line
# dateutil walks a rule from its DTSTART, so a rule that started long ago (hourly for decades,
# daily since the year 1000) costs time even when few of its occurrences fall in the window
# (about 0.5 s per 250,000 steps).
MAX_RULE_STEPS = 250_000
# Wall-clock budget for expanding one file, checked between series: a safety net behind the
# checks below (a 2 MB file of plain events takes about 2 s, parsing included).
MAX_EXPANSION_SECONDS = 10.0
# The Gregorian calendar, weekdays and leap years included, repeats every 400 years.
_CALENDAR_CYCLE_YEARS = 400

_MEGABYTE = 1024 * 1024
_REASON_LENGTH = 100
# Properties whose parse errors make the file unusable; broken others (GEO, ATTENDEE...) are ignored.
_TIMING_PROPERTIES = ("DTSTART", "DTEND", "DURATION", "RRULE", "RDATE", "EXDATE", "RECURRENCE-ID")
# Properties read as one value (icalendar turns a repeated one into a list).
_SINGLE_PROPERTIES = (
    "UID",
    "SEQUENCE",
    "STATUS",
    "TRANSP",
    "DTSTART",
    "DTEND",
    "DURATION",
    "RECURRENCE-ID",
)
_ZONED_PROPERTIES = ("DTSTART", "DTEND", "RECURRENCE-ID", "RDATE", "EXDATE")
# What icalendar, recurring_ical_events and dateutil raise on bad input. Their own errors subclass
# ValueError; the others are upstream bugs found by fuzzing (icalendar 7.3, dateutil 2.9): OSError
# from zoneinfo for a TZID naming a directory or too long, AttributeError for VALUE=DATE,DATE-TIME
# or for END:VTIMEZONE closing another component, TypeError from dateutil for an RRULE without
# FREQ (in a VTIMEZONE or an event); TypeError and OverflowError when expanding odd mixes of dates
# and date-times or dates near the year 9999.
_PARSE_ERRORS = (ValueError, TypeError, AttributeError, OSError)
_EXPANSION_ERRORS = (ValueError, TypeError, OverflowError)


@dataclass(frozen=True)
class ProductionRun:
    """One occurrence of a production event: the instrument is busy during `interval`."""

    interval: Interval
    summary: str
    uid: str


def parse_production_calendar(
    data: bytes,
    window: Interval,
    default_tz: ZoneInfo,
    *,
    expand_directly: bool = True,
    read_directly: bool = True,
) -> list[ProductionRun]:
    """Busy occurrences of the file's events that intersect the window, clipped to it, sorted.

    Skipped: STATUS:CANCELLED events or occurrences, TRANSP:TRANSPARENT events (they do not make
    the instrument busy), events without DTSTART, and zero-length events (a DTSTART with neither
    DTEND nor DURATION; an all-day DTSTART alone lasts one day). A TZID that is neither a known
    zone nor defined by a VTIMEZONE in the file falls back to `default_tz` (see the module doc).

    A rule that never matches ("Feb 30") leaves its DTSTART alone, as RFC 5545 says.

    Raises ValidationFailed({"calendar": Message}) when the file is too large, empty, not
    iCalendar, malformed, expands to more than MAX_RUNS runs in the window, or has a rule too
    costly to expand (see MAX_RULE_STEPS and MAX_EXPANSION_SECONDS).

    Simple series (see `_simple_series`) are expanded here, the rest by recurring_ical_events;
    `expand_directly=False` sends every event to the library (the equality tests compare both).
    A file whose events are all simple series, written plainly, is read here too, without
    icalendar (see `_read_simple_file`); `read_directly=False` always reads with icalendar.
    """
    if len(data) > MAX_CALENDAR_BYTES:
        raise _refusal(N_("The file is larger than %(mb)d MB."), mb=MAX_CALENDAR_BYTES // _MEGABYTE)
    if not data.strip():
        raise _no_events()
    _check_counts(data)
    if expand_directly and read_directly:
        simple = _read_simple_file(data, window, default_tz)
        if simple is not None:
            deadline = clock.monotonic() + MAX_EXPANSION_SECONDS
            runs = list(_expand_simple(simple, window, default_tz, deadline, 0))
            runs.sort(key=_run_order)
            return runs
    calendars = _read_calendars(data)
    events = [event for calendar in calendars for event in calendar.walk("VEVENT")]
    if not events:
        raise _no_events()
    for event in events:
        _check_event(event)
    deadline = clock.monotonic() + MAX_EXPANSION_SECONDS
    runs: list[ProductionRun] = []
    for calendar in calendars:
        _drop_events_without_start(calendar)
        zones = _FileZones(calendar, default_tz)
        calendar_zone = _calendar_zone(calendar)
        for event in calendar.walk("VEVENT"):
            _settle_times(event, zones, calendar_zone)
            _drop_rules_that_never_match(event)
            _check_size(event, window, default_tz)
        if expand_directly:
            simple = _simple_series_of(calendar)
            runs.extend(_expand_simple(simple, window, default_tz, deadline, len(runs)))
            _drop_events(calendar, {id(series.event) for series in simple})
        runs.extend(_expand(calendar, window, default_tz, deadline, len(runs)))
    runs.sort(key=_run_order)
    return runs


_FOLD = re.compile(rb"\r?\n[ \t]")
_DATE_LIST = re.compile(rb"(?:RDATE|EXDATE)[;:]", re.IGNORECASE)


def _check_counts(data: bytes) -> None:
    """Refuse a file with more content lines, events or RDATE/EXDATE values than the limits,
    before the parser turns each into objects."""
    lines = events = dates = 0
    for line in _FOLD.sub(b"", data).splitlines():
        if not line.strip():  # blank lines cost the parser nothing
            continue
        lines += 1
        if line[:12].upper() == b"BEGIN:VEVENT":
            events += 1
        elif _DATE_LIST.match(line):
            dates += line.count(b",") + 1
    if lines > MAX_CONTENT_LINES:
        raise _refusal(N_("The file has more than %(max)d lines."), max=MAX_CONTENT_LINES)
    if events > MAX_EVENTS:
        raise _refusal(N_("The file has more than %(max)d events."), max=MAX_EVENTS)
    if dates > MAX_DATE_VALUES:
        raise _refusal(
            N_("The file has more than %(max)d RDATE and EXDATE dates."), max=MAX_DATE_VALUES
        )


def _read_calendars(data: bytes) -> list[Calendar]:
    if b"\x00" in data:  # icalendar keeps it in the text, and PostgreSQL cannot store it
        raise _invalid("it contains a NUL byte")
    try:
        components = Calendar.from_ical(data, multiple=True)
    except _PARSE_ERRORS as error:
        raise _invalid(_reason_from(error)) from error
    if not components or any(component.name != "VCALENDAR" for component in components):
        raise _invalid("it does not start with BEGIN:VCALENDAR")
    # icalendar silently drops components that are never closed, so a truncated file would
    # otherwise look like a shorter, valid one.
    if not data.rstrip().upper().endswith(b"END:VCALENDAR"):
        raise _invalid("it is incomplete (the last line is not END:VCALENDAR)")
    return components


def _check_event(event) -> None:
    """Refuse timing properties icalendar could not parse, repeated, or of the wrong type.

    icalendar keeps unparsable values as vBroken, turns a repeated property into a list and lets
    a VALUE parameter pick another type (DTSTART;VALUE=TIME); the expansion would trip on each.
    """
    for name, error in event.errors:
        if name in _TIMING_PROPERTIES:
            raise _invalid(f"{name} of event {_event_name(event)}: {error}")
    for name in _SINGLE_PROPERTIES:
        if isinstance(event.get(name), list):
            raise _invalid(f"{name} appears more than once in event {_event_name(event)}")
    for name in _TIMING_PROPERTIES:
        for prop in _as_list(event.get(name)):
            if not _has_timing_type(name, prop):
                raise _invalid(f"{name} of event {_event_name(event)} has a wrong value type")
    for rule in _as_list(event.get("RRULE")):
        problem = _rule_problem(rule)
        if problem:
            raise _invalid(f"RRULE of event {_event_name(event)}: {problem}")
        if _rule_part(rule, "FREQ") == "SECONDLY":
            # No production plan repeats by the second, and dateutil may step through every
            # second of a day to find the next occurrence.
            raise _too_complex(_name_of(event))


def _has_timing_type(name: str, prop) -> bool:
    if name == "RRULE":
        return isinstance(prop, vRecur)
    if name == "DURATION":
        return isinstance(getattr(prop, "dt", None), timedelta)
    if name in ("RDATE", "EXDATE"):
        values = [item.dt for item in getattr(prop, "dts", None) or ()]
        return hasattr(prop, "dts") and all(_is_time_or_period(value) for value in values)
    return isinstance(getattr(prop, "dt", None), date)


def _rule_problem(rule: vRecur) -> str | None:
    """What dateutil would fail on, or loop on for ever (INTERVAL=0 without COUNT)."""
    freq = _rule_part(rule, "FREQ")
    if freq not in _STEPS:
        return f"FREQ={freq} is not a frequency" if freq else "FREQ is missing"
    interval = _rule_part(rule, "INTERVAL", 1)
    if not isinstance(interval, int) or interval < 1:
        return f"INTERVAL={interval} is not a positive number"
    if not all(isinstance(until, date) for until in rule.get("UNTIL", ())):
        return "UNTIL is not a date"  # icalendar reads UNTIL=080000 as a time of day
    if "UNTIL" in rule and "COUNT" in rule:
        return "COUNT and UNTIL exclude each other"
    for part, (low, high, signed) in _RULE_PART_RANGES.items():
        for value in rule.get(part) or ():
            number = _as_int(value)
            if number is None or not low <= (abs(number) if signed else number) <= high:
                return f"{part}={value} is out of range"
    return None


_RULE_PART_RANGES = {  # RFC 5545 section 3.3.10: (lowest, highest, may be negative)
    "BYSECOND": (0, 60, False),
    "BYMINUTE": (0, 59, False),
    "BYHOUR": (0, 23, False),
    "BYMONTHDAY": (1, 31, True),
    "BYYEARDAY": (1, 366, True),
    "BYWEEKNO": (1, 53, True),
    "BYMONTH": (1, 12, False),
    "BYSETPOS": (1, 366, True),
}


def _as_int(value) -> int | None:
    if isinstance(value, int):
        return value
    try:
        return int(str(value))  # BYMONTH values are vMonth ("5", or "5L" for a leap month)
    except ValueError:
        return None


def _is_time_or_period(value) -> bool:
    if isinstance(value, tuple):
        return (
            len(value) == 2
            and isinstance(value[0], date)
            and isinstance(value[1], date | timedelta)
        )
    return isinstance(value, date)


def _drop_events_without_start(calendar: Calendar) -> None:
    """An event without DTSTART has no time to block (recurring_ical_events would fail on it)."""
    for component in calendar.walk():
        component.subcomponents = [
            sub for sub in component.subcomponents if sub.name != "VEVENT" or "DTSTART" in sub
        ]


def _drop_events(calendar: Calendar, event_ids: set[int]) -> None:
    """Remove the events already expanded, so that the library sees only the others."""
    if not event_ids:
        return
    for component in calendar.walk():
        component.subcomponents = [
            sub for sub in component.subcomponents if id(sub) not in event_ids
        ]


class _FileZones:
    """TZID -> tzinfo for one file: known zones first, then the file's own VTIMEZONEs.

    icalendar caches custom VTIMEZONEs process-wide by TZID and the first file wins, so two
    uploads both using "Customized Time Zone" would share one definition; resolving here, per
    file, keeps each file's own definition and maps Windows names to IANA zones every time.
    """

    def __init__(self, calendar: Calendar, default_tz: ZoneInfo):
        self._default = default_tz
        self._definitions = {
            str(zone["TZID"]): zone for zone in calendar.walk("VTIMEZONE") if "TZID" in zone
        }
        self._resolved: dict[str, tzinfo] = {}

    def get(self, tzid: str) -> tzinfo:
        if tzid not in self._resolved:
            self._resolved[tzid] = self._resolve(tzid)
        return self._resolved[tzid]

    def _resolve(self, tzid: str) -> tzinfo:
        known = known_zone(tzid)
        if known is not None:
            return known
        definition = self._definitions.get(tzid)
        if definition is None:
            return self._default
        try:
            return definition.to_tz(lookup_tzid=False)
        except _PARSE_ERRORS as error:
            raise _invalid(f"time zone {tzid!r}: {error}") from error


def known_zone(tzid: str) -> ZoneInfo | None:
    """The IANA zone a TZID names: IANA, Windows (via icalendar's CLDR table) or globally unique."""
    name = tzid.strip().strip("/")
    candidates = [name, WINDOWS_TO_OLSON.get(name)]
    parts = name.split("/")
    candidates += ["/".join(parts[index:]) for index in range(1, len(parts))]
    names = _zone_names()
    for candidate in candidates:
        if candidate in names:
            return ZoneInfo(candidate)
    return None


@cache
def _zone_names() -> frozenset[str]:
    # Checking against the list avoids asking the file system about arbitrary names.
    return frozenset(available_timezones())


def _calendar_zone(calendar: Calendar) -> ZoneInfo | None:
    """The zone named by X-WR-TIMEZONE (Google, Apple), when it is a known one."""
    declared = calendar.get("X-WR-TIMEZONE")
    return known_zone(str(declared)) if isinstance(declared, str) else None


def _settle_times(event, zones: _FileZones, calendar_zone: ZoneInfo | None) -> None:
    """Give each date-time of the event the zone it is meant in, keeping its wall time.

    - with a TZID: the zone `zones` resolves for it;
    - floating: the calendar's X-WR-TIMEZONE; without one it stays floating (read in default_tz);
    - in UTC, in an event with RRULE or RDATE: moved to X-WR-TIMEZONE, so the rule repeats at the
      same local time (what Google means); other UTC times stay exact instants.

    This replaces recurring_ical_events.of()'s X-WR-TIMEZONE rewrite, which moves every UTC time
    to local time: the library then adds durations in wall-clock time and an instant in the
    repeated hour of a fall-back night (fold=1) lands an hour off.
    """
    series = "RRULE" in event or "RDATE" in event
    for name in _ZONED_PROPERTIES:
        for prop in _as_list(event.get(name)):
            tzid = prop.params.get("TZID")
            zone = zones.get(str(tzid)) if tzid else None
            for item in prop.dts if isinstance(prop, vDDDLists) else (prop,):
                item.dt = _settled(item.dt, zone, calendar_zone, series)


def _settled(value, zone: tzinfo | None, calendar_zone: ZoneInfo | None, series: bool):
    if isinstance(value, tuple):  # a PERIOD: (start, end or duration)
        return tuple(_settled(part, zone, calendar_zone, series) for part in value)
    if not isinstance(value, datetime):
        return value  # dates and durations have no zone
    if zone is not None:
        return value.replace(tzinfo=zone)
    if calendar_zone is None:
        return value
    if value.tzinfo is None:
        return value.replace(tzinfo=calendar_zone)
    if series and value.utcoffset() == timedelta(0) and value.tzname() == "UTC":
        return value.astimezone(calendar_zone)
    return value


_STEPS = {
    "SECONDLY": timedelta(seconds=1),
    "MINUTELY": timedelta(minutes=1),
    "HOURLY": timedelta(hours=1),
    "DAILY": ONE_DAY,
    "WEEKLY": timedelta(days=7),
    "MONTHLY": timedelta(days=28),
    "YEARLY": timedelta(days=365),
}
_DAYS_PER_STEP = {"DAILY": 1, "WEEKLY": 7, "MONTHLY": 31, "YEARLY": 366}


def _drop_rules_that_never_match(event) -> None:
    """Remove RRULEs without any occurrence ("Feb 30"); they add nothing but cost a lot.

    dateutil looks for the next occurrence until the year 9999, seconds per such rule, so each
    rule with BYxxx parts is first tried, without COUNT and UNTIL, from its DTSTART moved a whole
    number of 400-year cycles to just before 9999: at most 400 years (< 0.5 s) to walk, and the
    same calendar. DTSTART itself still counts as an occurrence, as RFC 5545 wants.
    """
    rules = _as_list(event.get("RRULE"))
    kept = [rule for rule in rules if not _never_matches(rule, event["DTSTART"].dt)]
    if len(kept) == len(rules):
        return
    del event["RRULE"]
    if kept:
        event["RRULE"] = kept[0] if len(kept) == 1 else kept


def _never_matches(rule: vRecur, start: date | datetime) -> bool:
    if _surely_matches(rule):
        return False
    probe = vRecur({part: value for part, value in rule.items() if part not in ("COUNT", "UNTIL")})
    wall = start if isinstance(start, datetime) else datetime.combine(start, time())
    last_cycle_start = datetime.max.year - _CALENDAR_CYCLE_YEARS
    cycles = max(0, -(-(last_cycle_start - wall.year) // _CALENDAR_CYCLE_YEARS))
    moved = wall.replace(year=wall.year + cycles * _CALENDAR_CYCLE_YEARS, tzinfo=None)
    try:
        return rrulestr(probe.to_ical().decode(), dtstart=moved).after(moved, inc=True) is None
    except _EXPANSION_ERRORS:
        return False  # the expansion reports it


def _surely_matches(rule: vRecur) -> bool:
    """No BYxxx part, or the weekly shapes Outlook and Google write (BYDAY=MO,WE; BYHOUR=8)."""
    parts = {part for part in rule if part.startswith("BY")}
    if not parts:
        return True
    if not parts <= {"BYDAY", "BYHOUR", "BYMINUTE", "BYSECOND"}:
        return False
    if not all(str(day).isalpha() for day in rule.get("BYDAY", ())):
        return False  # "1MO", "-1SU": depends on the month or year
    freq = _rule_part(rule, "FREQ")
    return freq in ("WEEKLY", "MONTHLY", "YEARLY") or (
        freq == "DAILY" and _rule_part(rule, "INTERVAL", 1) == 1
    )


def _check_size(event, window: Interval, default_tz: ZoneInfo) -> None:
    """Refuse what recurring_ical_events and dateutil would spend too long on (see
    `_check_rule_sizes`)."""
    first = _instant(event["DTSTART"].dt, default_tz)
    if "DTEND" in event:
        length = _instant(event["DTEND"].dt, default_tz) - first
    elif "DURATION" in event:
        length = event["DURATION"].dt
    else:
        length = timedelta(0)
    rules = _as_list(event.get("RRULE"))
    _check_rule_sizes(first, length, rules, _name_of(event), window, default_tz)


def _check_rule_sizes(
    first: datetime,
    length: timedelta,
    rules: list,
    name: str,
    window: Interval,
    default_tz: ZoneInfo,
) -> None:
    """Refuse a negative length (the library would swap the ends), and rules too costly.

    dateutil builds a rule's whole list of occurrences in the window at once, so a rule is
    estimated before it is expanded: an upper bound for plain rules, rough for rules with BYxxx
    filters, good enough to stop FREQ=MINUTELY without refusing real production plans. The
    library widens the window by the event's length, which counts too.
    """
    if length < timedelta(0):
        raise _invalid(f"event {name!r} ends before it starts")
    for rule in rules:
        freq = _rule_part(rule, "FREQ")  # FREQ and INTERVAL were checked by _rule_problem
        step = _STEPS[freq].total_seconds() * _rule_part(rule, "INTERVAL", 1)  # float: no overflow
        count = _rule_part(rule, "COUNT")
        if not isinstance(count, int) or count < 0:
            count = None  # recurring_ical_events ignores COUNT=-1 (written by some generators)
        until = _rule_part(rule, "UNTIL")
        last = window.end + ONE_DAY  # the margin _expand queries with
        if until is not None:
            last = min(last, _instant(until, default_tz))
        span = max(last - max(first, window.start - ONE_DAY - length), timedelta(0))
        per_step = _per_step(rule, freq)
        estimate = (span.total_seconds() / step + 1) * per_step
        steps_walked = (last - first).total_seconds() / step
        if count is not None:  # dateutil stops after COUNT occurrences
            estimate = min(estimate, count)
            steps_walked = min(steps_walked, count / per_step)
        if estimate > MAX_RUNS:
            raise _too_many_runs(window)
        if steps_walked > MAX_RULE_STEPS:
            raise _too_complex(name)


def _per_step(rule, freq: str) -> float:
    """Occurrences one FREQ step can produce: BYxxx parts expand coarse and limit fine rules."""

    def times(part: str) -> int:
        return len(rule.get(part) or ()) or 1

    def share(part: str, whole: int) -> float:
        return times(part) / whole if rule.get(part) else 1

    if freq == "MINUTELY":
        return share("BYDAY", 7) * share("BYHOUR", 24) * share("BYMINUTE", 60) * times("BYSECOND")
    if freq == "HOURLY":
        return share("BYDAY", 7) * share("BYHOUR", 24) * times("BYMINUTE") * times("BYSECOND")
    days = times("BYDAY") * (53 if freq == "YEARLY" else 5 if freq == "MONTHLY" else 1)
    for part in ("BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYMONTH"):
        days *= times(part) * (7 if part == "BYWEEKNO" else 1)
    return min(days, _DAYS_PER_STEP[freq]) * times("BYHOUR") * times("BYMINUTE") * times("BYSECOND")


def _rule_part(rule, name: str, default=None):
    values = rule.get(name)
    return values[0] if values else default


class _EventAdapter(EventAdapter):
    """Reads once what every occurrence needs from its VEVENT (the library would copy it)."""

    def __init__(self, component):
        super().__init__(component)
        self.event = component
        self.blocks = _blocks(_text(component, "STATUS"), _text(component, "TRANSP"))
        self.summary = _text(component, "SUMMARY")
        self.event_uid = _text(component, "UID")


class _EventOccurrence(Occurrence):
    def __init__(self, adapter: _EventAdapter, start=None, end=None, sequence=-1):
        super().__init__(adapter, start, end, sequence)
        self.source = adapter


_EVENTS = ComponentsWithName("VEVENT", adapter=_EventAdapter, occurrence=_EventOccurrence)


def _expand(
    calendar: Calendar, window: Interval, default_tz: ZoneInfo, deadline: float, found: int
) -> Iterator[ProductionRun]:
    # A day of margin either side: floating times and all-day dates are compared in default_tz
    # by the library; the exact cut happens below, in UTC.
    span_start = (window.start - ONE_DAY).astimezone(default_tz)
    span_end = (window.end + ONE_DAY).astimezone(default_tz)
    try:
        query = CalendarQuery(calendar, components=[_EVENTS])
    except _EXPANSION_ERRORS as error:
        raise _invalid(_reason_from(error)) from error
    for series in query.series:
        if clock.monotonic() > deadline:
            raise _too_complex(_name_of(series.components[0].event))
        try:
            occurrences = list(series.between(span_start, span_end))
        except _EXPANSION_ERRORS as error:
            raise _invalid(_reason_from(error)) from error
        for occurrence in occurrences:
            run = _run_of(occurrence, window, default_tz)
            if run is not None:
                found += 1
                if found > MAX_RUNS:
                    raise _too_many_runs(window)
                yield run


# --- Simple series, expanded here ---------------------------------------------------------
#
# recurring_ical_events costs about a millisecond per series (the rule goes through dateutil's
# parser, a rule set and several copies); a production plan is mostly plain weekly or daily
# series, which take a few lines of date arithmetic. What follows gives the library's results
# for them exactly, its quirks included (tests/domain/test_calendar_direct_expansion.py
# compares both on generated calendars):
# - occurrences keep DTSTART's wall time; one that does not exist (the spring-forward gap) is
#   read with the offset before the change (zoneinfo's fold=0), as dateutil leaves it;
# - an occurrence lasts DTEND - DTSTART as Python subtracts them (in wall-clock time when both
#   share a zone), added to its start in wall-clock time;
# - UNTIL is an instant for a zoned DTSTART (a floating or date UNTIL is then read in UTC), a
#   wall time for a floating or all-day one;
# - DTSTART is an occurrence even when the rule does not match it, unless it is after UNTIL;
#   COUNT counts the rule's occurrences only;
# - an EXDATE removes an occurrence when the UTC or wall time of one (zone dropped) equals the
#   UTC or wall time of the other, and a date EXDATE every occurrence on that wall day.

_SIMPLE_FREQUENCIES = {"DAILY": 1, "WEEKLY": 7}  # days per step
_SIMPLE_RULE_PARTS = frozenset({"FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "WKST"})
_WEEKDAY_NUMBERS = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}
_SIMPLE_ZONES = (ZoneInfo, timezone)  # not the VTIMEZONE-built ones
_SIMPLE_YEARS = range(1900, 2201)  # far from the ends of datetime's range
_LONGEST_SIMPLE_RUN = timedelta(days=366)
_LONGEST_SIMPLE_STEP_DAYS = 3653  # ten years: a step of INTERVAL=5000000 days would overflow
# Occurrences further than this outside the window, in wall time, cannot reach into it: zone
# offsets are below a day. The exact cut is made in UTC.
_WALL_MARGIN = timedelta(days=2)


@dataclass(frozen=True)
class _SimpleRule:
    step_days: int  # DAILY 1, WEEKLY 7, times INTERVAL
    weekly: bool
    weekdays: frozenset[int]  # BYDAY; empty: DTSTART's weekday (WEEKLY) or every day (DAILY)
    week_start: int  # WKST
    count: int | None
    until: datetime | None  # aware for a zoned series, a wall time for the others


@dataclass(frozen=True)
class _SimpleSeries:
    event: object  # the VEVENT; None when the file was read directly
    start: datetime  # DTSTART's wall time (midnight for all-day events)
    zone: tzinfo | None  # None: floating or all-day, read in default_tz
    length: timedelta
    rule: _SimpleRule | None
    excluded_times: frozenset[datetime]  # the EXDATEs' UTC and wall times, without zone
    excluded_days: frozenset[date]  # the EXDATEs that are dates
    blocks: bool
    summary: str
    uid: str


def _simple_series_of(calendar: Calendar) -> list[_SimpleSeries]:
    """The calendar's events simple enough to expand here; the library expands the others.

    Events sharing a UID (a series and its moved occurrences, or duplicates, of which the
    library keeps the highest SEQUENCE) are always left to the library.
    """
    events = calendar.walk("VEVENT")
    uses = Counter(str(event["UID"]) for event in events if "UID" in event)
    found = []
    for event in events:
        if "UID" in event and uses[str(event["UID"])] > 1:
            continue
        series = _simple_series(event)
        if series is not None:
            found.append(series)
    return found


def _simple_series(event) -> _SimpleSeries | None:
    """The event as a simple series (see `_series_of`); None for anything else."""
    if "RDATE" in event or "RECURRENCE-ID" in event:
        return None
    try:
        end = _library_end(event)
    except OverflowError:
        return None
    return _series_of(
        event,
        start=event["DTSTART"].dt,
        end=end,
        excluded=[item.dt for prop in _as_list(event.get("EXDATE")) for item in prop.dts],
        rules=_as_list(event.get("RRULE")),
        blocks=_blocks(_text(event, "STATUS"), _text(event, "TRANSP")),
        summary=_text(event, "SUMMARY"),
        uid=_text(event, "UID"),
    )


def _series_of(
    event,
    *,
    start: date,
    end: date | None,
    excluded: list,
    rules: list,
    blocks: bool,
    summary: str,
    uid: str,
) -> _SimpleSeries | None:
    """A simple series: DTSTART and DTEND (or DURATION) both dates or both date-times in a
    known zone or floating, at most one RRULE of `_simple_rule`, EXDATEs (and neither RDATE nor
    RECURRENCE-ID, which the caller checks); None for anything else. The times are settled
    (`_settle_times`)."""
    if start.year not in _SIMPLE_YEARS:
        return None
    if any(isinstance(value, tuple) or value.year not in _SIMPLE_YEARS for value in excluded):
        return None  # periods; and the year 1 in UTC may be out of range
    all_day = not isinstance(start, datetime)
    if all_day:
        if isinstance(end, datetime) or not isinstance(end, date):
            return None
        if any(isinstance(value, datetime) for value in excluded):
            return None
        wall, zone = datetime.combine(start, time()), None
    else:
        zone = start.tzinfo
        if not isinstance(end, datetime) or not _simple_zone(start, zone, end):
            return None
        if not _simple_zone(
            start, zone, *(value for value in excluded if isinstance(value, datetime))
        ):
            return None
        wall = start.replace(tzinfo=None)
    length = end - start
    if not timedelta(0) <= length <= _LONGEST_SIMPLE_RUN:
        return None
    rule = _simple_rule(rules[0], zone, all_day) if len(rules) == 1 else None
    if len(rules) > 1 or (rules and rule is None):
        return None
    return _SimpleSeries(
        event=event,
        start=wall,
        zone=zone,
        length=length,
        rule=rule,
        excluded_times=frozenset(_recurrence_ids(excluded)),
        excluded_days=frozenset(value for value in excluded if not isinstance(value, datetime)),
        blocks=blocks,
        summary=summary,
        uid=uid,
    )


def _library_end(event) -> date | None:
    """DTEND, or the end recurring_ical_events computes (a DURATION is added in wall time)."""
    if "DTEND" in event:
        return event["DTEND"].dt
    start = event["DTSTART"].dt
    if "DURATION" in event:
        duration = event["DURATION"].dt
        if duration.seconds and not isinstance(start, datetime):
            return None  # the library turns the date into a date-time: left to it
        return start + duration
    return start if isinstance(start, datetime) else start + ONE_DAY


def _simple_zone(start: datetime, zone: tzinfo | None, *others: datetime) -> bool:
    """DTSTART in an IANA zone or a fixed offset, or floating and the others too; the
    library would give a floating DTSTART the zone of another time of the event."""
    if zone is None:
        return all(other.tzinfo is None for other in others)
    return all(
        other.tzinfo is None or isinstance(other.tzinfo, _SIMPLE_ZONES)
        for other in (start, *others)
    )


def _simple_rule(rule: vRecur, zone: tzinfo | None, all_day: bool) -> _SimpleRule | None:
    """FREQ=DAILY or WEEKLY with INTERVAL, COUNT or UNTIL, BYDAY of plain weekdays and WKST."""
    if not set(rule) <= _SIMPLE_RULE_PARTS or _rule_part(rule, "FREQ") not in _SIMPLE_FREQUENCIES:
        return None
    if any(len(values) != 1 for part, values in rule.items() if part != "BYDAY"):
        return None
    days = [str(day) for day in rule.get("BYDAY") or ()]
    week_start = str(_rule_part(rule, "WKST", "MO"))
    if not all(day in _WEEKDAY_NUMBERS for day in [*days, week_start]):
        return None  # "1MO", "-1SU", lower case...
    count = _rule_part(rule, "COUNT")
    if count is not None and (not isinstance(count, int) or count < 1):
        return None
    until = _rule_part(rule, "UNTIL")
    if until is not None:
        until = _library_until(until, zone, all_day)
        if until is None:
            return None
    freq = _rule_part(rule, "FREQ")
    step_days = _SIMPLE_FREQUENCIES[freq] * _rule_part(rule, "INTERVAL", 1)
    if step_days > _LONGEST_SIMPLE_STEP_DAYS:
        return None
    return _SimpleRule(
        step_days=step_days,
        weekly=freq == "WEEKLY",
        weekdays=frozenset(_WEEKDAY_NUMBERS[day] for day in days),
        week_start=_WEEKDAY_NUMBERS[week_start],
        count=count,
        until=until,
    )


def _library_until(until: date, zone: tzinfo | None, all_day: bool) -> datetime | None:
    """UNTIL as recurring_ical_events gives it to dateutil: when dateutil refuses to compare a
    floating UNTIL with a zoned DTSTART, or a UTC one with a floating DTSTART, the library
    rewrites it: the written time is then read in UTC, or without its Z."""
    if isinstance(until, datetime) and until.tzinfo is not None:
        if until.utcoffset() != timedelta(0):
            return None
        if zone is not None:
            return until
        written = until.replace(tzinfo=None)
        return datetime.combine(written.date(), time()) if all_day else written
    written = until if isinstance(until, datetime) else datetime.combine(until, time())
    return written if zone is None else written.replace(tzinfo=UTC)


def _blocks(status: str, transparency: str) -> bool:
    return status.upper() != "CANCELLED" and transparency.upper() != "TRANSPARENT"


def _recurrence_ids(values) -> Iterator[datetime]:
    """How the library identifies a time: UTC and wall time without a zone; a date's midnight."""
    for value in values:
        if not isinstance(value, datetime):
            yield datetime.combine(value, time())
        elif value.tzinfo is None:
            yield value
        else:
            yield value.astimezone(UTC).replace(tzinfo=None)
            yield value.replace(tzinfo=None)


def _expand_simple(
    all_series: list[_SimpleSeries],
    window: Interval,
    default_tz: ZoneInfo,
    deadline: float,
    found: int,
) -> Iterator[ProductionRun]:
    for series in all_series:
        if clock.monotonic() > deadline:
            raise _too_complex(series.summary or series.uid)
        if not series.blocks:
            continue
        zone = series.zone or default_tz
        earliest = _wall_time(window.start - series.length, zone) - _WALL_MARGIN
        latest = _wall_time(window.end, zone) + _WALL_MARGIN
        for wall in _occurrences(series, earliest, latest):
            start = wall.replace(tzinfo=zone).astimezone(UTC)
            if series.excluded_times and _is_excluded(series, wall, start):
                continue
            end = (wall + series.length).replace(tzinfo=zone).astimezone(UTC)
            if start >= end or start >= window.end or end <= window.start:
                continue
            found += 1
            if found > MAX_RUNS:
                raise _too_many_runs(window)
            interval = Interval(max(start, window.start), min(end, window.end))
            yield ProductionRun(interval=interval, summary=series.summary, uid=series.uid)


def _wall_time(instant: datetime, zone: tzinfo) -> datetime:
    return instant.astimezone(zone).replace(tzinfo=None)


def _is_excluded(series: _SimpleSeries, wall: datetime, start: datetime) -> bool:
    if wall.date() in series.excluded_days:
        return True
    excluded = series.excluded_times
    if series.zone is None:
        return wall in excluded
    return wall in excluded or start.replace(tzinfo=None) in excluded


def _occurrences(series: _SimpleSeries, earliest: datetime, latest: datetime) -> set[datetime]:
    """Wall times of DTSTART and of the rule's occurrences from `earliest` (all of them with
    COUNT) to `latest`."""
    rule = series.rule
    walls = set()
    if rule is None or rule.until is None or not _after_until(series, series.start, rule.until):
        walls.add(series.start)
    if rule is not None:
        walls.update(_rule_occurrences(series, rule, earliest, latest))
    return walls


def _rule_occurrences(
    series: _SimpleSeries, rule: _SimpleRule, earliest: datetime, latest: datetime
) -> Iterator[datetime]:
    """dateutil's walk: every INTERVAL-th day or week (weeks begin on WKST) from DTSTART's."""
    first, at = series.start.date(), series.start.time()
    if rule.weekly:
        period = first - timedelta(days=(first.weekday() - rule.week_start) % 7)
        weekdays = rule.weekdays or {first.weekday()}
        offsets = sorted((weekday - rule.week_start) % 7 for weekday in weekdays)
    else:
        period, offsets = first, [0]
    if rule.count is None and earliest.date() > period:  # COUNT counts from DTSTART
        steps = (earliest.date() - period).days // rule.step_days
        period += timedelta(days=steps * rule.step_days)
    step = timedelta(days=rule.step_days)
    remaining = rule.count
    while True:
        for offset in offsets:
            day = period + timedelta(days=offset)
            if day < first:
                continue
            wall = datetime.combine(day, at)
            if wall > latest or (rule.until is not None and _after_until(series, wall, rule.until)):
                return  # checked before BYDAY: a rule that rarely matches still ends here
            if not rule.weekly and rule.weekdays and day.weekday() not in rule.weekdays:
                continue
            yield wall
            if remaining is not None:
                remaining -= 1
                if remaining == 0:
                    return
        period += step


def _after_until(series: _SimpleSeries, wall: datetime, until: datetime) -> bool:
    if series.zone is None:
        return wall > until
    return wall.replace(tzinfo=series.zone) > until


def _run_of(
    occurrence: _EventOccurrence, window: Interval, default_tz: ZoneInfo
) -> ProductionRun | None:
    """The busy part of the occurrence inside the window; None for cancelled or free ones."""
    source = occurrence.source
    if not source.blocks:
        return None
    start = _instant(occurrence.start, default_tz)
    end = _instant(occurrence.end, default_tz)
    if start >= end or start >= window.end or end <= window.start:
        return None
    interval = Interval(max(start, window.start), min(end, window.end))
    return ProductionRun(interval=interval, summary=source.summary, uid=source.event_uid)


def _instant(value: date | datetime, default_tz: ZoneInfo) -> datetime:
    """UTC instant of a date-time; floating times and dates (local midnight) in default_tz."""
    try:
        if isinstance(value, datetime):
            if value.tzinfo is None:
                value = value.replace(tzinfo=default_tz)
            return value.astimezone(UTC)
        return datetime.combine(value, time(), tzinfo=default_tz).astimezone(UTC)
    except OverflowError as error:  # the years 1 and 9999 in a zone east or west of UTC
        raise _invalid(f"the date {value} is out of range") from error


def _run_order(run: ProductionRun):
    return (run.interval.start, run.interval.end, run.uid, run.summary)


def _text(component, name: str) -> str:
    value = component.get(name)
    return "" if value is None else str(value)


def _name_of(event) -> str:
    return _text(event, "SUMMARY") or _text(event, "UID")


def _event_name(event) -> str:
    return repr(_name_of(event))


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _reason_from(error: Exception) -> str:
    reason = " ".join(str(error).split()) or type(error).__name__
    if isinstance(error, OSError):
        reason = "a TZID is not a time zone name"  # the message would show a server path
    return reason if len(reason) <= _REASON_LENGTH else reason[: _REASON_LENGTH - 1] + "…"


def _refusal(template: str, **params) -> ValidationFailed:
    return ValidationFailed({"calendar": Message(template, params)})


def _no_events() -> ValidationFailed:
    return _refusal(N_("The file contains no events."))


# The reason is the parser's, in English: the API passes it on to the integrator; the page says
# the sentence without it and keeps the reason under "technical detail".
INVALID_FILE = N_("The file is not a valid iCalendar (.ics) file: %(reason)s")


def _invalid(reason: str) -> ValidationFailed:
    if len(reason) > _REASON_LENGTH:
        reason = reason[: _REASON_LENGTH - 1] + "…"
    return _refusal(INVALID_FILE, reason=reason)


def _too_many_runs(window: Interval) -> ValidationFailed:
    return _refusal(
        N_("The calendar expands to more than %(max)d production runs in the next %(days)d days."),
        max=MAX_RUNS,
        days=math.ceil((window.end - window.start) / ONE_DAY),
    )


def _too_complex(name: str) -> ValidationFailed:
    return _refusal(N_("The event “%(summary)s” repeats too often to be imported."), summary=name)


# --- Simple files, read here ----------------------------------------------------------------
#
# icalendar builds several objects per content line (its parameters, a caseless dict, a typed
# value): about half of an import's CPU for a production plan of 1,000 weekly series. A file
# whose every event is a simple series written plainly is read here instead, line by line,
# into the same `_SimpleSeries` the icalendar path builds; the first line or value this reader
# does not fully understand sends the whole file to icalendar, which then also gives the
# refusal, if there is one. What the reader takes:
# - one VCALENDAR; what is not a VEVENT (its properties, VTIMEZONEs) goes to icalendar as a
#   short file of its own, so X-WR-TIMEZONE, the VTIMEZONEs and any error in them are read as
#   before, and to recurring_ical_events, which refuses some calendars whole (CALSCALE);
# - VEVENTs directly in the VCALENDAR, without subcomponents, every line NAME;PARAM=...:value
#   without whitespace or backslash before the value, no VALUE parameter except on the times;
# - DTSTART, with DTEND or DURATION or neither (no RDATE, RECURRENCE-ID or DUE), each once, a
#   date or a date-time (UTC, floating, or with a TZID that is an IANA or Windows zone name, unquoted or
#   quoted), EXDATE lines of such values, at most one RRULE of the parts `_simple_rule` takes,
#   in upper case, whose weekdays surely match (`_surely_matches`);
# - SUMMARY, UID, STATUS, TRANSP, SEQUENCE at most once each; UIDs not shared by two events.
# tests/domain/test_calendar_direct_reading.py compares the runs of both readers on generated
# calendars, their plain and their odd spellings.

# icalendar's unfolding and line split (icalendar.parser.content_line.UFOLD and NEWLINE)
_UNFOLD = re.compile(r"(?:(?<!\n)\r\n|(?<![\r\n])\n)(?:\r?\n)*[ \t]")
_NEWLINE = re.compile(r"\r?\n")
# Possessive: a line is read one way only, so a line that does not match (no colon) fails in
# one pass instead of backtracking through every parameter (a second per megabyte).
_PARAM_TEXT = r'(?:"[^"\x00-\x1f\x7f]*+"|[^";:,\\\x00-\x1f\x7f]*+)'
_CONTENT_LINE = re.compile(
    rf"([A-Za-z0-9-]++)((?:;[A-Za-z0-9-]++={_PARAM_TEXT}(?:,{_PARAM_TEXT})*+)*+):(.*)", re.DOTALL
)
_COMPONENT_NAME = re.compile(r"[A-Za-z0-9-]+")
_VALUE_PARAMETER = re.compile(r";VALUE=", re.IGNORECASE)
_TIME_PARAMETER = re.compile(
    r';(?:(?i:TZID)=(?:"([^"^]+)"|([^";:,^]+))|(?i:VALUE)=(DATE-TIME|DATE)(?=;|$))'
)
_DATE_TIME = re.compile(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(Z?)", re.ASCII)
_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})", re.ASCII)
_NUMBER = re.compile(r"\d+", re.ASCII)
# icalendar's DURATION_REGEX, with ASCII digits only
_DURATION = re.compile(
    r"([-+]?)P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", re.ASCII
)
# What makes an event anything but a simple series; DUE takes a TZID as the times do.
_NOT_SIMPLE_PROPERTIES = frozenset({"RDATE", "RECURRENCE-ID", "DUE"})
_ONCE_PROPERTIES = frozenset({*_SINGLE_PROPERTIES, "SUMMARY", "RRULE"})
_UTC = ZoneInfo("UTC")  # what icalendar gives a time written with Z


def _read_simple_file(
    data: bytes, window: Interval, default_tz: ZoneInfo
) -> list[_SimpleSeries] | None:
    """The file's events as simple series, read without icalendar; None when the file holds
    anything else (see above), for icalendar to read."""
    if b"\x00" in data or not data.rstrip().upper().endswith(b"END:VCALENDAR"):
        return None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    rest: list[str] = []
    events: list[dict[str, list[tuple[str, str]]]] = []
    event: dict[str, list[tuple[str, str]]] | None = None
    depth = 0
    for line in _NEWLINE.split(_UNFOLD.sub("", text)):
        if not line:
            continue
        match = _CONTENT_LINE.fullmatch(line)
        if match is None:
            return None
        name = match[1].upper()
        if name in ("BEGIN", "END"):
            if match[2] or not _COMPONENT_NAME.fullmatch(match[3]):
                return None
            component = match[3].upper()
            if event is not None:
                if name == "BEGIN" or component != "VEVENT":
                    return None
                events.append(event)
                event = None
                continue
            if component == "VEVENT":
                if name == "END" or depth != 1:
                    return None
                event = {}
                continue
            depth += 1 if name == "BEGIN" else -1
        elif event is not None:
            event.setdefault(name, []).append((match[2], match[3]))
            continue
        rest.append(line)
    if event is not None or not events:
        return None
    try:
        calendars = Calendar.from_ical("\r\n".join(rest), multiple=True)
    except _PARSE_ERRORS:
        return None
    if len(calendars) != 1 or calendars[0].name != "VCALENDAR":
        return None
    try:  # what the library refuses in a whole calendar (a CALSCALE other than GREGORIAN)
        CalendarQuery(calendars[0], components=[_EVENTS])
    except _EXPANSION_ERRORS:
        return None
    zones = _FileZones(calendars[0], default_tz)
    calendar_zone = _calendar_zone(calendars[0])
    uids = Counter(_read_text(properties, "UID") for properties in events if "UID" in properties)
    if any(uses > 1 for uses in uids.values()):
        return None
    found = []
    for properties in events:
        series = _read_simple_event(properties, zones, calendar_zone, window, default_tz)
        if series is None:
            return None
        found.append(series)
    return found


def _read_simple_event(
    properties: dict[str, list[tuple[str, str]]],
    zones: _FileZones,
    calendar_zone: ZoneInfo | None,
    window: Interval,
    default_tz: ZoneInfo,
) -> _SimpleSeries | None:
    """One VEVENT's lines (name -> [(parameters, value)]) as a simple series, or None."""
    for name, lines in properties.items():
        if name in _NOT_SIMPLE_PROPERTIES or (len(lines) > 1 and name in _ONCE_PROPERTIES):
            return None
        if name not in _TIME_PROPERTIES and any(
            params and _VALUE_PARAMETER.search(params) for params, _ in lines
        ):
            return None
    if "DTSTART" not in properties:
        return None
    rules = [_read_rule(*line) for line in properties.get("RRULE", ())]
    if any(rule is None or _rule_problem(rule) for rule in rules):
        return None
    series = bool(rules)
    times = [
        _read_times(params, value, zones, calendar_zone, series)
        for name in ("DTSTART", "DTEND", "EXDATE")
        for params, value in properties.get(name, ())
    ]
    if any(values is None for values in times):
        return None
    [start], *excluded = times
    rules = [rule for rule in rules if not _never_matches(rule, start)]
    summary = _read_text(properties, "SUMMARY")
    uid = _read_text(properties, "UID")
    try:
        first = _instant(start, default_tz)
        if "DTEND" in properties:
            [end] = excluded.pop(0)
            length = _instant(end, default_tz) - first
        else:
            end, length = _end_by_duration(properties, start)
        _check_rule_sizes(first, length, rules, summary or uid, window, default_tz)
    except (ValidationFailed, ValueError, OverflowError):
        return None  # icalendar's reading gives the refusal, or a time the reader takes
    return _series_of(
        None,
        start=start,
        end=end,
        excluded=[value for values in excluded for value in values],
        rules=rules,
        blocks=_blocks(_read_text(properties, "STATUS"), _read_text(properties, "TRANSP")),
        summary=summary,
        uid=uid,
    )


_TIME_PROPERTIES = ("DTSTART", "DTEND", "EXDATE")


def _end_by_duration(
    properties: dict[str, list[tuple[str, str]]], start: date
) -> tuple[date | None, timedelta]:
    """The end as `_library_end` gives it and the length `_check_size` counts, without DTEND;
    ValueError for a DURATION the reader does not take."""
    if "DURATION" not in properties:
        return (start if isinstance(start, datetime) else start + ONE_DAY), timedelta(0)
    [(params, text)] = properties["DURATION"]
    match = _DURATION.fullmatch(text)
    if params or match is None:
        raise ValueError(text)
    sign, weeks, days, hours, minutes, seconds = match.groups()
    duration = timedelta(
        weeks=int(weeks or 0),
        days=int(days or 0),
        hours=int(hours or 0),
        minutes=int(minutes or 0),
        seconds=int(seconds or 0),
    )
    if sign == "-":
        duration = -duration
    if duration.seconds and not isinstance(start, datetime):
        return None, duration  # `_series_of` leaves it to the library
    return start + duration, duration


def _read_times(
    params: str, value: str, zones: _FileZones, calendar_zone: ZoneInfo | None, series: bool
) -> list[date] | None:
    """A DTSTART, DTEND or EXDATE line's values as `_settle_times` leaves them, or None."""
    tzid = value_type = None
    at = 0
    for match in _TIME_PARAMETER.finditer(params):
        if match.start() != at:
            return None
        at = match.end()
        if match[3] is not None:
            if value_type is not None:
                return None
            value_type = match[3]
        else:
            if tzid is not None:
                return None
            tzid = match[1] if match[1] is not None else match[2]
    if at != len(params):
        return None
    zone = None
    if tzid is not None:
        if not _plain_zone_name(tzid):
            return None
        zone = zones.get(tzid)
    values = []
    for text in value.split(","):
        parsed = _read_time(text, value_type)
        if parsed is None:
            return None
        values.append(_settled(parsed, zone, calendar_zone, series))
    return values


def _plain_zone_name(tzid: str) -> bool:
    """An IANA or Windows zone name, which icalendar reads without trouble."""
    names = _zone_names()
    return tzid in names or WINDOWS_TO_OLSON.get(tzid) in names


def _read_time(text: str, value_type: str | None):
    if value_type != "DATE":
        match = _DATE_TIME.fullmatch(text)
        if match is not None:
            try:
                return datetime(*map(int, match.groups()[:6]), tzinfo=_UTC if match[7] else None)
            except ValueError:
                return None
    if value_type != "DATE-TIME":
        match = _DATE.fullmatch(text)
        if match is not None:
            try:
                return date(*map(int, match.groups()))
            except ValueError:
                return None
    return None


def _read_rule(params: str, value: str) -> dict | None:
    """An RRULE's parts as vRecur holds them, for the parts `_simple_rule` takes; or None."""
    if params:
        return None
    rule: dict[str, list] = {}
    for part in value.split(";"):
        name, _, text = part.partition("=")
        if name in rule:
            return None
        if name in ("FREQ", "WKST"):
            values = [text]
        elif name == "BYDAY":
            values = text.split(",")
        elif name in ("INTERVAL", "COUNT") and _NUMBER.fullmatch(text):
            values = [int(text)]
        elif name == "UNTIL" and _read_time(text, None) is not None:
            values = [_read_time(text, None)]
        else:
            return None
        if not all(value in _SIMPLE_RULE_VALUES.get(name, (value,)) for value in values):
            return None
        rule[name] = values
    return rule


_SIMPLE_RULE_VALUES = {
    "FREQ": tuple(_SIMPLE_FREQUENCIES),
    "WKST": tuple(_WEEKDAY_NUMBERS),
    "BYDAY": tuple(_WEEKDAY_NUMBERS),
}


def _read_text(properties: dict[str, list[tuple[str, str]]], name: str) -> str:
    lines = properties.get(name)
    if not lines:
        return ""
    value = lines[0][1]
    return unescape_backslash(value) if "\\" in value else value
