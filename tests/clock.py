"""The test clock: the deployment's zone and the days and instants tests book in.

Tests book at least a week ahead, so an instrument's lead time and horizon never interfere, and
read and write instants the way the API does: local time with the +08:00 offset.
"""

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")


def today() -> date:
    return datetime.now(SHANGHAI).date()


def next_weekday(weekday: int) -> date:
    """That weekday (Monday = 0) at least a week from today."""
    day = today() + timedelta(days=7)
    return day + timedelta(days=(weekday - day.weekday()) % 7)


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """That wall-clock time in Shanghai, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


def at(day: date, hour: int, minute: int = 0) -> str:
    """The instant as the API writes it: local time with the +08:00 offset."""
    return local(day, hour, minute).isoformat()
