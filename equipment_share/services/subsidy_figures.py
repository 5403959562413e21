"""Subsidy sums for the metrics and dashboards: the one place that reads the subsidy tables.

Paid means claims in status paid; pending means submitted or approved (reserved against the
caps, not paid yet). A claim line belongs to the period its usage record occurred in, so the
figures per instrument and per SME agree with the fees of the same period.
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import BigInteger, String, case, func, literal, select, type_coerce
from sqlalchemy.sql.expression import ColumnElement

from equipment_share.domain.metrics import ZERO, Month
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Adjustment,
    Budget,
    Claim,
    ClaimLine,
    ClaimSource,
    FundingSource,
    Money,
    UsageRecord,
)


@dataclass(frozen=True)
class PaidAndPending:
    paid: Decimal = ZERO
    pending: Decimal = ZERO


@dataclass(frozen=True)
class SourceFigures:
    source: str
    budget: Decimal = ZERO
    committed: Decimal = ZERO
    paid: Decimal = ZERO

    @property
    def used(self) -> Decimal:
        return self.committed + self.paid

    @property
    def left(self) -> Decimal:
        return self.budget - self.used


PENDING_STATUSES = (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
COUNTED_STATUSES = (*PENDING_STATUSES, ClaimStatus.PAID)


def _subsidy_sum(expression) -> ColumnElement:
    return func.coalesce(func.sum(type_coerce(expression, Money)), 0)


def _fen(value) -> Decimal:
    return value if isinstance(value, Decimal) else Decimal(value or 0) / 100


def _lines_of_usage_in(start: datetime, end: datetime):
    """Claim lines of counted claims whose usage record (an adjustment's too) occurred in
    [start, end), with their claim and record joined."""
    usage_id = func.coalesce(ClaimLine.usage_id, Adjustment.usage_id)
    return (
        select()
        .select_from(ClaimLine)
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .outerjoin(Adjustment, Adjustment.id == ClaimLine.adjustment_id)
        .join(UsageRecord, UsageRecord.id == usage_id)
        .where(
            Claim.status.in_(COUNTED_STATUSES),
            UsageRecord.occurred_at >= start,
            UsageRecord.occurred_at < end,
        )
    )


def _paid_and_pending(group_column, start, end, *conditions) -> dict:
    paid = case((Claim.status == ClaimStatus.PAID, ClaimLine.subsidy), else_=literal(0))
    pending = case((Claim.status.in_(PENDING_STATUSES), ClaimLine.subsidy), else_=literal(0))
    query = (
        _lines_of_usage_in(start, end)
        .add_columns(group_column, _subsidy_sum(paid), _subsidy_sum(pending))
        .where(*conditions)
        .group_by(group_column)
    )
    return {
        key: PaidAndPending(_fen(paid_sum), _fen(pending_sum))
        for key, paid_sum, pending_sum in db.session.execute(query)
    }


def by_instrument(start: datetime, end: datetime, platform_id: int | None) -> dict:
    """{equipment_id: PaidAndPending} for claim lines of usage in [start, end)."""
    conditions = () if platform_id is None else (UsageRecord.platform_id == platform_id,)
    return _paid_and_pending(UsageRecord.equipment_id, start, end, *conditions)


def by_sme(start: datetime, end: datetime, organization_id: int | None = None) -> dict:
    """{organization_id: PaidAndPending}."""
    conditions = () if organization_id is None else (Claim.organization_id == organization_id,)
    return _paid_and_pending(Claim.organization_id, start, end, *conditions)


def by_status_sme_platform(start: datetime, end: datetime) -> list[tuple[str, int, int, int]]:
    """(claim status, SME, platform, subsidy in fen) of claim lines of usage in [start, end):
    one statement from which the city's figures by status, SME and platform follow. Plain
    strings and integers, since thousands of groups pass through Python."""
    query = (
        _lines_of_usage_in(start, end)
        .add_columns(
            type_coerce(Claim.status, String),
            Claim.organization_id,
            ClaimLine.platform_id,
            func.coalesce(func.sum(type_coerce(ClaimLine.subsidy, BigInteger)), 0),
        )
        .group_by(Claim.status, Claim.organization_id, ClaimLine.platform_id)
    )
    return list(db.session.execute(query))


def by_source(year: int) -> list[SourceFigures]:
    """Budget, committed (submitted and approved) and paid per funding source for the year's
    claims, by the source's name (the name a budget is kept under)."""
    budgets = dict(
        db.session.execute(select(Budget.source, Budget.amount).where(Budget.year == year)).all()
    )
    committed = case((Claim.status.in_(PENDING_STATUSES), ClaimSource.subsidy), else_=literal(0))
    paid = case((Claim.status == ClaimStatus.PAID, ClaimSource.subsidy), else_=literal(0))
    claimed = {
        name: (_fen(committed_sum), _fen(paid_sum))
        for name, committed_sum, paid_sum in db.session.execute(
            select(FundingSource.name, _subsidy_sum(committed), _subsidy_sum(paid))
            .join(ClaimSource, ClaimSource.source_id == FundingSource.id)
            .join(Claim, Claim.id == ClaimSource.claim_id)
            .where(Claim.year == year, Claim.status.in_(COUNTED_STATUSES))
            .group_by(FundingSource.name)
        )
    }
    return [
        SourceFigures(name, budgets.get(name, ZERO), *claimed.get(name, (ZERO, ZERO)))
        for name in sorted(budgets.keys() | claimed.keys())
    ]


def paid_by_source_and_month(months: list[Month]) -> dict[tuple[str, str], Decimal]:
    """{(source, month label): paid} by the day claims were paid."""
    if not months:
        return {}
    bounds = [(_first_day(month.year, month.month), month.label) for month in months]
    last_year, last_month = months[-1].year, months[-1].month
    end = (
        _first_day(last_year + 1, 1) if last_month == 12 else _first_day(last_year, last_month + 1)
    )
    bucket = case(
        *(
            (Claim.paid_on < next_start, label)
            for (_, label), (next_start, _) in zip(bounds, [*bounds[1:], (end, "")], strict=True)
        ),
        else_="",
    ).label("month")
    query = (
        select(FundingSource.name, bucket, _subsidy_sum(ClaimSource.subsidy))
        .join(ClaimSource, ClaimSource.source_id == FundingSource.id)
        .join(Claim, Claim.id == ClaimSource.claim_id)
        .where(
            Claim.status == ClaimStatus.PAID,
            Claim.paid_on >= bounds[0][0],
            Claim.paid_on < end,
        )
        .group_by(FundingSource.name, bucket)
    )
    return {(name, label): _fen(total) for name, label, total in db.session.execute(query)}


def _first_day(year: int, month: int) -> date:
    return date(year, month, 1)


def claim_queue() -> int:
    """Claims waiting for finance: submitted, not decided yet."""
    return db.session.scalar(
        select(func.count()).select_from(Claim).where(Claim.status == ClaimStatus.SUBMITTED)
    )
