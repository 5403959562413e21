"""The feed writer as it was before FeedWriter (line by line, a datetime per instant), kept as
the oracle that the fast writer must match byte for byte (tests/domain/test_feed_writer.py and
tests/services/test_feed_rows.py). Self-contained on purpose: it shares no helper with the code
it checks."""

import re
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from icalendar import Timezone
from icalendar.parser import Contentline

from equipment_share.domain.availability import to_utc
from equipment_share.domain.calendar_export import DEFAULT_PRODUCT_ID, CalendarEvent

_NEEDS_ESCAPE = re.compile(r"[\\;,\x00-\x08\x0a-\x1f\x7f]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def build_calendar(
    events, *, name: str, tz: ZoneInfo, now: datetime, product_id: str = DEFAULT_PRODUCT_ID
) -> bytes:
    ordered = sorted(
        events, key=lambda event: (event.interval.start, event.interval.end, event.uid)
    )
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
    if ordered:
        first = min(event.interval.start for event in ordered).astimezone(tz).year
        last = max(event.interval.end for event in ordered).astimezone(tz).year
    else:
        first = last = now.astimezone(tz).year
    body.append(
        Timezone.from_tzinfo(
            ZoneInfo(tz.key), tz.key, first_date=date(first, 1, 1), last_date=date(last + 1, 1, 1)
        )
        .to_ical()
        .decode("utf-8")
        .removesuffix("\r\n")
    )
    for event in ordered:
        body.extend(_event_lines(event, tz, stamp))
    body.append("END:VCALENDAR\r\n")
    return "\r\n".join(body).encode("utf-8")


def _event_lines(event: CalendarEvent, tz: ZoneInfo, stamp: str) -> list[str]:
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_escape(event.uid)}",
        f"DTSTAMP:{stamp}",
        *_start_and_end(event, tz),
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


def _start_and_end(event: CalendarEvent, tz: ZoneInfo) -> tuple[str, str]:
    start, end = event.interval.start, event.interval.end
    local_start, local_end = start.astimezone(tz), end.astimezone(tz)
    if _is_second_pass(local_start) or _is_second_pass(local_end):
        return f"DTSTART:{_utc_text(start)}", f"DTEND:{_utc_text(end)}"
    return (
        f"DTSTART;TZID={tz.key}:{local_start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID={tz.key}:{local_end:%Y%m%dT%H%M%S}",
    )


def _is_second_pass(local: datetime) -> bool:
    return local.fold == 1 and local.replace(fold=0).utcoffset() != local.utcoffset()


def _utc_text(instant: datetime) -> str:
    return f"{instant.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def _escape(text: str) -> str:
    if not _NEEDS_ESCAPE.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _content_line(line: str) -> str:
    if len(line.encode("utf-8")) < 75:
        return line
    return Contentline(line).to_ical().decode("utf-8")
