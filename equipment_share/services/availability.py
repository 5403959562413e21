"""Availability from the database: an instrument's idle time (its idle windows, in its own time
zone) minus production, maintenance and bookings."""

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, bindparam, func, select, text, union_all
from sqlalchemy.orm import selectinload

from equipment_share.domain.availability import (
    Availability,
    Interval,
    WeeklyRule,
    compute_availability,
    idle_time,
)
from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    IdleSpan,
    IdleWindow,
    IdleWindowKind,
    MaintenanceBlock,
    ProductionRun,
)
from equipment_share.models.base import UTCDateTime
from equipment_share.models.bookings import ACTIVE_STATUS_SQL

BLOCKING_TABLES = (ProductionRun, MaintenanceBlock, Booking)
# Longer id lists are written into the SQL as literals: one bound parameter per id and table
# costs more to send than it saves, and SQLite limits the number of parameters.
MAX_BOUND_IDS = 100


def weekly_rule(window) -> WeeklyRule:
    """The rule of a weekly idle window: an IdleWindow, or a row with the same columns."""
    return WeeklyRule(
        weekdays=frozenset(int(day) for day in window.weekdays.split(",") if day != ""),
        start_time=window.start_time,
        end_time=window.end_time,
        valid_from=window.valid_from,
        valid_to=window.valid_to,
    )


def weekly_rules(equipment: Equipment, without: IdleWindow | None = None) -> list[WeeklyRule]:
    return [
        weekly_rule(window)
        for window in equipment.idle_windows
        if window.kind == IdleWindowKind.WEEKLY and window is not without
    ]


def one_off_windows(equipment: Equipment, without: IdleWindow | None = None) -> list[Interval]:
    return [
        Interval(window.start_at, window.end_at)
        for window in equipment.idle_windows
        if window.kind == IdleWindowKind.ONCE and window is not without
    ]


def equipment_idle_time(
    equipment: Equipment, window: Interval, *, without: IdleWindow | None = None
) -> list[Interval]:
    """Idle time within the window; `without` leaves one idle window out (what if it went)."""
    return idle_time(
        weekly_rules(equipment, without),
        one_off_windows(equipment, without),
        ZoneInfo(equipment.timezone),
        window,
    )


def _blocks_query(table, equipment_ids, start, end):
    query = select(table.equipment_id, table.start_at, table.end_at).where(
        table.equipment_id.in_(equipment_ids), table.start_at < end, table.end_at > start
    )
    if table is Booking:
        query = query.where(Booking.status.in_(ACTIVE_STATUSES))
    return query


@cache
def _blocks_statement(tables: tuple, literal_ids: bool):
    """Built once for each set of tables and way of sending the ids (building the statement
    cost as much as running it); run with the ids and the window bound."""
    ids = bindparam("equipment_ids", expanding=True, literal_execute=literal_ids)
    start, end = bindparam("start", type_=UTCDateTime), bindparam("end", type_=UTCDateTime)
    queries = [_blocks_query(table, ids, start, end) for table in tables]
    return queries[0] if len(queries) == 1 else union_all(*queries)


def blocks_by_equipment(
    equipment_ids: Iterable[int], window: Interval, tables=BLOCKING_TABLES
) -> dict[int, list[Interval]]:
    """Busy intervals overlapping the window, per instrument, in one statement (UNION ALL)."""
    equipment_ids = list(equipment_ids)
    statement = _blocks_statement(tuple(tables), len(equipment_ids) > MAX_BOUND_IDS)
    db.session.flush()  # as the session's own execute would: pending changes are seen
    rows = db.session.connection().execute(
        statement, {"equipment_ids": equipment_ids, "start": window.start, "end": window.end}
    )
    blocks: dict[int, list[Interval]] = defaultdict(list)
    for equipment_id, start, end in rows:
        blocks[equipment_id].append(Interval(start, end))
    return blocks


def equipment_availability(equipment: Equipment, window: Interval) -> Availability:
    idle = equipment_idle_time(equipment, window)
    blocks = blocks_by_equipment([equipment.id], window)[equipment.id]
    return compute_availability(idle, blocks, window)


def free_throughout(candidates: list[Equipment], window: Interval) -> list[Equipment]:
    """The instruments that have one bookable free interval covering the whole window."""
    blocks = blocks_by_equipment([equipment.id for equipment in candidates], window)
    return [
        equipment
        for equipment in candidates
        if any(
            interval.contains(window)
            for interval in compute_availability(
                equipment_idle_time(equipment, window), blocks[equipment.id], window
            ).free
        )
    ]


