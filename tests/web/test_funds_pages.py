"""Finance's fund pages: budgets (list, create, preview then apply pro rata with the before and
after of each claim), locked periods (list, lock), adjustments (from a usage record, list) and
platform rewards; who may see and press what; errors shown with nothing changed."""

from datetime import date
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Adjustment, Budget, Claim, PeriodLock
from equipment_share.services import budgets, period_locks
from tests.conftest import count_rows
from tests.finance_helpers import YEAR, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local
from tests.web.conftest import page_text


@pytest.fixture
def finance_user(make_user):
    return make_user("finance", None)


@pytest.fixture
def march_uses(platform_user, sme_user, make_equipment):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    return [
        confirmed_use(platform_user, sme_user, equipment, local(date(YEAR, 3, day), 9))
        for day in (2, 3)
    ]


def test_finance_records_a_budget_and_sees_it_listed(client, login, english, finance_user):
    login(finance_user)

    page = client.get("/finance/budgets")
    assert page.status_code == 200
    assert 'id="funds-nav"' in page_text(client.get("/bookings/all"))
    saved = client.post(
        "/finance/budgets",
        data={"year": str(YEAR), "source": "province", "amount": "5000.00"},
        follow_redirects=True,
    )

    assert "The budget is recorded." in page_text(saved)
    assert "province" in page_text(saved) and "¥5,000.00" in page_text(saved)
    again = client.post(
        "/finance/budgets", data={"year": str(YEAR), "source": "province", "amount": "1.00"}
    )
    assert again.status_code == 409
    assert f"There is already a budget for province in {YEAR}." in page_text(again)
    bad = client.post("/finance/budgets", data={"year": str(YEAR), "source": "", "amount": "x"})
    assert bad.status_code == 422
    assert count_rows(Budget) == 1


def test_pro_rata_is_previewed_then_applied_in_chinese(
    client, login, finance_user, sme_user, march_uses
):
    policy = make_policy()
    first = make_claim(sme_user, policy, [(march_uses[0], {"province": "300.00"})])
    second = make_claim(sme_user, policy, [(march_uses[1], {"province": "100.00"})])
    budget = budgets.create_budget(finance_user, YEAR, "province", "200.00")
    db.session.commit()
    login(finance_user)

    preview = page_text(client.get(f"/finance/budgets/{budget.id}/prorate"))
    assert 'id="apply-form"' in preview
    assert "0.500000" in preview
    assert "¥300.00" in preview and "¥150.00" in preview
    db.session.expire_all()
    assert db.session.get(Claim, first.id).subsidy == Decimal("300.00")

    applied = page_text(client.post(f"/finance/budgets/{budget.id}/prorate"))

    assert "2 项申报已按 0.500000 的比例调整至预算内。" in applied
    db.session.expire_all()
    assert db.session.get(Claim, first.id).subsidy == Decimal("150.00")
    assert db.session.get(Claim, second.id).subsidy == Decimal("50.00")
    after = page_text(client.get(f"/finance/budgets/{budget.id}/prorate"))
    assert 'id="apply-form"' not in after


def test_finance_locks_a_period_and_a_bad_one_is_refused(client, login, english, finance_user):
    login(finance_user)

    bad = client.post(
        "/finance/period-locks", data={"period_from": "2026-03-31", "period_to": "2026-03-01"}
    )
    assert bad.status_code == 422
    assert "The end of the period must not be before its start." in page_text(bad)
    assert count_rows(PeriodLock) == 0

    locked = client.post(
        "/finance/period-locks",
        data={"period_from": "2026-03-01", "period_to": "2026-03-31"},
        follow_redirects=True,
    )

    assert "The period 2026-03-01 to 2026-03-31 is locked" in page_text(locked)
    assert count_rows(PeriodLock) == 1


def test_finance_adjusts_a_record_of_a_locked_period(
    client, login, english, finance_user, march_uses
):
    record = march_uses[0]
    login(finance_user)

    form = page_text(client.get(f"/finance/adjustments?usage_id={record.id}"))
    assert "Its period is not locked" in form
    refused = client.post(
        "/finance/adjustments",
        data={"usage_id": str(record.id), "fee_delta": "-60.00", "reason": "one hour less"},
    )
    assert refused.status_code == 409
    assert "Only usage in a locked period is adjusted" in page_text(refused)

    period_locks.create_period_lock(finance_user, date(YEAR, 3, 1), date(YEAR, 3, 31))
    db.session.commit()
    saved = client.post(
        "/finance/adjustments",
        data={"usage_id": str(record.id), "fee_delta": "-60.00", "reason": "one hour less"},
        follow_redirects=True,
    )

    assert "The adjustment of -60.00 is recorded" in page_text(saved)
    assert "one hour less" in page_text(saved)
    assert count_rows(Adjustment) == 1
    form = page_text(client.get(f"/finance/adjustments?usage_id={record.id}"))
    assert "fee ¥300.00 (with adjustments so far)" in form


def test_platform_rewards_table_and_who_sees_the_pages(
    client, login, english, finance_user, platform_user, sme_user, march_uses
):
    policy = make_policy(platform_reward_rate="0.1000")
    make_claim(sme_user, policy, [(march_uses[0], {"province": "100.05"})], status="paid")
    login(finance_user)

    table = page_text(client.get(f"/finance/platform-rewards?year={YEAR}"))
    assert "¥100.05" in table and "¥10.01" in table

    login(platform_user)
    assert "¥10.01" in page_text(client.get(f"/finance/platform-rewards?year={YEAR}"))
    for path in ("/finance/budgets", "/finance/period-locks", "/finance/adjustments"):
        assert client.get(path).status_code == 403
    login(sme_user)
    assert client.get("/finance/platform-rewards").status_code == 403


def test_a_locked_record_says_so_and_finance_can_adjust_it_from_there(
    client, login, english, finance_user, platform_user, march_uses
):
    record = march_uses[0]
    login(finance_user)
    assert 'id="usage-locked"' not in page_text(client.get(f"/bookings/{record.booking_id}"))
    period_locks.create_period_lock(finance_user, date(YEAR, 3, 1), date(YEAR, 3, 31))
    db.session.commit()

    page = page_text(client.get(f"/bookings/{record.booking_id}"))

    assert "This use is in a locked period" in page
    assert f"/finance/adjustments?usage_id={record.id}" in page
    login(platform_user)
    page = page_text(client.get(f"/bookings/{record.booking_id}"))
    assert "This use is in a locked period" in page
    assert 'id="adjust-link"' not in page


def test_the_audit_log_names_finance_actions_in_words(client, login, finance_user):
    period_locks.create_period_lock(finance_user, date(YEAR, 3, 1), date(YEAR, 3, 31))
    budgets.create_budget(finance_user, YEAR, "province", "100.00")
    db.session.commit()
    login(finance_user)

    log = page_text(client.get("/audit"))

    assert "锁定期间" in log and "已锁定" in log
    assert "预算" in log
