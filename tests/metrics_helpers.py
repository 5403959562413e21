"""A hand-computed month of use for the metrics tests: March 2026 in Asia/Shanghai.

Every instrument is idle Mon–Sun 08:00–20:00 local (12 h a day, 372 h in March), the XRD less a
4-hour maintenance block (368 h). Fees: XRD 150.00/h + 60.00 setup, SEM 100.00/h, furnace 80.00/h.

| instrument | what                                              | minutes | fee    |
|------------|---------------------------------------------------|---------|--------|
| XRD        | SME A, 2 h, confirmed (03-02)                     | 120     | 360.00 |
| XRD        | SME B, 3 h, recorded (03-10)                      | 180     | 510.00 |
| XRD        | SME A, no-show charge (03-15)                     | 0       | 90.00  |
| XRD        | SME B, in progress (03-20): booked, no fee yet    | –       | –      |
| XRD        | SME A, 2 h in April: another period               | –       | –      |
| SEM        | SME A, 1 h, disputed (03-05)                      | 60      | 100.00 |
| furnace    | SME B, 2 h, confirmed (03-03), foundry platform   | 120     | 160.00 |

So XRD: booked 7 h (2 + 3 + 2 in progress; the no-show is not booked time), used 5 h, shared
5 h, 2 SMEs served, revenue 960.00, 1 no-show, utilisation 300 / 22,080 min = 0.0136.
Coal platform 1,060.00; city 1,220.00; SME A spent 550.00 (360 + 90 + 100), SME B 670.00.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pytest

from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import (
    Claim,
    ClaimLine,
    ClaimLineSource,
    ClaimSource,
    Equipment,
    FundingSource,
    MaintenanceBlock,
    SubsidyPolicy,
    User,
)
from tests.statement_helpers import (
    RATE,
    SETUP,
    confirmed_use,
    disputed_use,
    local,
    no_show_charge,
    recorded_use,
    use_in_progress,
)

MARCH_START = local(date(2026, 3, 1))
APRIL_START = local(date(2026, 4, 1))


@dataclass
class March:
    coal_user: User
    foundry_user: User
    sme_a: User
    sme_b: User
    xrd: Equipment
    sem: Equipment
    furnace: Equipment
    records: dict = field(default_factory=dict)


def seed_march(march: March) -> March:
    coal, foundry, a, b = march.coal_user, march.foundry_user, march.sme_a, march.sme_b
    db.session.add(
        MaintenanceBlock(
            equipment_id=march.xrd.id,
            start_at=local(date(2026, 3, 9), 8),
            end_at=local(date(2026, 3, 9), 12),
            reason="calibration",
        )
    )
    db.session.commit()
    march.records = {
        "xrd_a": confirmed_use(coal, a, march.xrd, local(date(2026, 3, 2), 9)),
        "xrd_b": recorded_use(coal, b, march.xrd, local(date(2026, 3, 10), 13), hours=3),
        "xrd_no_show": no_show_charge(coal, a, march.xrd, local(date(2026, 3, 15), 9)),
        "xrd_in_progress": use_in_progress(coal, b, march.xrd, local(date(2026, 3, 20), 9)),
        "xrd_april": recorded_use(coal, a, march.xrd, local(date(2026, 4, 2), 9)),
        "sem_a": disputed_use(coal, a, march.sem, local(date(2026, 3, 5), 9), hours=1),
        "furnace_b": confirmed_use(foundry, b, march.furnace, local(date(2026, 3, 3), 9)),
    }
    return march


@pytest.fixture
def march(make_org, make_user, make_equipment) -> March:
    """The month above, seeded; import this fixture into a test module to use it."""
    coal = make_org("platform", name="煤炭创新平台", name_en="Coal Platform")
    foundry = make_org("platform", name="铸造平台")
    return seed_march(
        March(
            coal_user=make_user("platform", coal),
            foundry_user=make_user("platform", foundry),
            sme_a=make_user("sme", make_org("sme", name="吕梁新材料有限公司")),
            sme_b=make_user("sme", make_org("sme", name="汾阳酒业有限公司")),
            xrd=make_equipment(coal, name="X射线衍射仪", hourly_rate=RATE, setup_fee=SETUP),
            sem=make_equipment(coal, name="扫描电镜", hourly_rate="100.00"),
            furnace=make_equipment(foundry, name="真空炉", hourly_rate="80.00"),
        )
    )


def claim(march: March, sme: User, status: str, lines: list, **values) -> Claim:
    """A claim written straight into the tables: lines are (record, {source: subsidy})."""
    policy = march_policy()
    claim = Claim(
        organization_id=sme.organization_id,
        policy_id=policy.id,
        status=ClaimStatus(status),
        period_from=date(2026, 3, 1),
        period_to=date(2026, 3, 31),
        year=2026,
        **values,
    )
    totals: dict[str, Decimal] = {}
    for position, (record, split) in enumerate(lines):
        line = ClaimLine(
            position=position,
            usage_id=record.id,
            platform_id=record.platform_id,
            fee=record.fee,
            eligible_fee=record.fee,
            subsidy=sum(split.values(), Decimal("0.00")),
        )
        for source in policy.sources:
            if source.name in split:
                line.sources.append(ClaimLineSource(source=source, subsidy=split[source.name]))
                totals[source.name] = totals.get(source.name, Decimal("0.00")) + split[source.name]
        claim.lines.append(line)
    claim.subsidy = sum(totals.values(), Decimal("0.00"))
    for position, source in enumerate(policy.sources):
        if source.name in totals:
            claim.sources.append(
                ClaimSource(source=source, position=position, subsidy=totals[source.name])
            )
    db.session.add(claim)
    db.session.commit()
    return claim


PROVINCE, CITY = "省级资金", "市级资金"


def march_policy() -> SubsidyPolicy:
    policy = db.session.scalar(db.select(SubsidyPolicy))
    if policy is None:
        policy = SubsidyPolicy(name="吕梁市科研仪器共享补贴", valid_from=date(2026, 1, 1))
        policy.sources = [
            FundingSource(
                position=0, name=PROVINCE, rate=Decimal("0.30"), annual_cap=Decimal("200000.00")
            ),
            FundingSource(
                position=1, name=CITY, rate=Decimal("0.20"), annual_cap=Decimal("100000.00")
            ),
        ]
        db.session.add(policy)
        db.session.flush()
    return policy
