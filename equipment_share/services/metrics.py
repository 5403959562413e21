"""Sharing metrics from the database, added up in SQL (GROUP BY), for the API, the dashboards and
the annual sharing report.

A usage record counts in the period its `occurred_at` falls in and only once it has a fee (not
in progress), exactly as on statements, so revenue here and statement totals agree to the fen.
A booking counts in the period its start falls in. Subsidy figures come from
services/subsidy_figures.py. Who sees what: a platform its own instruments, finance and the
administrators everything, an SME only its own spend (metrics of instruments: Forbidden).
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import BigInteger, Integer, and_, case, distinct, func, literal, select, type_coerce
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from equipment_share.domain.availability import Interval, subtract
from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import Forbidden
from equipment_share.domain.metrics import (
    ZERO,
    InstrumentMetrics,
    InstrumentSums,
    Month,
    Ranked,
    hours,
    instrument_metrics,
    ratio,
    top,
)
from equipment_share.domain.statements import Period, check_period
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    MaintenanceBlock,
    Money,
    Organization,
    ProductionRun,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services import subsidy_figures
from equipment_share.services.access import require_role
from equipment_share.services.availability import (
    blocks_by_equipment,
    equipment_idle_time,
    with_idle_windows,
)

OPERATORS = (Role.FINANCE, Role.ADMIN)
BOOKED_STATUSES = (BookingStatus.PENDING, BookingStatus.CONFIRMED, BookingStatus.COMPLETED)
TOP_LIMIT = 10


class minutes_between(FunctionElement):
    """Whole minutes from one instant column to another, on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True


@compiles(minutes_between, "sqlite")
def _minutes_sqlite(element, compiler, **kw):
    start, end = list(element.clauses)
    return (
        f"CAST(ROUND((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 1440) AS INTEGER)"
    )


@compiles(minutes_between, "postgresql")
def _minutes_postgresql(element, compiler, **kw):
    start, end = list(element.clauses)
    return (
        f"CAST(ROUND(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)})) / 60) AS INTEGER)"
    )


def _money_sum(expression: ColumnElement) -> ColumnElement:
    return func.coalesce(func.sum(type_coerce(expression, Money)), 0)


def _in_period(column, period: Period):
    return and_(column >= period.start, column < period.end)


def _settled_usage(period: Period):
    """Usage records of the period that have a fee: what statements list."""
    return and_(
        _in_period(UsageRecord.occurred_at, period),
        UsageRecord.status != UsageStatus.IN_PROGRESS,
    )


def _is_use():
    return UsageRecord.kind == UsageKind.USAGE


def _is_external():
    return UsageRecord.organization_id != UsageRecord.platform_id


def _usage_columns():
    use_minutes = case((_is_use(), UsageRecord.actual_minutes), else_=0)
    return (
        func.coalesce(func.sum(use_minutes), 0).label("used"),
        func.coalesce(
            func.sum(case((and_(_is_use(), _is_external()), UsageRecord.actual_minutes), else_=0)),
            0,
        ).label("shared"),
        func.count(distinct(case((_is_use(), UsageRecord.organization_id)))).label("smes"),
        _money_sum(UsageRecord.fee).label("revenue"),
        _money_sum(case((_is_external(), UsageRecord.fee), else_=literal(0))).label("external"),
    )


def _from_fen(value: int) -> Decimal:
    return (Decimal(value) / 100).quantize(Decimal("0.01"))


def _fen(value) -> Decimal:
    """A Money sum as Decimal: SQLite may hand back an integer for coalesce's 0."""
    return value if isinstance(value, Decimal) else Decimal(value or 0) / 100


# --- per instrument ---------------------------------------------------------------------------


def _visible_instruments(viewer: User, platform_id: int | None):
    require_role(viewer, Role.PLATFORM, *OPERATORS)
    query = select(Equipment).order_by(Equipment.platform_id, Equipment.id)
    if viewer.role == Role.PLATFORM:
        platform_id = viewer.organization_id
    if platform_id is not None:
        query = query.where(Equipment.platform_id == platform_id)
    return query, platform_id


