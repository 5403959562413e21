"""Platform rewards: the policy's reward rate × the subsidy of paid claims of the year on lines
of the platform's instruments, per platform and policy, rounded half-up to the fen; who sees
which platforms."""

from datetime import date

import pytest

from equipment_share.domain.subsidy_states import ClaimStatus
from tests.finance_helpers import YEAR, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local

PAID = ClaimStatus.PAID


@pytest.fixture
def world(make_org, make_user, make_equipment, sme_user):
    platforms = [make_org("platform", name=name) for name in ("A 平台", "B 平台")]
    managers = [make_user("platform", platform) for platform in platforms]
    uses = [
        confirmed_use(
            manager,
            sme_user,
            make_equipment(platform, hourly_rate=RATE, setup_fee=SETUP),
            local(date(YEAR, 3, 2 + index), 9),
        )
        for index, (platform, manager) in enumerate(zip(platforms, managers, strict=True))
    ]
    rewarding = make_policy(platform_reward_rate="0.1000")
    plain = make_policy(name="No reward")
    make_claim(sme_user, rewarding, [(uses[0], {"province": "100.05"})], status=PAID)
    make_claim(sme_user, rewarding, [(uses[1], {"province": "50.00", "city": "20.00"})], PAID)
    make_claim(sme_user, plain, [(uses[0], {"province": "30.00"})], status=PAID)
    # not paid, or another year: not counted
    make_claim(sme_user, rewarding, [(uses[0], {"province": "999.00"})])
    make_claim(sme_user, rewarding, [(uses[0], {"province": "999.00"})], PAID, year=YEAR - 1)
    return platforms, managers


def rewards(client, headers, query=f"year={YEAR}"):
    return client.get(f"/api/v1/platform-rewards?{query}", headers=headers)


def test_rewards_per_platform_and_policy(client, api_headers, make_user, world):
    platforms, _ = world

    response = rewards(client, api_headers(make_user("finance", None)))

    assert response.status_code == 200, response.get_data(as_text=True)
    items = response.get_json()["items"]
    assert [(item["platform_id"], item["subsidy_paid"], item["reward"]) for item in items] == [
        (platforms[0].id, "130.05", "10.01"),  # 10% of 100.05 is 10.005, half-up 10.01
        (platforms[1].id, "70.00", "7.00"),
    ]
    assert [(p["policy_name"], p["rate"], p["reward"]) for p in items[0]["policies"]] == [
        ("SME innovation voucher", "0.1000", "10.01"),
        ("No reward", None, "0.00"),
    ]


def test_a_platform_sees_its_own_and_an_sme_none(client, api_headers, sme_user, world):
    platforms, managers = world

    own = rewards(client, api_headers(managers[1])).get_json()["items"]
    assert [item["platform_id"] for item in own] == [platforms[1].id]
    other = rewards(client, api_headers(managers[1]), f"year={YEAR}&platform_id={platforms[0].id}")
    assert other.status_code == 403
    assert rewards(client, api_headers(sme_user)).status_code == 403


def test_a_year_without_paid_claims_has_no_rewards(client, api_headers, make_user, world):
    response = rewards(client, api_headers(make_user("admin", None)), f"year={YEAR + 1}")

    assert response.get_json()["items"] == []
