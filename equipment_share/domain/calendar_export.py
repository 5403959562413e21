"""iCalendar out: bookings and idle time become feeds (the import is calendar_import.py).

`build_calendar` writes a deterministic feed (same input, same bytes, stable ETag): events sorted,
in local time of one zone with its VTIMEZONE, stamped with the `now` given (callers pass the time
the content last changed, not the time it is served).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone
from icalendar.parser import Contentline

from equipment_share.domain.availability import Interval, to_utc

DEFAULT_PRODUCT_ID = "-//equipment_share//EN"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
EPOCH_ORDINAL = EPOCH.toordinal()
MICROSECONDS = 1_000_000
ONE_MICROSECOND = timedelta(microseconds=1)
_TWO_DIGITS = [f"{number:02d}" for number in range(60)]
_HOURS_MINUTES = [f"{hour:02d}{minute:02d}" for hour in range(24) for minute in range(60)]
STATUSES = frozenset({"TENTATIVE", "CONFIRMED", "CANCELLED"})

_NEEDS_ESCAPE = re.compile(r"[\\;,\x00-\x08\x0a-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not allowed in TEXT; HTAB is


@dataclass(frozen=True)
class CalendarEvent:
    uid: str  # stable, e.g. "booking-42@equipment-share"
    interval: Interval
    summary: str
    description: str = ""
    location: str = ""
    status: str = "CONFIRMED"  # TENTATIVE | CONFIRMED | CANCELLED
    sequence: int = 0
    last_modified: datetime | None = None
    transparent: bool = False  # idle windows are TRANSPARENT (free), bookings OPAQUE

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}: {self.status!r}")
        if self.sequence < 0:
            raise ValueError(f"sequence must not be negative: {self.sequence}")
        if not self.uid:
            raise ValueError("uid must not be empty")
        if self.last_modified is not None:
            object.__setattr__(self, "last_modified", to_utc(self.last_modified))


def build_calendar(
    events: Iterable[CalendarEvent],
    *,
    name: str,
    tz: ZoneInfo,
    now: datetime,
    product_id: str = DEFAULT_PRODUCT_ID,
) -> bytes:
    """A PUBLISH feed: events in local time of `tz` with its VTIMEZONE; same input, same bytes.

    Events are sorted by (start, end, uid). An event touching the second pass of the repeated
    hour of a fall-back night is written in UTC (see `FeedWriter._times`).
    """
    writer = FeedWriter(name=name, tz=tz, now=now, product_id=product_id)
    return writer.calendar(
        writer.event(
            epoch_microseconds(event.interval.start),
            epoch_microseconds(event.interval.end),
            event.uid,
            sequence=event.sequence,
            status=event.status,
            last_modified=(
                None if event.last_modified is None else epoch_microseconds(event.last_modified)
            ),
            details=writer.details(
                event.summary, event.description, event.location, transparent=event.transparent
            ),
        )
        for event in events
    )


class FeedWriter:
    """Writes one feed from plain values, for feeds of thousands of events.

    Instants are whole microseconds since 1970 in UTC (`epoch_microseconds`; the feeds' queries
    have the database compute them), so no datetime is built per row. What is the same for every
    event is written once: the DTSTAMP line, the DTSTART/DTEND prefixes, and the lines from
    SUMMARY to END:VEVENT (`details`), which callers keep per distinct text, so escaping and
    folding run once per text rather than once per event. The output is byte for byte that of
    the line-by-line writer this replaced (tests/domain/test_feed_writer.py keeps it as the
    oracle).
    """

    def __init__(
        self, *, name: str, tz: ZoneInfo, now: datetime, product_id: str = DEFAULT_PRODUCT_ID
    ) -> None:
        if not tz.key:
            raise ValueError("the time zone needs an IANA key to be named in TZID")
        self._tz = tz
        self._now = to_utc(now)
        self._header = [
            "BEGIN:VCALENDAR",
            "VERSION:2.0",
            f"PRODID:{_escape(product_id)}",
            "CALSCALE:GREGORIAN",
            "METHOD:PUBLISH",
            f"X-WR-CALNAME:{_escape(name)}",
            f"X-WR-TIMEZONE:{tz.key}",
        ]
        self._stamp_line = f"DTSTAMP:{utc_text(epoch_microseconds(self._now))}\r\n"
        self._start_prefix = f"DTSTART;TZID={tz.key}:"
        self._end_prefix = f"DTEND;TZID={tz.key}:"
        # A local time is 15 ASCII octets: only a zone key of 46 octets or more makes the line
        # reach the 75 that need folding (the longest IANA key has 32).
        self._fold_times = len(self._start_prefix.encode("utf-8")) + 15 >= 75
        self._local: dict[int, tuple[str, bool]] = {}  # epoch second -> local text, 2nd pass?

    def details(
        self, summary: str, description: str = "", location: str = "", *, transparent: bool = False
    ) -> str:
        """An event's lines from SUMMARY to END:VEVENT, escaped and folded."""
        lines = [f"SUMMARY:{_escape(summary)}"]
        if description:
            lines.append(f"DESCRIPTION:{_escape(description)}")
        if location:
            lines.append(f"LOCATION:{_escape(location)}")
        lines.append("TRANSP:TRANSPARENT" if transparent else "TRANSP:OPAQUE")
        lines.append("END:VEVENT")
        return "".join(f"{_content_line(line)}\r\n" for line in lines)

    def event(
        self,
        start: int,
        end: int,
        uid: str,
        *,
        details: str,
        sequence: int = 0,
        status: str = "CONFIRMED",
        last_modified: int | None = None,
        plain_uid: bool = False,
    ) -> tuple[int, int, str, bytes]:
        """One event as its sort key (start, end, uid) and its UTF-8 text. `start`, `end` and
        `last_modified` are epoch microseconds; `details` comes from `details()`.

        `plain_uid`: the caller vouches that the uid needs neither escaping nor folding (ASCII
        letters, digits and ``-@.``, at most 70 characters, as ``booking-<id>@equipment-share``),
        so it is written as it is.
        """
        if status not in STATUSES:
            raise ValueError(f"status must be one of {sorted(STATUSES)}: {status!r}")
        if sequence < 0:
            raise ValueError(f"sequence must not be negative: {sequence}")
        if not uid:
            raise ValueError("uid must not be empty")
        if start >= end:
            raise ValueError(f"an event must start before it ends: {start} >= {end}")
        uid_line = f"UID:{uid}" if plain_uid else _content_line(f"UID:{_escape(uid)}")
        modified = "" if last_modified is None else f"LAST-MODIFIED:{utc_text(last_modified)}\r\n"
        text = (
            f"BEGIN:VEVENT\r\n{uid_line}\r\n{self._stamp_line}{self._times(start, end)}"
            f"SEQUENCE:{sequence}\r\nSTATUS:{status}\r\n{modified}{details}"
        )
        return start, end, uid, text.encode("utf-8")  # a third of the memory of the str

    def calendar(self, events: Iterable[tuple[int, int, str, bytes]]) -> bytes:
        """The feed of these events (from `event()`), sorted by (start, end, uid)."""
        ordered = sorted(events)
        first_year, last_year = self._years_spanned(ordered)
        head = [f"{_content_line(line)}\r\n" for line in self._header]
        head.append(f"{_vtimezone(self._tz.key, first_year, last_year)}\r\n")
        parts = ["".join(head).encode("utf-8")]
        parts.extend(text for _, _, _, text in ordered)
        parts.append(b"END:VCALENDAR\r\n")
        return b"".join(parts)

    def _times(self, start: int, end: int) -> str:
        """Local times with TZID; both in UTC if either falls in the repeated hour of a fall-back.

        The second pass of that hour cannot be written as a local time (RFC 5545 reads the
        first), and writing both ends the same way keeps readers that add durations in
        wall-clock time right.
        """
        start_text, start_second_pass = self._local_text(start // MICROSECONDS)
        end_text, end_second_pass = self._local_text(end // MICROSECONDS)
        if start_second_pass or end_second_pass:
            return f"DTSTART:{utc_text(start)}\r\nDTEND:{utc_text(end)}\r\n"
        start_line = f"{self._start_prefix}{start_text}"
        end_line = f"{self._end_prefix}{end_text}"
        if self._fold_times:
            start_line, end_line = _content_line(start_line), _content_line(end_line)
        return f"{start_line}\r\n{end_line}\r\n"

    def _local_text(self, second: int) -> tuple[str, bool]:
        """An epoch second as local YYYYMMDDTHHMMSS, and whether it is in the second pass of a
        repeated hour; kept per feed, since a free interval starts where a booking ends."""
        known = self._local.get(second)
        if known is None:
            local = datetime.fromtimestamp(second, self._tz)
            offset = local.utcoffset()
            # fold=0 is never the second pass; checking it first spares two offset lookups.
            second_pass = local.fold == 1 and local.replace(fold=0).utcoffset() != offset
            known = (_clock_text(second + offset.days * 86400 + offset.seconds), second_pass)
            self._local[second] = known
        return known

    def _years_spanned(self, ordered: list[tuple[int, int, str, bytes]]) -> tuple[int, int]:
        if not ordered:
            year = self._now.astimezone(self._tz).year
            return year, year
        first = ordered[0][0] // MICROSECONDS
        last = max(end for _, end, _, _ in ordered) // MICROSECONDS
        return (
            datetime.fromtimestamp(first, self._tz).year,
            datetime.fromtimestamp(last, self._tz).year,
        )


def epoch_microseconds(instant: datetime) -> int:
    """Whole microseconds since 1970-01-01 UTC: exact, unlike timestamp()'s float."""
    return (to_utc(instant) - EPOCH) // ONE_MICROSECOND


def utc_text(epoch_us: int) -> str:
    """Epoch microseconds as an iCalendar UTC DATE-TIME (fractions dropped, as strftime does)."""
    return f"{_clock_text(epoch_us // MICROSECONDS)}Z"


def _clock_text(second: int) -> str:
    """Seconds since 1970 (of UTC, or of a local clock) as YYYYMMDDTHHMMSS."""
    day, in_day = divmod(second, 86400)
    minute, second_of_minute = divmod(in_day, 60)
    return f"{_day_text(day)}T{_HOURS_MINUTES[minute]}{_TWO_DIGITS[second_of_minute]}"


@lru_cache(maxsize=4096)
def _day_text(day: int) -> str:
    """Days since 1970-01-01 as YYYYMMDD (by strftime, as the datetimes were written)."""
    return f"{date.fromordinal(EPOCH_ORDINAL + day):%Y%m%d}"


def etag_for(body: bytes, version: str = "") -> str:
    """A strong ETag: the quoted SHA-256 of the body, and of `version` when given (the state of
    what the body is computed from, so a change there moves the ETag even if the bytes stay)."""
    digest = hashlib.sha256(body)
    if version:
        digest.update(b"\0" + version.encode("utf-8"))
    return f'"{digest.hexdigest()}"'


@dataclass(frozen=True)
class Feed:
    """A calendar as served: its bytes, when its content last changed, its file name."""

    body: bytes
    last_modified: datetime
    filename: str
    # The state of what the body is computed from, for what leaves no trace in the body's
    # timestamps: a withdrawn idle window has no row left to date the change by.
    version: str = ""

    @property
    def etag(self) -> str:
        return etag_for(self.body, self.version)


def _escape(text: str) -> str:
    """TEXT escaping of RFC 5545 section 3.3.11 (icalendar's vText is 4x slower for big feeds)."""
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _content_line(line: str) -> str:
    """Fold lines longer than 75 octets (icalendar folds between characters, never in an escape)."""
    if len(line) < 25 or len(line.encode("utf-8")) < 75:
        return line
    return Contentline(line).to_ical().decode("utf-8")


@lru_cache(maxsize=64)
def _vtimezone(key: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE for whole years, so one cached component serves many feeds.

    icalendar derives STANDARD/DAYLIGHT observances with their transitions from the zone.
    """
    component = Timezone.from_tzinfo(
        ZoneInfo(key), key, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    return component.to_ical().decode("utf-8").removesuffix("\r\n")