def instrument_sums(
    instruments: list[Equipment], period: Period, platform_id: int | None
) -> dict[int, InstrumentSums]:
    """Every figure of each instrument: four GROUP BY statements and the idle-time expansion."""
    usage = {
        row.equipment_id: row
        for row in db.session.execute(
            select(UsageRecord.equipment_id, *_usage_columns())
            .where(_settled_usage(period), *_platform_filter(UsageRecord.platform_id, platform_id))
            .group_by(UsageRecord.equipment_id)
        )
    }
    bookings = _booking_sums(period, platform_id)
    idle = idle_minutes(instruments, period)
    subsidy = subsidy_figures.by_instrument(period.start, period.end, platform_id)
    sums = {}
    for equipment in instruments:
        used = usage.get(equipment.id)
        booked, no_shows = bookings.get(equipment.id, (0, 0))
        paid_pending = subsidy.get(equipment.id, subsidy_figures.PaidAndPending())
        sums[equipment.id] = InstrumentSums(
            equipment_id=equipment.id,
            idle_minutes=idle.get(equipment.id, 0),
            booked_minutes=booked,
            used_minutes=int(used.used) if used else 0,
            shared_minutes=int(used.shared) if used else 0,
            smes_served=used.smes if used else 0,
            revenue=_fen(used.revenue) if used else ZERO,
            external_revenue=_fen(used.external) if used else ZERO,
            subsidy_paid=paid_pending.paid,
            subsidy_pending=paid_pending.pending,
            no_shows=no_shows,
        )
    return sums


def _platform_filter(column, platform_id: int | None) -> tuple:
    return () if platform_id is None else (column == platform_id,)


def _booking_sums(period: Period, platform_id: int | None) -> dict[int, tuple[int, int]]:
    booked = case(
        (Booking.status.in_(BOOKED_STATUSES), minutes_between(Booking.start_at, Booking.end_at)),
        else_=0,
    )
    no_show = case((Booking.status == BookingStatus.NO_SHOW, 1), else_=0)
    query = (
        select(
            Booking.equipment_id,
            func.coalesce(func.sum(booked), 0),
            func.coalesce(func.sum(no_show), 0),
        )
        .where(_in_period(Booking.start_at, period))
        .group_by(Booking.equipment_id)
    )
    if platform_id is not None:
        query = query.join(Equipment, Equipment.id == Booking.equipment_id).where(
            Equipment.platform_id == platform_id
        )
    return {
        equipment_id: (int(minutes), int(count))
        for equipment_id, minutes, count in db.session.execute(query)
    }


def idle_minutes(instruments: list[Equipment], period: Period) -> dict[int, int]:
    """Published idle time in the period: idle windows minus production runs and maintenance
    (time the platform offered; bookings do not reduce it)."""
    window = Interval(period.start, period.end)
    blocks = blocks_by_equipment(
        [equipment.id for equipment in instruments],
        window,
        tables=(ProductionRun, MaintenanceBlock),
    )
    return {
        equipment.id: sum(
            interval.minutes
            for interval in subtract(equipment_idle_time(equipment, window), blocks[equipment.id])
        )
        for equipment in instruments
    }


def equipment_metrics(
    viewer: User, start: datetime, end: datetime, *, platform_id: int | None = None
) -> list[InstrumentMetrics]:
    """Each visible instrument's metrics for [start, end)."""
    period = check_period(start, end)
    query, platform_id = _visible_instruments(viewer, platform_id)
    instruments = list(db.session.scalars(with_idle_windows(query)))
    sums = instrument_sums(instruments, period, platform_id)
    return [
        instrument_metrics(sums[equipment.id], equipment.name, equipment.platform_id)
        for equipment in instruments
    ]


# --- by month ---------------------------------------------------------------------------------


