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
from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Timezone
from icalendar.parser import Contentline

from equipment_share.domain.availability import Interval, to_utc

DEFAULT_PRODUCT_ID = "-//equipment_share//EN"
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
    hour of a fall-back night is written in UTC (see `_start_and_end`).
    """
    if not tz.key:
        raise ValueError("the time zone needs an IANA key to be named in TZID")
    ordered = sorted(events, key=_event_order)
    stamp = _utc_text(to_utc(now))
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{_escape(product_id)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{_escape(name)}",
        f"X-WR-TIMEZONE:{tz.key}",
    ]
    body = [_content_line(line) for line in lines]
    first_year, last_year = _years_spanned(ordered, tz, now)
    body.append(_vtimezone(tz.key, first_year, last_year))
    for event in ordered:
        body.extend(_event_lines(event, tz, stamp))
    body.append("END:VCALENDAR\r\n")
    return "\r\n".join(body).encode("utf-8")


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


def _event_order(event: CalendarEvent):
    return (event.interval.start, event.interval.end, event.uid)


def _event_lines(event: CalendarEvent, tz: ZoneInfo, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_escape(event.uid)}",
        f"DTSTAMP:{stamp}",
        *_start_and_end(event.interval, tz),
        f"SEQUENCE:{event.sequence}",
        f"STATUS:{event.status}",
    ]
    if event.last_modified is not None:
        lines.append(f"LAST-MODIFIED:{_utc_text(event.last_modified)}")
    lines.append(f"SUMMARY:{_escape(event.summary)}")
    if event.description:
        lines.append(f"DESCRIPTION:{_escape(event.description)}")
    if event.location:
        lines.append(f"LOCATION:{_escape(event.location)}")
    lines.append("TRANSP:TRANSPARENT" if event.transparent else "TRANSP:OPAQUE")
    lines.append("END:VEVENT")
    return [_content_line(line) for line in lines]


def _start_and_end(interval: Interval, tz: ZoneInfo) -> tuple[str, str]:
    """Local times with TZID; both in UTC if either falls in the repeated hour of a fall-back.

    The second pass of that hour cannot be written as a local time (RFC 5545 reads the first),
    and writing both ends the same way keeps readers that add durations in wall-clock time right.
    """
    local_start, local_end = interval.start.astimezone(tz), interval.end.astimezone(tz)
    if _is_second_pass(local_start) or _is_second_pass(local_end):
        return f"DTSTART:{_utc_text(interval.start)}", f"DTEND:{_utc_text(interval.end)}"
    return (
        f"DTSTART;TZID={tz.key}:{local_start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tz.key}:{local_end:%Y%m%dT%H%M%S}",
    )


def _is_second_pass(local: datetime) -> bool:
    # fold=0 is never the second pass; checking it first spares two offset lookups per time.
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _utc_text(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


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


def _years_spanned(events: list[CalendarEvent], tz: ZoneInfo, now: datetime) -> tuple[int, int]:
    if not events:
        year = now.astimezone(tz).year
        return year, year
    first = min(event.interval.start for event in events).astimezone(tz).year
    last = max(event.interval.end for event in events).astimezone(tz).year
    return first, last


@lru_cache(maxsize=64)
def _vtimezone(key: str, first_year: int, last_year: int) -> str:
    """The VTIMEZONE for whole years, so one cached component serves many feeds.

    icalendar derives STANDARD/DAYLIGHT observances with their transitions from the zone.
    """
    component = Timezone.from_tzinfo(
        ZoneInfo(key), key, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    return component.to_ical().decode("utf-8").removesuffix("\r\n")
