"""Policies and claims written straight into the tables, for the finance tests (budgets, pro
rata, adjustments, platform rewards): the claims service's own rules are not under test there."""

from collections.abc import Mapping, Sequence
from datetime import date
from decimal import Decimal

from equipment_share.domain.subsidy_states import ClaimLineKind, ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Claim,
    ClaimLine,
    ClaimLineSource,
    ClaimSource,
    FundingSource,
    SubsidyPolicy,
    UsageRecord,
    User,
)

YEAR = 2026


def make_policy(
    sources: Sequence[tuple[str, str]] = (("province", "0.3000"), ("city", "0.1000")),
    platform_reward_rate: str | None = None,
    **values,
) -> SubsidyPolicy:
    policy = SubsidyPolicy(
        name=values.pop("name", "SME innovation voucher"),
        valid_from=date(YEAR, 1, 1),
        valid_to=date(YEAR, 12, 31),
        platform_reward_rate=None
        if platform_reward_rate is None
        else Decimal(platform_reward_rate),
        sources=[
            FundingSource(
                position=position, name=name, rate=Decimal(rate), annual_cap=Decimal("200000.00")
            )
            for position, (name, rate) in enumerate(sources)
        ],
        **values,
    )
    db.session.add(policy)
    db.session.flush()
    policy.family_id = policy.id
    db.session.commit()
    return policy


def make_claim(
    sme_user: User,
    policy: SubsidyPolicy,
    lines: Sequence[tuple[UsageRecord, Mapping[str, str]]],
    status: ClaimStatus = ClaimStatus.APPROVED,
    year: int = YEAR,
) -> Claim:
    """A claim whose lines take these amounts from the policy's sources (by name)."""
    sources = {source.name: source for source in policy.sources}
    claim = Claim(
        organization_id=sme_user.organization_id,
        policy_id=policy.id,
        status=status,
        period_from=date(year, 1, 1),
        period_to=date(year, 12, 31),
        year=year,
        created_by_id=sme_user.id,
    )
    for position, (record, amounts) in enumerate(lines):
        parts = [
            ClaimLineSource(source=sources[name], subsidy=Decimal(amount))
            for name, amount in amounts.items()
        ]
        claim.lines.append(
            ClaimLine(
                position=position,
                kind=ClaimLineKind.USAGE,
                usage_id=record.id,
                platform_id=record.platform_id,
                fee=record.fee,
                eligible_fee=record.fee,
                subsidy=sum((part.subsidy for part in parts), Decimal("0.00")),
                sources=parts,
            )
        )
    claim.sources = [
        ClaimSource(
            source=source,
            position=source.position,
            subsidy=sum(
                (
                    part.subsidy
                    for line in claim.lines
                    for part in line.sources
                    if part.source is source
                ),
                Decimal("0.00"),
            ),
        )
        for source in policy.sources
    ]
    claim.subsidy = sum((source.subsidy for source in claim.sources), Decimal("0.00"))
    claim.total_fee = claim.eligible_fee = sum((line.fee for line in claim.lines), Decimal("0"))
    db.session.add(claim)
    db.session.commit()
    return claim


def line_subsidies(claim: Claim, source: str) -> list[Decimal]:
    return [
        part.subsidy for line in claim.lines for part in line.sources if part.source.name == source
    ]
