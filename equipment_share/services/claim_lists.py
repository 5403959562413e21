"""Lists of subsidy claims for the pages and the exports: an SME's own, and finance's queue with
its filters (status, year, platform, SME), and the total of what they list. The running totals
per funding source against the year's budgets are services/subsidy_figures.by_source.

Finance and the administrators see every claim; an SME only its own organisation's; a platform
none. The queue shows claims waiting for a decision first (oldest submission first), then the
rest, latest first.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import Select, case, func, select, type_coerce
from sqlalchemy.orm import selectinload

from equipment_share.domain.subsidy_states import LIVE_STATUSES, ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Adjustment,
    Booking,
    Claim,
    ClaimLine,
    ClaimSource,
    Invoice,
    Money,
    Organization,
    Role,
    UsageRecord,
    User,
)
from equipment_share.services.access import require_role

OPERATORS = (Role.FINANCE, Role.ADMIN)


@dataclass(frozen=True)
class ClaimFilters:
    status: ClaimStatus | None = None
    year: int | None = None
    platform_id: int | None = None
    organization_id: int | None = None


def claims_query(viewer: User, filters: ClaimFilters = ClaimFilters()) -> Select:
    """The claims the viewer may see, filtered, those waiting for finance first."""
    require_role(viewer, Role.SME, *OPERATORS)
    waiting = Claim.status == ClaimStatus.SUBMITTED
    query = (
        select(Claim)
        .options(selectinload(Claim.organization), selectinload(Claim.policy))
        .order_by(
            case((waiting, 0), else_=1),
            case((waiting, Claim.submitted_at)),
            Claim.created_at.desc(),
            Claim.id.desc(),
        )
    )
    if viewer.role == Role.SME:
        query = query.where(Claim.organization_id == viewer.organization_id)
    return _filtered(query, filters)


def _filtered(query: Select, filters: ClaimFilters) -> Select:
    if filters.status is not None:
        query = query.where(Claim.status == filters.status)
    if filters.year is not None:
        query = query.where(Claim.year == filters.year)
    if filters.organization_id is not None:
        query = query.where(Claim.organization_id == filters.organization_id)
    if filters.platform_id is not None:
        used_platform = select(ClaimLine.claim_id).where(
            ClaimLine.platform_id == filters.platform_id
        )
        query = query.where(Claim.id.in_(used_platform))
    return query


def claims_for_export(viewer: User, filters: ClaimFilters) -> list[Claim]:
    """The filtered queue with each claim's sources loaded, for the XLSX."""
    require_role(viewer, *OPERATORS)
    query = claims_query(viewer, filters).options(
        selectinload(Claim.sources).selectinload(ClaimSource.source)
    )
    return list(db.session.scalars(query))


def filtered_total(viewer: User, filters: ClaimFilters) -> Decimal:
    """The subsidy the filtered claims ask of the funds: submitted, approved and paid ones
    (drafts, withdrawn and rejected claims ask for nothing)."""
    require_role(viewer, *OPERATORS)
    claim_ids = _filtered(select(Claim.id), filters).where(Claim.status.in_(LIVE_STATUSES))
    total = db.session.scalar(
        select(func.coalesce(func.sum(type_coerce(Claim.subsidy, Money)), 0)).where(
            Claim.id.in_(claim_ids)
        )
    )
    return total if isinstance(total, Decimal) else Decimal(total or 0) / 100


def claim_years(viewer: User) -> list[int]:
    """The years claims exist for, latest first, for the year filter."""
    require_role(viewer, Role.SME, *OPERATORS)
    query = select(Claim.year).distinct().order_by(Claim.year.desc())
    if viewer.role == Role.SME:
        query = query.where(Claim.organization_id == viewer.organization_id)
    return list(db.session.scalars(query))


def claimant_organizations(viewer: User) -> list[Organization]:
    """The SMEs that have claims, by name, for the SME filter."""
    require_role(viewer, *OPERATORS)
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.id.in_(select(Claim.organization_id)))
            .order_by(Organization.name)
        )
    )


def claimed_platforms(viewer: User) -> list[Organization]:
    """The platforms whose instruments claims cover, by name, for the platform filter."""
    require_role(viewer, *OPERATORS)
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.id.in_(select(ClaimLine.platform_id)))
            .order_by(Organization.name)
        )
    )


@dataclass(frozen=True)
class LineRecord:
    """What a claim line is about, for the claim's page and form: the usage record (of an
    adjustment, the record it adjusts), its instrument, platform, booking and invoice."""

    record: UsageRecord
    invoice: Invoice | None


def line_records(claim: Claim) -> dict[int, LineRecord]:
    """{usage id: LineRecord} for the claim's lines (adjustment lines by their record too)."""
    usage_ids = {line.usage_id for line in claim.lines if line.usage_id is not None}
    adjustment_ids = {line.adjustment_id for line in claim.lines if line.adjustment_id}
    if adjustment_ids:
        usage_ids |= set(
            db.session.scalars(select(Adjustment.usage_id).where(Adjustment.id.in_(adjustment_ids)))
        )
    if not usage_ids:
        return {}
    records = db.session.scalars(
        select(UsageRecord)
        .where(UsageRecord.id.in_(usage_ids))
        .options(
            selectinload(UsageRecord.booking).selectinload(Booking.equipment),
        )
    )
    invoices = {
        invoice.usage_id: invoice
        for invoice in db.session.scalars(select(Invoice).where(Invoice.usage_id.in_(usage_ids)))
    }
    return {record.id: LineRecord(record, invoices.get(record.id)) for record in records}


def adjustments_of(claim: Claim) -> dict[int, Adjustment]:
    """{adjustment id: Adjustment} of the claim's adjustment lines."""
    ids = {line.adjustment_id for line in claim.lines if line.adjustment_id}
    if not ids:
        return {}
    return {
        adjustment.id: adjustment
        for adjustment in db.session.scalars(select(Adjustment).where(Adjustment.id.in_(ids)))
    }
