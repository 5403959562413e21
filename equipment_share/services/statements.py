"""Fee statements of an organisation for a period, for the page, the downloads and the API.

An SME's statement holds the records of its own bookings (UsageRecord.organization_id); a
platform's, the records of its instruments (UsageRecord.platform_id). The organisation's own
users, finance and the administrators see it; for anyone else it does not exist (NotFound).
"""

from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased

from equipment_share.domain.errors import NotFound
from equipment_share.domain.statements import (
    Party,
    Statement,
    StatementLine,
    build_statement,
    check_period,
)
from equipment_share.extensions import db
from equipment_share.models import (
    Equipment,
    Organization,
    OrganizationKind,
    OrganizationStatus,
    Role,
    UsageRecord,
    User,
    utcnow,
)

OPERATORS = (Role.ADMIN, Role.FINANCE)


def can_see_statement(viewer: User | None, organization: Organization) -> bool:
    if viewer is None:
        return False
    return viewer.role in OPERATORS or viewer.organization_id == organization.id


def statement_organization(viewer: User | None, organization_id: int) -> Organization:
    organization = db.session.get(Organization, organization_id)
    if organization is None or not can_see_statement(viewer, organization):
        raise NotFound()
    return organization


def statement_organizations(viewer: User) -> list[Organization]:
    """Whose statements the viewer may choose from: every approved organisation for finance
    and the administrators (platforms first), the viewer's own otherwise."""
    if viewer.role not in OPERATORS:
        return [viewer.organization] if viewer.organization is not None else []
    return list(
        db.session.scalars(
            select(Organization)
            .where(Organization.status == OrganizationStatus.APPROVED)
            .order_by(Organization.kind, Organization.name)
        )
    )


def latest_activity(organization: Organization) -> datetime | None:
    """When the organisation's latest usage record (as SME or as platform) occurred, up to now:
    the statement page opens on that period rather than on an empty month."""
    return db.session.scalar(
        select(func.max(UsageRecord.occurred_at)).where(
            or_(
                UsageRecord.organization_id == organization.id,
                UsageRecord.platform_id == organization.id,
            ),
            UsageRecord.occurred_at <= utcnow(),
        )
    )


def statement_for(
    viewer: User | None,
    organization_id: int,
    start: datetime,
    end: datetime,
    *,
    locale: str | None = None,
) -> Statement:
    """The statement of records occurring in [start, end). Names are the registered (Chinese)
    ones, or the English ones where `locale` is English and they exist."""
    organization = statement_organization(viewer, organization_id)
    period = check_period(start, end)
    party = Party.SME if organization.kind == OrganizationKind.SME else Party.PLATFORM
    lines = _lines(organization.id, party, period.start, period.end, locale)
    return build_statement(
        organization.id,
        _name(organization.name, organization.name_en, locale),
        party,
        period,
        lines,
    )


def _lines(
    organization_id: int, party: Party, start: datetime, end: datetime, locale: str | None
) -> list[StatementLine]:
    """The records with their instrument's and counterparty's names, in one query."""
    own, other = (
        (UsageRecord.organization_id, UsageRecord.platform_id)
        if party == Party.SME
        else (UsageRecord.platform_id, UsageRecord.organization_id)
    )
    counterparty = aliased(Organization)
    rows = db.session.execute(
        select(
            UsageRecord,
            Equipment.name,
            Equipment.name_en,
            counterparty.id,
            counterparty.name,
            counterparty.name_en,
        )
        .join(Equipment, Equipment.id == UsageRecord.equipment_id)
        .join(counterparty, counterparty.id == other)
        .where(own == organization_id, UsageRecord.occurred_at >= start)
        .where(UsageRecord.occurred_at < end)
        .order_by(UsageRecord.occurred_at, UsageRecord.id)
    )
    return [
        StatementLine(
            usage_id=record.id,
            booking_id=record.booking_id,
            kind=record.kind,
            status=record.status,
            occurred_at=record.occurred_at,
            actual_start=record.actual_start,
            actual_end=record.actual_end,
            billable_minutes=record.billable_minutes,
            fee=record.fee,
            equipment_id=record.equipment_id,
            equipment_name=_name(equipment_name, equipment_name_en, locale),
            counterparty_id=counterparty_id,
            counterparty_name=_name(counterparty_name, counterparty_name_en, locale),
        )
        for (
            record,
            equipment_name,
            equipment_name_en,
            counterparty_id,
            counterparty_name,
            counterparty_name_en,
        ) in rows
    ]


def _name(name: str, name_en: str, locale: str | None) -> str:
    return name_en if locale is not None and locale.startswith("en") and name_en else name
