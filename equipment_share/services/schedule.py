"""The schedule across instruments from the database: the rows (instruments the viewer may see,
of a platform or a category), then every row's idle windows, bookings, production runs and
maintenance in one statement each, whatever the number of rows; the rules that turn them into
bars are in `domain/schedule.py`."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, func, literal, or_, select, union_all

from equipment_share.domain.availability import merge_spans
from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.domain.schedule import (
    Axis,
    BarKind,
    Block,
    Instrument,
    Row,
    Sight,
    Span,
    axis_for,
    block_minutes,
    build_row,
    idle_minutes,
)
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    IdleWindow,
    IdleWindowKind,
    MaintenanceBlock,
    Organization,
    OrganizationStatus,
    ProductionRun,
    User,
    utcnow,
)
from equipment_share.services.access import is_own_enterprise, sees_whose_time
from equipment_share.services.availability import weekly_rule
from equipment_share.services.equipment import catalogue_query

# Rows per page: the goal is a 1,000-row day in at most 300 ms (benchmarks/bench_schedule.py).
ROWS_PER_PAGE = 1000
# Longer id lists are written into the SQL as literals (see services/availability.py).
MAX_BOUND_IDS = 100


@dataclass(frozen=True)
class Schedule:
    axis: Axis
    rows: list[Row]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def schedule(
    viewer: User | None,
    *,
    day: date,
    span: Span,
    tz: ZoneInfo,
    platform_id: int | None = None,
    category: str | None = None,
    page: int = 1,
    per_page: int = ROWS_PER_PAGE,
    now: datetime | None = None,
) -> Schedule:
    """The instruments the viewer may see (as in the catalogue), filtered, in catalogue order,
    each with its bars for the day or week containing `day`, in the zone `tz`."""
    now = now or utcnow()
    axis = axis_for(day, span, tz)
    rows_query = catalogue_query(viewer, category=category, platform_id=platform_id)
    total = db.session.scalar(select(func.count()).select_from(rows_query.subquery()))
    page = max(1, min(page, max(1, -(-total // per_page))))
    instruments = _instruments(rows_query.limit(per_page).offset((page - 1) * per_page))
    ids = [instrument.id for instrument in instruments]
    windows = _idle_windows(ids, axis)
    blocks = _blocks(ids, axis)
    patterns: dict = {}
    rows = [
        build_row(
            axis,
            instrument,
            idle=_idle(windows.get(instrument.id, ()), instrument, axis, patterns),
            blocks=blocks.get(instrument.id, []),
            sight=_sight(viewer, instrument),
            now=now,
        )
        for instrument in instruments
    ]
    return Schedule(axis, rows, total, page, per_page)


def _sight(viewer: User | None, instrument: Instrument) -> Sight:
    """What the viewer may know of a row's busy time, by the week view's rules in access.py:
    its own enterprise's bookings (an SME's), and who booked and why (`sees_whose_time` reads
    only the instrument's platform_id, which a row has)."""
    organization_id = viewer.organization_id if viewer is not None else None
    own = organization_id if is_own_enterprise(viewer, organization_id) else None
    return Sight(own_organization_id=own, sees_who=sees_whose_time(viewer, instrument))


def _ids(ids: list[int]):
    return bindparam("ids", ids, expanding=True, literal_execute=len(ids) > MAX_BOUND_IDS)


def _instruments(query) -> list[Instrument]:
    columns = query.with_only_columns(
        Equipment.id,
        Equipment.name,
        Equipment.name_en,
        Equipment.platform_id,
        Organization.name,
        Organization.name_en,
        Equipment.timezone,
        Equipment.slot_minutes,
        Equipment.min_booking_minutes,
        Equipment.lead_time_hours,
        Equipment.horizon_days,
        Equipment.active & (Organization.status == OrganizationStatus.APPROVED),
        maintain_column_froms=True,
    )
    return [Instrument(*row[:11], active=bool(row[11])) for row in db.session.execute(columns)]


def _idle_windows(ids: list[int], axis: Axis) -> dict[int, list]:
    """The idle windows that can reach into the axis, per instrument, in one statement. A weekly
    rule's validity dates are local to the instrument: a day's margin on each side covers every
    zone (and the overnight occurrence that starts the day before)."""
    if not ids:
        return {}
    window = axis.window
    first = axis.first_day - timedelta(days=2)
    last = axis.days[-1] + timedelta(days=1)
    statement = select(
        IdleWindow.equipment_id,
        IdleWindow.kind,
        IdleWindow.weekdays,
        IdleWindow.start_time,
        IdleWindow.end_time,
        IdleWindow.valid_from,
        IdleWindow.valid_to,
        IdleWindow.start_at,
        IdleWindow.end_at,
    ).where(
        IdleWindow.equipment_id.in_(_ids(ids)),
        or_(
            and_(
                IdleWindow.kind == IdleWindowKind.WEEKLY,
                or_(IdleWindow.valid_from.is_(None), IdleWindow.valid_from <= last),
                or_(IdleWindow.valid_to.is_(None), IdleWindow.valid_to >= first),
            ),
            and_(
                IdleWindow.kind == IdleWindowKind.ONCE,
                IdleWindow.start_at < window.end,
                IdleWindow.end_at > window.start,
            ),
        ),
    )
    windows: dict[int, list] = defaultdict(list)
    for row in db.session.execute(statement):
        windows[row[0]].append(row)
    return windows


def _idle(rows, instrument: Instrument, axis: Axis, patterns: dict) -> list[tuple[int, int]]:
    """The instrument's idle time on the axis. Most instruments share a few weekly patterns, so
    each pattern (rules and zone) is expanded once per page, in `patterns`."""
    weekly = tuple(row[2:7] for row in rows if row[1] == IdleWindowKind.WEEKLY)
    once = [(row[7], row[8]) for row in rows if row[1] == IdleWindowKind.ONCE]
    tz = ZoneInfo(instrument.timezone)
    key = (instrument.timezone, weekly)
    spans = patterns.get(key)
    if spans is None:
        rules = [weekly_rule(row) for row in rows if row.kind == IdleWindowKind.WEEKLY]
        spans = patterns[key] = idle_minutes(axis, rules, [], tz) if rules else []
    if once:
        spans = merge_spans(
            [*spans, *idle_minutes(axis, [], once, tz)], 0, axis.columns * axis.column_minutes
        )
    return spans


def _blocks(ids: list[int], axis: Axis) -> dict[int, list[Block]]:
    """Active bookings (with their enterprise), production runs and maintenance overlapping the
    axis, per instrument: one statement for bookings, one for the platform's closures."""
    window = axis.window
    blocks: dict[int, list[Block]] = defaultdict(list)
    if not ids:
        return blocks
    bookings = (
        select(
            Booking.equipment_id,
            Booking.start_at,
            Booking.end_at,
            Booking.id,
            Booking.status,
            Booking.organization_id,
            Organization.name,
        )
        .join(Organization, Organization.id == Booking.organization_id)
        .where(
            Booking.equipment_id.in_(_ids(ids)),
            Booking.status.in_(ACTIVE_STATUSES),
            Booking.start_at < window.end,
            Booking.end_at > window.start,
        )
    )
    for equipment_id, start, end, booking_id, status, organization_id, name in db.session.execute(
        bookings
    ):
        blocks[equipment_id].append(
            Block(
                *block_minutes(axis, start, end),
                BarKind.BOOKED,
                booking_id=booking_id,
                status=str(status),
                organization_id=organization_id,
                organization_name=name,
            )
        )
    in_rows = _ids(ids)
    closures = union_all(
        *(
            select(table.equipment_id, table.start_at, table.end_at, literal(kind.value)).where(
                table.equipment_id.in_(in_rows),
                table.start_at < window.end,
                table.end_at > window.start,
            )
            for table, kind in (
                (ProductionRun, BarKind.PRODUCTION),
                (MaintenanceBlock, BarKind.MAINTENANCE),
            )
        )
    )
    for equipment_id, start, end, kind in db.session.execute(closures):
        blocks[equipment_id].append(Block(*block_minutes(axis, start, end), BarKind(kind)))
    return blocks
