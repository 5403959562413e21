"""Idle spans: every instrument's idle time expanded and merged ahead of time, over one coverage
period, so that the cross-platform "free between … and …" search is one indexed query instead of
expanding the weekly rules of every instrument in Python (100,000 instruments at national scale).

The spans are derived data. They are rebuilt for an instrument in the same transaction as any
change to its idle windows or time zone, by a session hook, so that no writer can forget them;
and for all instruments by the daily `flask refresh-idle-spans`, which moves the coverage on.
Bookings, production runs and maintenance are not in them: they stay where they are and are
subtracted at search time through their own range indexes, so booking creation pays nothing.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, event, insert, inspect, select, text, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from equipment_share.domain.availability import Interval, WeeklyRule, idle_time
from equipment_share.extensions import db
from equipment_share.models import (
    Equipment,
    IdleSpan,
    IdleSpanCoverage,
    IdleWindow,
    IdleWindowKind,
    utcnow,
)
from equipment_share.services.availability import weekly_rule

# A quarter ahead: beyond the default booking horizon (60 days) and most instruments' own. A
# search further out expands the idle windows instead (right, but slow at national scale).
COVERAGE_DAYS = 92
REBUILD_BATCH = 500
# An arbitrary constant naming the advisory lock under which the coverage moves (PostgreSQL).
COVERAGE_LOCK = 7_340_215


def coverage(connection: Connection) -> Interval | None:
    row = connection.execute(select(IdleSpanCoverage.start_at, IdleSpanCoverage.end_at)).first()
    return Interval(row.start_at, row.end_at) if row else None


def covers(connection: Connection, window: Interval) -> bool:
    period = coverage(connection)
    return period is not None and period.contains(window)


def standard_period(now: datetime) -> Interval:
    """The coverage a refresh at `now` sets: from the start of yesterday, COVERAGE_DAYS long."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=1)
    return Interval(start, start + timedelta(days=COVERAGE_DAYS))


def refresh_all(now: datetime | None = None, *, full: bool = False) -> int:
    """Move the coverage on to `standard_period(now)`. Daily, that is an extension: each
    instrument's idle time is expanded for the days the coverage gains only, joined to the span
    that reached the old end, since the session hook keeps the rest current. The first refresh,
    one after a gap, or `full` rebuilds every instrument's spans. Returns how many spans were
    written (or extended)."""
    now = now or utcnow()
    old = coverage(db.session.connection())
    new = standard_period(now)
    extending = not full and old is not None and old.start <= new.start <= old.end <= new.end
    written = _in_batches(_extend if extending else _rebuild_batch, old, new)
    connection = db.session.connection()
    if connection.dialect.name == "postgresql":
        # Two servers' daily jobs at once: the second replaces the coverage row after the first
        # committed (else its DELETE misses the row the first inserted, and its INSERT fails).
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": COVERAGE_LOCK})
    connection.execute(delete(IdleSpanCoverage))
    connection.execute(
        insert(IdleSpanCoverage).values(id=1, start_at=new.start, end_at=new.end, refreshed_at=now)
    )
    # what is now before the coverage goes, so that the table holds the coverage only
    connection.execute(delete(IdleSpan).where(IdleSpan.end_at <= new.start))
    connection.execute(
        update(IdleSpan)
        .where(IdleSpan.start_at < new.start, IdleSpan.end_at > new.start)
        .values(start_at=new.start)
    )
    db.session.commit()
    return written


def _in_batches(work, old: Interval | None, new: Interval) -> int:
    """Every instrument in batches, each committed on its own, so that bookings of an instrument
    wait for one batch at most. Searches stay right throughout: a batch writes spans over both
    the old and the new coverage, and the coverage moves only at the end."""
    equipment_ids = db.session.scalars(select(Equipment.id).order_by(Equipment.id)).all()
    written, patterns = 0, Patterns()
    for first in range(0, len(equipment_ids), REBUILD_BATCH):
        batch = equipment_ids[first : first + REBUILD_BATCH]
        written += work(db.session.connection(), batch, old, new, patterns)
        db.session.commit()
    return written


def _rebuild_batch(connection, batch, old, new, patterns) -> int:
    return rebuild(connection, batch, _hull(old, new), patterns)


def _extend(connection: Connection, batch, old: Interval, new: Interval, patterns) -> int:
    """Spans of [old.end, new.end) for these instruments, with what the hook may have written
    beyond the old end cut off first, and a new span starting at the old end joined to the one
    ending there."""
    _lock(connection, batch)
    in_batch = IdleSpan.equipment_id.in_(batch)
    connection.execute(delete(IdleSpan).where(in_batch, IdleSpan.start_at >= old.end))
    connection.execute(
        update(IdleSpan)
        .where(in_batch, IdleSpan.start_at < old.end, IdleSpan.end_at > old.end)
        .values(end_at=old.end)
    )
    if new.end == old.end:
        return 0
    reaching_old_end = dict(
        connection.execute(
            select(IdleSpan.equipment_id, IdleSpan.id).where(in_batch, IdleSpan.end_at == old.end)
        ).all()
    )
    joined, added = [], []
    for equipment_id, span in _idle_spans(connection, batch, Interval(old.end, new.end), patterns):
        if span.start == old.end and equipment_id in reaching_old_end:
            joined.append({"span_id": reaching_old_end[equipment_id], "new_end": span.end})
        else:
            added.append({"equipment_id": equipment_id, "start_at": span.start, "end_at": span.end})
    if joined:
        connection.execute(
            update(IdleSpan)
            .where(IdleSpan.id == bindparam("span_id"))
            .values(end_at=bindparam("new_end")),
            joined,
        )
    _write(connection, added)
    return len(joined) + len(added)


