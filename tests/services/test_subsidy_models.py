"""The subsidy tables hold their rules in the database: exact money and rates, one invoice per
number, one live claim per usage record, one lock row per cap key and year."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy.exc import IntegrityError

from equipment_share.domain.bookings import PurposeCategory
from equipment_share.domain.subsidy_states import ClaimLineKind, ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Adjustment,
    Budget,
    CapLock,
    Claim,
    ClaimedUsage,
    ClaimLine,
    ClaimLineSource,
    ClaimSource,
    FundingSource,
    Invoice,
    SubsidyPolicy,
)
from tests.statement_helpers import RATE, SETUP, confirmed_use, local


@pytest.fixture
def policy(app):
    policy = SubsidyPolicy(
        name="Lüliang SME innovation voucher",
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        min_claim_amount=Decimal("100.00"),
        eligible_categories=None,
        eligible_purposes=["research", "product_testing"],
        platform_reward_rate=Decimal("0.1000"),
        sources=[
            FundingSource(
                position=0, name="province", rate=Decimal("0.3000"), annual_cap=Decimal("200000")
            ),
            FundingSource(
                position=1,
                name="city",
                rate=Decimal("0.1250"),
                annual_cap=Decimal("100000.00"),
                per_claim_cap=Decimal("50000.00"),
            ),
        ],
    )
    db.session.add(policy)
    db.session.flush()
    policy.family_id = policy.id
    db.session.commit()
    return policy


@pytest.fixture
def record(platform_user, sme_user, make_equipment):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    return confirmed_use(platform_user, sme_user, equipment, local(date(2026, 3, 2), 9))


def new_claim(organization_id: int, policy: SubsidyPolicy, **values) -> Claim:
    claim = Claim(
        organization_id=organization_id,
        policy_id=policy.id,
        period_from=date(2026, 3, 1),
        period_to=date(2026, 3, 31),
        year=2026,
        **values,
    )
    db.session.add(claim)
    db.session.flush()
    return claim


def test_rates_and_money_are_exact_on_the_way_back(policy):
    db.session.expire_all()
    province, city = db.session.get(SubsidyPolicy, policy.id).sources

    assert (province.rate, city.rate) == (Decimal("0.3000"), Decimal("0.1250"))
    assert city.per_claim_cap == Decimal("50000.00")
    assert province.per_claim_cap is None
    assert policy.platform_reward_rate == Decimal("0.1000")
    assert policy.eligible_purposes == ["research", "product_testing"]


def test_a_claim_with_lines_and_sources_round_trips(policy, record, sme_user):
    province, city = policy.sources
    claim = new_claim(sme_user.organization_id, policy, created_by_id=sme_user.id)
    line = ClaimLine(
        kind=ClaimLineKind.USAGE,
        usage_id=record.id,
        platform_id=record.platform_id,
        fee=Decimal("360.00"),
        eligible_fee=Decimal("360.00"),
        subsidy=Decimal("153.00"),
        sources=[
            ClaimLineSource(source=province, subsidy=Decimal("108.00")),
            ClaimLineSource(source=city, subsidy=Decimal("45.00")),
        ],
    )
    claim.sources = [
        ClaimSource(source=province, position=0, subsidy=Decimal("108.00")),
        ClaimSource(source=city, position=1, subsidy=Decimal("45.00")),
    ]
    claim.lines.append(line)
    db.session.commit()
    db.session.expire_all()

    stored = db.session.get(Claim, claim.id)
    assert stored.status == ClaimStatus.DRAFT
    assert [source.subsidy for source in stored.lines[0].sources] == [
        Decimal("108.00"),
        Decimal("45.00"),
    ]
    assert sum(source.subsidy for source in stored.sources) == stored.lines[0].subsidy


def test_a_usage_record_is_in_one_live_claim_only(policy, record, sme_user):
    first = new_claim(sme_user.organization_id, policy)
    second = new_claim(sme_user.organization_id, policy)
    db.session.add(ClaimedUsage(usage_id=record.id, claim_id=first.id))
    db.session.commit()

    db.session.add(ClaimedUsage(usage_id=record.id, claim_id=second.id))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_an_invoice_number_belongs_to_one_record(platform_user, sme_user, make_equipment, record):
    other = confirmed_use(
        platform_user,
        sme_user,
        make_equipment(platform_user.organization),
        local(date(2026, 3, 3), 9),
    )
    db.session.add(Invoice(usage_id=record.id, invoice_no="0441-2026-1", invoice_date=date.today()))
    db.session.commit()

    db.session.add(Invoice(usage_id=other.id, invoice_no="0441-2026-1", invoice_date=date.today()))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_one_budget_per_year_and_source(app):
    db.session.add(Budget(year=2026, source="city", amount=Decimal("1000000.00")))
    db.session.commit()

    db.session.add(Budget(year=2026, source="city", amount=Decimal("5.00")))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_one_cap_lock_row_per_key_and_year(app):
    db.session.add(CapLock(cap_key="org:1", year=2026))
    db.session.commit()

    db.session.add(CapLock(cap_key="org:1", year=2026))
    with pytest.raises(IntegrityError):
        db.session.commit()


def test_a_negative_adjustment_is_stored_exactly(record, sme_user):
    adjustment = Adjustment(
        usage_id=record.id,
        organization_id=sme_user.organization_id,
        fee_delta=Decimal("-120.05"),
        reason="Overcharged setup fee",
    )
    db.session.add(adjustment)
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Adjustment, adjustment.id).fee_delta == Decimal("-120.05")


def test_bookings_are_for_research_unless_told_otherwise(record):
    assert record.booking.purpose_category == PurposeCategory.RESEARCH