def _month_bucket(column, months: list[Month]):
    """The index of the month an instant falls in: one CASE, whatever the backend's dates."""
    return case(
        *(
            (and_(column >= month.start, column < month.end), index)
            for index, month in enumerate(months)
        ),
        else_=-1,
    )


@dataclass(frozen=True)
class MonthFigures:
    month: Month
    used_hours: Decimal = ZERO
    idle_hours: Decimal = ZERO
    revenue: Decimal = ZERO
    fees: Decimal = ZERO

    @property
    def utilisation(self) -> Decimal | None:
        return ratio(self.used_hours, self.idle_hours)


def usage_by_month(
    months: list[Month], *, platform_id: int | None = None, organization_id: int | None = None
) -> dict[int, tuple[int, Decimal]]:
    """{month index: (used minutes, fees)} of settled usage, for a platform, an SME or all."""
    if not months:
        return {}
    period = Period(months[0].start, months[-1].end)
    bucket = _month_bucket(UsageRecord.occurred_at, months).label("bucket")
    query = (
        select(
            bucket,
            func.coalesce(func.sum(case((_is_use(), UsageRecord.actual_minutes), else_=0)), 0),
            _money_sum(UsageRecord.fee),
        )
        .where(_settled_usage(period))
        .group_by(bucket)
    )
    if platform_id is not None:
        query = query.where(UsageRecord.platform_id == platform_id)
    if organization_id is not None:
        query = query.where(UsageRecord.organization_id == organization_id)
    return {
        index: (int(minutes), _fen(fees))
        for index, minutes, fees in db.session.execute(query)
        if index >= 0
    }


def platform_months(platform_id: int, months: list[Month]) -> list[MonthFigures]:
    """A platform's use, idle time and revenue per month."""
    instruments = list(
        db.session.scalars(
            with_idle_windows(select(Equipment).where(Equipment.platform_id == platform_id))
        )
    )
    used = usage_by_month(months, platform_id=platform_id)
    figures = []
    for index, month in enumerate(months):
        idle = sum(idle_minutes(instruments, Period(month.start, month.end)).values())
        minutes, revenue = used.get(index, (0, ZERO))
        figures.append(
            MonthFigures(month, used_hours=hours(minutes), idle_hours=hours(idle), revenue=revenue)
        )
    return figures


# --- per SME and city-wide --------------------------------------------------------------------


@dataclass(frozen=True)
class SmeFigures:
    organization_id: int
    spend: Decimal
    used_hours: Decimal
    subsidy_received: Decimal
    subsidy_pending: Decimal


def sme_figures(viewer: User, organization_id: int, start: datetime, end: datetime) -> SmeFigures:
    """An SME's spend and subsidy in [start, end): the SME itself, finance and admin."""
    if viewer.role not in OPERATORS and viewer.organization_id != organization_id:
        raise Forbidden()
    period = check_period(start, end)
    minutes, spend = db.session.execute(
        select(
            func.coalesce(func.sum(case((_is_use(), UsageRecord.actual_minutes), else_=0)), 0),
            _money_sum(UsageRecord.fee),
        ).where(_settled_usage(period), UsageRecord.organization_id == organization_id)
    ).one()
    subsidy = subsidy_figures.by_sme(period.start, period.end, organization_id).get(
        organization_id, subsidy_figures.PaidAndPending()
    )
    return SmeFigures(
        organization_id, _fen(spend), hours(int(minutes)), subsidy.paid, subsidy.pending
    )


@dataclass(frozen=True)
class CityMetrics:
    start: datetime
    end: datetime
    fees: Decimal
    used_hours: Decimal
    records: int
    subsidy_by_status: dict[str, Decimal]
    sources: list[subsidy_figures.SourceFigures]
    top_platforms: list[Ranked] = field(default_factory=list)
    top_smes: list[Ranked] = field(default_factory=list)

    @property
    def budget(self) -> Decimal:
        return sum((source.budget for source in self.sources), ZERO)

    @property
    def budget_used(self) -> Decimal:
        return sum((source.used for source in self.sources), ZERO)


