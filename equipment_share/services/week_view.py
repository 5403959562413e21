"""An instrument's week as the viewer may see it: free time, and busy time with only what the
viewer may know of it (services/access.py decides), in one statement for all that blocks it."""

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, literal, null, select, union_all

from equipment_share.domain.availability import Interval, compute_availability
from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.domain.week_grid import (
    BusyKind,
    Occupancy,
    WeekGrid,
    build_week_grid,
    week_window,
)
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    MaintenanceBlock,
    Organization,
    ProductionRun,
    Role,
    User,
)
from equipment_share.services.access import is_own_enterprise, sees_whose_time
from equipment_share.services.availability import equipment_idle_time
from equipment_share.services.bookings import booking_rules


@dataclass(frozen=True)
class Taken:
    """A row of what blocks an instrument, before the viewer's rights are applied."""

    kind: BusyKind
    start: datetime
    end: datetime
    booking_id: int | None = None
    status: str | None = None
    organization_id: int | None = None
    organization_name: str | None = None


def _taken_statement():
    """Bookings (with their enterprise), maintenance and production of one instrument overlapping
    a window, as one UNION ALL; built once, run with the instrument and the window bound."""
    equipment_id, start, end = bindparam("equipment_id"), bindparam("start"), bindparam("end")

    def overlapping(table):
        return (table.equipment_id == equipment_id, table.start_at < end, table.end_at > start)

    bookings = (
        select(
            literal(BusyKind.BOOKING.value).label("kind"),
            Booking.start_at,
            Booking.end_at,
            Booking.id,
            Booking.status,
            Booking.organization_id,
            Organization.name,
        )
        .join(Organization, Organization.id == Booking.organization_id)
        .where(*overlapping(Booking), Booking.status.in_(ACTIVE_STATUSES))
    )
    others = [
        select(
            literal(kind.value).label("kind"),
            table.start_at,
            table.end_at,
            null(),
            null(),
            null(),
            null(),
        ).where(*overlapping(table))
        for kind, table in (
            (BusyKind.MAINTENANCE, MaintenanceBlock),
            (BusyKind.PRODUCTION, ProductionRun),
        )
    ]
    return union_all(bookings, *others)


TAKEN = _taken_statement()


def taken_time(equipment_id: int, window: Interval) -> list[Taken]:
    """Bookings (with their enterprise), maintenance and production overlapping the window."""
    rows = db.session.execute(
        TAKEN, {"equipment_id": equipment_id, "start": window.start, "end": window.end}
    )
    return [
        Taken(BusyKind(kind), start, end, booking_id, status and str(status), organization, name)
        for kind, start, end, booking_id, status, organization, name in rows
    ]


def occupancy_for(viewer: User | None, equipment: Equipment, taken: list[Taken]) -> list[Occupancy]:
    """What the viewer may see of each: the platform and the operators see who and why; an SME
    sees its own bookings as its own with their status; anything else is only busy."""
    whose = sees_whose_time(viewer, equipment)
    seen = []
    for row in taken:
        interval = Interval(row.start, row.end)
        if whose:
            seen.append(
                Occupancy(
                    interval,
                    row.kind,
                    status=row.status,
                    who=row.organization_name,
                    booking_id=row.booking_id,
                )
            )
        elif row.kind == BusyKind.BOOKING and is_own_enterprise(viewer, row.organization_id):
            seen.append(
                Occupancy(
                    interval,
                    BusyKind.BOOKING,
                    mine=True,
                    status=row.status,
                    booking_id=row.booking_id,
                )
            )
        else:
            seen.append(Occupancy(interval))
    return seen


def week_legend(viewer: User | None, equipment: Equipment) -> tuple[BusyKind | str, ...]:
    """The kinds of busy time the viewer's week can show, for its legend."""
    if sees_whose_time(viewer, equipment):
        return (BusyKind.BOOKING, BusyKind.MAINTENANCE, BusyKind.PRODUCTION)
    if viewer is not None and viewer.role == Role.SME:
        return (BusyKind.BUSY, "mine")
    return (BusyKind.BUSY,)


def week_grid(viewer: User | None, equipment: Equipment, monday: date, now: datetime) -> WeekGrid:
    """The week from `monday` (in the instrument's zone) as free and busy blocks for the viewer."""
    window = week_window(monday, ZoneInfo(equipment.timezone))
    idle = equipment_idle_time(equipment, window)
    taken = taken_time(equipment.id, window)
    free = compute_availability(idle, [Interval(row.start, row.end) for row in taken], window).free
    return build_week_grid(
        monday,
        booking_rules(equipment),
        idle=idle,
        free=free,
        busy=occupancy_for(viewer, equipment, taken),
        now=now,
        open_for_booking=equipment.active,
    )
