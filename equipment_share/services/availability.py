"""Availability from the database: idle windows minus production, maintenance and bookings."""

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import bindparam, select, union_all
from sqlalchemy.orm import selectinload

from equipment_share.domain.availability import (
    Availability,
    Interval,
    compute_availability,
)
from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, MaintenanceBlock, ProductionRun
from equipment_share.services.equipment import equipment_idle_time

BLOCKING_TABLES = (ProductionRun, MaintenanceBlock, Booking)
# Longer id lists are written into the SQL as literals: one bound parameter per id and table
# costs more to send than it saves, and SQLite limits the number of parameters.
MAX_BOUND_IDS = 100


def _blocks_query(table, equipment_ids, window: Interval):
    query = select(table.equipment_id, table.start_at, table.end_at).where(
        table.equipment_id.in_(equipment_ids),
        table.start_at < window.end,
        table.end_at > window.start,
    )
    if table is Booking:
        query = query.where(Booking.status.in_(ACTIVE_STATUSES))
    return query


def blocks_by_equipment(
    equipment_ids: Iterable[int], window: Interval, tables=BLOCKING_TABLES
) -> dict[int, list[Interval]]:
    """Busy intervals overlapping the window, per instrument, in one statement (UNION ALL)."""
    equipment_ids = list(equipment_ids)
    ids = bindparam(
        "equipment_ids",
        equipment_ids,
        expanding=True,
        literal_execute=len(equipment_ids) > MAX_BOUND_IDS,
    )
    queries = [_blocks_query(table, ids, window) for table in tables]
    statement = queries[0] if len(queries) == 1 else union_all(*queries)
    blocks: dict[int, list[Interval]] = defaultdict(list)
    for equipment_id, start, end in db.session.execute(statement):
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