def with_idle_windows(query):
    return query.options(selectinload(Equipment.idle_windows))


def load_candidates(query) -> list[Equipment]:
    return list(db.session.scalars(with_idle_windows(query)))


def free_throughout_clauses(window: Interval, dialect: str) -> list[ColumnElement[bool]]:
    """WHERE clauses on Equipment for "one free interval covers the whole window", from the idle
    spans (valid inside their coverage only: `idle_spans.covers`), shaped for a page in catalogue
    order: a scan of the instruments in id order stops after the page, whatever the planner
    guesses of the window. Free covers the window exactly when one merged idle span contains it
    and no block overlaps it. An instrument's spans are disjoint, so the only one that can contain
    the window is its last one starting at or before the window's start: one probe of the
    (equipment_id, start_at) index per instrument, a scalar subquery that the planner cannot turn
    into a join over every span of the window. The instruments blocked in the window are found
    once per table through its range index (`NOT IN` is never turned into a join either: a
    hashed subplan). SQLite runs the same statement with plain comparisons."""
    return [covering_span_end(window) >= window.end, *not_blocked(window, dialect)]


def free_throughout_to_count(query: Select, window: Interval, dialect: str) -> Select:
    """The query's instruments that are free throughout the window, by the same rule as
    `free_throughout_clauses`, shaped for counting every one of them (the API's exact `total`)
    when other filters narrow the query: the spans containing the window found at once through
    their range index and joined to the instruments, not one probe per instrument. A join, not a
    semi-join: at most one of an instrument's disjoint spans contains the window."""
    return query.join(IdleSpan, IdleSpan.equipment_id == Equipment.id).where(
        _contains(IdleSpan, window, dialect), *not_blocked(window, dialect)
    )


def count_free_spans(window: Interval, dialect: str, closed: Select) -> Select:
    """How many instruments are free throughout the window, of all but the `closed` ones (ids):
    the unfiltered search's count, from the spans alone. Counting the spans that contain the
    window counts the instruments (one span each at most), and the few instruments closed for
    booking and those blocked in the window are left out by hashed `NOT IN` lists, so that the
    100,000 instruments themselves are never read."""
    return select(func.count()).where(
        _contains(IdleSpan, window, dialect),
        IdleSpan.equipment_id.not_in(closed),
        *not_blocked(window, dialect, IdleSpan.equipment_id),
    )


def covering_span_end(window: Interval):
    """The end of the instrument's last idle span starting at or before the window's start."""
    return (
        select(IdleSpan.end_at)
        .where(IdleSpan.equipment_id == Equipment.id, IdleSpan.start_at <= window.start)
        .order_by(IdleSpan.start_at.desc())
        .limit(1)
        .correlate(Equipment)
        .scalar_subquery()
    )


def not_blocked(
    window: Interval, dialect: str, equipment_id: ColumnElement[int] = Equipment.id
) -> list[ColumnElement[bool]]:
    """Not busy in the window: no production run, maintenance or active booking overlaps it
    (of the instrument `equipment_id` names)."""

    def blocked(table):
        if table is not Booking:
            return select(table.equipment_id).where(_overlaps(table, window, dialect))
        overlapping = (
            # tstzrange(start_at, end_at): the expression of ix_bookings_active_span alone, not
            # the exclusion constraint's, which can answer this only by reading all of itself
            func.tstzrange(Booking.start_at, Booking.end_at).op("&&")(
                _range(window.start, window.end)
            )
            if dialect == "postgresql"
            else _overlaps(Booking, window, dialect)
        )
        # the literal statuses match the partial range index's predicate, so it can be used
        return select(Booking.equipment_id).where(
            overlapping, text(f"bookings.status IN ({ACTIVE_STATUS_SQL})")
        )

    return [equipment_id.not_in(blocked(table)) for table in BLOCKING_TABLES]


def _contains(table, window: Interval, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return _range(table.start_at, table.end_at).op("@>")(_range(window.start, window.end))
    return (table.start_at <= window.start) & (table.end_at >= window.end)


def _overlaps(table, window: Interval, dialect: str) -> ColumnElement[bool]:
    if dialect == "postgresql":
        return _range(table.start_at, table.end_at).op("&&")(_range(window.start, window.end))
    return (table.start_at < window.end) & (table.end_at > window.start)


def _range(start, end):
    return func.tstzrange(start, end, "[)")
