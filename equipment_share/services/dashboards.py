"""What each role's landing page shows: a platform its use, revenue and pending work, an SME its
upcoming bookings, spend and subsidy, finance the fund, an administrator who is waiting.

The figures come from services/metrics.py and services/subsidy_figures.py, so the dashboards,
the metrics API and the statements agree.
"""

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus
from equipment_share.domain.metrics import ZERO, InstrumentMetrics, Month, hours, months
from equipment_share.domain.statements import check_period
from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    Equipment,
    Organization,
    OrganizationStatus,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services import metrics, subsidy_figures
from equipment_share.services.access import require_role
from equipment_share.services.booking_lists import pending_count

UPCOMING_LIMIT = 10


@dataclass(frozen=True)
class PlatformDashboard:
    months: list[metrics.MonthFigures]
    instruments: list[InstrumentMetrics]
    pending_bookings: int
    use_to_record: int
    disputed: int

    @property
    def revenue(self) -> Decimal:
        return sum((month.revenue for month in self.months), ZERO)

    @property
    def used_hours(self) -> Decimal:
        return sum((month.used_hours for month in self.months), ZERO)


def platform_dashboard(
    actor: User, start: datetime, end: datetime, zone, now: datetime
) -> PlatformDashboard:
    require_role(actor, Role.PLATFORM)
    period = check_period(start, end)
    platform_id = actor.organization_id
    return PlatformDashboard(
        months=metrics.platform_months(platform_id, months(period.start, period.end, zone)),
        instruments=metrics.equipment_metrics(actor, period.start, period.end),
        pending_bookings=pending_count(actor),
        use_to_record=_count(
            select(func.count())
            .select_from(Booking)
            .join(Equipment, Equipment.id == Booking.equipment_id)
            .where(
                Equipment.platform_id == platform_id,
                Booking.status == BookingStatus.CONFIRMED,
                Booking.end_at <= now,
            )
        ),
        disputed=_count(
            select(func.count())
            .select_from(UsageRecord)
            .where(
                UsageRecord.platform_id == platform_id,
                UsageRecord.status == UsageStatus.DISPUTED,
            )
        ),
    )


@dataclass(frozen=True)
class SmeDashboard:
    upcoming: list[Booking]
    to_confirm: int
    figures: metrics.SmeFigures
    months: list[Month]
    spend_by_month: list[Decimal]
    hours_by_month: list[Decimal]


def sme_dashboard(actor: User, start: datetime, end: datetime, zone, now: datetime) -> SmeDashboard:
    require_role(actor, Role.SME)
    period = check_period(start, end)
    organization_id = actor.organization_id
    period_months = months(period.start, period.end, zone)
    by_month = metrics.usage_by_month(period_months, organization_id=organization_id)
    return SmeDashboard(
        upcoming=list(
            db.session.scalars(
                select(Booking)
                .where(
                    Booking.organization_id == organization_id,
                    Booking.status.in_(ACTIVE_STATUSES),
                    Booking.end_at > now,
                )
                .options(selectinload(Booking.equipment))
                .order_by(Booking.start_at, Booking.id)
                .limit(UPCOMING_LIMIT)
            )
        ),
        to_confirm=_count(
            select(func.count())
            .select_from(UsageRecord)
            .where(
                UsageRecord.organization_id == organization_id,
                UsageRecord.status == UsageStatus.RECORDED,
            )
        ),
        figures=metrics.sme_figures(actor, organization_id, period.start, period.end),
        months=period_months,
        spend_by_month=[by_month.get(index, (0, ZERO))[1] for index in range(len(period_months))],
        hours_by_month=[
            hours(by_month.get(index, (0, ZERO))[0]) for index in range(len(period_months))
        ],
    )


@dataclass(frozen=True)
class FinanceDashboard:
    year: int
    months: list[Month]
    sources: list[subsidy_figures.SourceFigures]
    paid_by_source_and_month: dict[tuple[str, str], Decimal]
    fees_by_month: list[Decimal]
    claim_queue: int
    city: metrics.CityMetrics

    @property
    def budget(self) -> Decimal:
        return sum((source.budget for source in self.sources), ZERO)

    @property
    def committed(self) -> Decimal:
        return sum((source.committed for source in self.sources), ZERO)

    @property
    def paid(self) -> Decimal:
        return sum((source.paid for source in self.sources), ZERO)

    def paid_in(self, source: str) -> list[Decimal]:
        return [
            self.paid_by_source_and_month.get((source, month.label), ZERO) for month in self.months
        ]


def finance_dashboard(
    actor: User, year: int, start: datetime, end: datetime, zone
) -> FinanceDashboard:
    """The fund for the year [start, end): budget, committed and paid by source, paid and fees by
    month, the claims waiting for review, and the city's figures."""
    require_role(actor, Role.FINANCE, Role.ADMIN)
    period = check_period(start, end)
    year_months = months(period.start, period.end, zone)
    return FinanceDashboard(
        year=year,
        months=year_months,
        sources=subsidy_figures.by_source(year),
        paid_by_source_and_month=subsidy_figures.paid_by_source_and_month(year_months),
        fees_by_month=metrics.fees_by_month(year_months),
        claim_queue=subsidy_figures.claim_queue(),
        city=metrics.city_metrics(actor, period.start, period.end),
    )


@dataclass(frozen=True)
class AdminDashboard:
    organizations: list[Organization]
    users: list[User]


def admin_dashboard(actor: User) -> AdminDashboard:
    """Organisations waiting for approval, and the users who cannot sign in until then."""
    require_role(actor, Role.ADMIN)
    waiting = list(
        db.session.scalars(
            select(Organization)
            .where(Organization.status == OrganizationStatus.PENDING)
            .order_by(Organization.created_at, Organization.id)
        )
    )
    users = list(
        db.session.scalars(
            select(User)
            .join(Organization, Organization.id == User.organization_id)
            .where(Organization.status == OrganizationStatus.PENDING)
            .options(selectinload(User.organization))
            .order_by(User.created_at, User.id)
        )
    )
    return AdminDashboard(organizations=waiting, users=users)


def _count(query) -> int:
    return db.session.scalar(query) or 0