def rebuild(
    connection: Connection,
    equipment_ids: Iterable[int],
    period: Interval,
    patterns: "Patterns | None" = None,
) -> int:
    """Replace the spans of these instruments with their idle time within the period, under the
    instruments' row locks (PostgreSQL), so that two rebuilds of one instrument cannot both
    insert. Returns how many spans were written."""
    equipment_ids = sorted(set(equipment_ids))
    _lock(connection, equipment_ids)
    connection.execute(delete(IdleSpan).where(IdleSpan.equipment_id.in_(equipment_ids)))
    rows = [
        {"equipment_id": equipment_id, "start_at": span.start, "end_at": span.end}
        for equipment_id, span in _idle_spans(
            connection, equipment_ids, period, patterns or Patterns()
        )
    ]
    _write(connection, rows)
    return len(rows)


def _write(connection: Connection, rows: list[dict]) -> None:
    """PostgreSQL takes the rows by COPY: the daily refresh writes millions at national scale."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(insert(IdleSpan), rows)
        return
    driver = connection.connection.driver_connection
    with (
        driver.cursor() as cursor,
        cursor.copy("COPY idle_spans (equipment_id, start_at, end_at) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row((row["equipment_id"], row["start_at"], row["end_at"]))


def _lock(connection: Connection, equipment_ids: list[int]) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(
            select(Equipment.id)
            .where(Equipment.id.in_(equipment_ids))
            .order_by(Equipment.id)
            .with_for_update()
        )


def _hull(first: Interval | None, second: Interval) -> Interval:
    if first is None:
        return second
    return Interval(min(first.start, second.start), max(first.end, second.end))


class Patterns:
    """Expansions of weekly rules already made in this refresh: most instruments share a few
    patterns ("weekdays 08:00-18:00, Shanghai"), and expanding a quarter costs milliseconds.
    Bounded, so that a catalogue of all-different rules costs time, not memory."""

    LIMIT = 2_000

    def __init__(self) -> None:
        self.expanded: dict[tuple, list[Interval]] = {}

    def idle_time(self, rules: list[WeeklyRule], one_off: list[Interval], zone: str, period):
        if one_off:  # one-off windows are an instrument's own: not worth keeping
            return idle_time(rules, one_off, ZoneInfo(zone), period)
        key = (frozenset(rules), zone, period)
        if key not in self.expanded:
            spans = idle_time(rules, (), ZoneInfo(zone), period)
            if len(self.expanded) >= self.LIMIT:
                return spans
            self.expanded[key] = spans
        return self.expanded[key]


def _idle_spans(
    connection: Connection, equipment_ids: list[int], period: Interval, patterns: Patterns
) -> Iterator[tuple[int, Interval]]:
    zones = dict(
        connection.execute(
            select(Equipment.id, Equipment.timezone).where(Equipment.id.in_(equipment_ids))
        ).all()
    )
    weekly: dict[int, list[WeeklyRule]] = defaultdict(list)
    one_off: dict[int, list[Interval]] = defaultdict(list)
    for window in connection.execute(
        select(IdleWindow.__table__).where(IdleWindow.equipment_id.in_(equipment_ids))
    ):
        if window.kind == IdleWindowKind.WEEKLY:
            weekly[window.equipment_id].append(weekly_rule(window))
        else:
            one_off[window.equipment_id].append(Interval(window.start_at, window.end_at))
    for equipment_id, zone in zones.items():
        for span in patterns.idle_time(weekly[equipment_id], one_off[equipment_id], zone, period):
            yield equipment_id, span


def _touched_equipment(session: Session) -> set[int]:
    """Instruments whose idle time this flush changed: idle windows added, edited or removed,
    or a changed time zone."""
    touched: set[int] = set()
    for instance in (*session.new, *session.dirty, *session.deleted):
        if isinstance(instance, IdleWindow):
            history = inspect(instance).attrs.equipment_id.history
            touched.update(value for value in (*history.added, *history.deleted) if value)
            if instance.equipment_id is not None:
                touched.add(instance.equipment_id)
        elif isinstance(instance, Equipment) and _zone_changed(instance, session):
            touched.add(instance.id)
    return touched


def _zone_changed(equipment: Equipment, session: Session) -> bool:
    return (
        equipment not in session.deleted
        and equipment.id is not None
        and inspect(equipment).attrs.timezone.history.has_changes()
    )


def register() -> None:
    """Keep the spans current in every session (once per process; idempotent)."""
    if not event.contains(Session, "after_flush", _rebuild_touched):
        event.listen(Session, "after_flush", _rebuild_touched)


def _rebuild_touched(session: Session, _flush_context) -> None:
    touched = _touched_equipment(session)
    if not touched:
        return
    connection = session.connection()
    period = coverage(connection)
    if period is not None:
        # beyond the coverage too, so that a refresh moving it on meanwhile misses nothing
        rebuild(connection, touched, _hull(period, standard_period(utcnow())))