@dataclass
class _Tally:
    """An organisation's sums in fen and minutes."""

    fees: int = 0
    minutes: int = 0
    paid: int = 0
    pending: int = 0


def _tallies_by_platform_and_sme(period: Period) -> list[tuple[int, int, int, int, int]]:
    """(platform, SME, fees in fen, used minutes, records) of settled usage: one scan of the
    period, at most platforms × SMEs groups, from which the totals and both rankings follow.
    Fen stay integers here: thousands of groups pass through Python."""
    return list(
        db.session.execute(
            select(
                UsageRecord.platform_id,
                UsageRecord.organization_id,
                func.coalesce(func.sum(type_coerce(UsageRecord.fee, BigInteger)), 0),
                func.coalesce(func.sum(case((_is_use(), UsageRecord.actual_minutes), else_=0)), 0),
                func.count(),
            )
            .where(_settled_usage(period))
            .group_by(UsageRecord.platform_id, UsageRecord.organization_id)
        )
    )


def _ranked(tallies: dict[int, _Tally], limit: int | None) -> list[Ranked]:
    names = dict(
        db.session.execute(
            select(Organization.id, Organization.name).where(Organization.id.in_(list(tallies)))
        ).all()
    )
    return top(
        (
            Ranked(
                organization_id,
                names.get(organization_id, ""),
                _from_fen(tally.fees),
                hours(tally.minutes),
                _from_fen(tally.paid),
                _from_fen(tally.pending),
            )
            for organization_id, tally in tallies.items()
            if tally.fees or tally.minutes
        ),
        limit,
    )


def city_metrics(
    viewer: User, start: datetime, end: datetime, *, limit: int | None = TOP_LIMIT
) -> CityMetrics:
    """City-wide fees, subsidy by claim status and funding source, budgets, top platforms and
    SMEs for [start, end) (finance and admin), the `limit` largest by fees (None: all). Budgets
    are those of the year the period starts in.

    Two statements do the heavy work, whatever the number of records: usage grouped by
    platform and SME, and claim lines grouped by status, SME and platform."""
    require_role(viewer, *OPERATORS)
    period = check_period(start, end)
    platforms: dict[int, _Tally] = defaultdict(_Tally)
    smes: dict[int, _Tally] = defaultdict(_Tally)
    fees, minutes, records = ZERO, 0, 0
    for (
        platform_id,
        organization_id,
        group_fees,
        group_minutes,
        count,
    ) in _tallies_by_platform_and_sme(period):
        fees, minutes, records = fees + group_fees, minutes + group_minutes, records + count
        for tally in (platforms[platform_id], smes[organization_id]):
            tally.fees += group_fees
            tally.minutes += group_minutes
    by_status: dict[str, int] = defaultdict(int)
    for status, organization_id, platform_id, subsidy in subsidy_figures.by_status_sme_platform(
        period.start, period.end
    ):
        by_status[status] += subsidy
        paid = status == subsidy_figures.ClaimStatus.PAID
        for tally in (platforms[platform_id], smes[organization_id]):
            if paid:
                tally.paid += subsidy
            else:
                tally.pending += subsidy
    return CityMetrics(
        start=period.start,
        end=period.end,
        fees=_from_fen(fees),
        used_hours=hours(minutes),
        records=records,
        subsidy_by_status={
            status.value: _from_fen(by_status[status.value])
            for status in subsidy_figures.COUNTED_STATUSES
        },
        sources=subsidy_figures.by_source(_local_year(period.start)),
        top_platforms=_ranked(platforms, limit),
        top_smes=_ranked(smes, limit),
    )


def _local_year(instant: datetime) -> int:
    return instant.astimezone(ZoneInfo(current_app.config["TIMEZONE"])).year


def fees_by_month(months: list[Month]) -> list[Decimal]:
    used = usage_by_month(months)
    return [used.get(index, (0, ZERO))[1] for index in range(len(months))]
