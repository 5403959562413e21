"""Platform rewards: a policy may reward the platforms whose instruments SMEs used, with
`platform_reward_rate` × the subsidy paid for that use (e.g. 10%).

- `platform_rewards(viewer, year, platform_id=None) -> list[PlatformReward]`: per platform,
  the subsidy paid in claims of the year (status paid) on lines of its instruments, and the
  reward per policy (rate × that policy's paid subsidy, rounded half-up to the fen) and in all.
  Finance and admin see every platform, a platform its own; an SME none (403).
- `platform_reward(viewer, platform_id, year) -> PlatformReward`: one platform's.
"""

from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, select, type_coerce

from equipment_share.domain.errors import Forbidden
from equipment_share.domain.subsidy import from_fen, times_rate, to_fen
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import Claim, ClaimLine, Money, Organization, Role, SubsidyPolicy, User

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class PolicyReward:
    policy_id: int
    policy_name: str
    policy_version: int
    rate: Decimal | None
    subsidy_paid: Decimal
    reward: Decimal


@dataclass(frozen=True)
class PlatformReward:
    platform_id: int
    platform_name: str
    year: int
    policies: list[PolicyReward]

    @property
    def subsidy_paid(self) -> Decimal:
        return sum((policy.subsidy_paid for policy in self.policies), ZERO)

    @property
    def reward(self) -> Decimal:
        return sum((policy.reward for policy in self.policies), ZERO)


def policy_reward(rate: Decimal | None, subsidy_paid: Decimal) -> Decimal:
    if rate is None:
        return ZERO
    return from_fen(times_rate(to_fen(subsidy_paid), rate))


def _platforms_seen_by(viewer: User | None, platform_id: int | None) -> int | None:
    """The platform to report on (None: all), or Forbidden."""
    if viewer is not None and viewer.role in (Role.FINANCE, Role.ADMIN):
        return platform_id
    if viewer is not None and viewer.role == Role.PLATFORM:
        if platform_id not in (None, viewer.organization_id):
            raise Forbidden()
        return viewer.organization_id
    raise Forbidden()


def platform_rewards(
    viewer: User | None, year: int, platform_id: int | None = None
) -> list[PlatformReward]:
    platform_id = _platforms_seen_by(viewer, platform_id)
    paid = type_coerce(func.sum(ClaimLine.subsidy), Money)
    query = (
        select(
            ClaimLine.platform_id,
            Organization.name,
            SubsidyPolicy.id,
            SubsidyPolicy.name,
            SubsidyPolicy.version,
            SubsidyPolicy.platform_reward_rate,
            paid,
        )
        .join(Claim, Claim.id == ClaimLine.claim_id)
        .join(SubsidyPolicy, SubsidyPolicy.id == Claim.policy_id)
        .join(Organization, Organization.id == ClaimLine.platform_id)
        .where(Claim.year == year, Claim.status == ClaimStatus.PAID)
        .group_by(
            ClaimLine.platform_id,
            Organization.name,
            SubsidyPolicy.id,
            SubsidyPolicy.name,
            SubsidyPolicy.version,
            SubsidyPolicy.platform_reward_rate,
        )
        .order_by(Organization.name, ClaimLine.platform_id, SubsidyPolicy.id)
    )
    if platform_id is not None:
        query = query.where(ClaimLine.platform_id == platform_id)
    rewards: dict[int, PlatformReward] = {}
    for row_platform, name, policy_id, policy_name, version, rate, subsidy in db.session.execute(
        query
    ):
        reward = rewards.setdefault(row_platform, PlatformReward(row_platform, name, year, []))
        reward.policies.append(
            PolicyReward(
                policy_id, policy_name, version, rate, subsidy, policy_reward(rate, subsidy)
            )
        )
    return list(rewards.values())


def platform_reward(viewer: User | None, platform_id: int, year: int) -> PlatformReward:
    found = platform_rewards(viewer, year, platform_id)
    if found:
        return found[0]
    platform = db.session.get(Organization, platform_id)
    return PlatformReward(platform_id, platform.name if platform else "", year, [])
