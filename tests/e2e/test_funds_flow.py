"""Finance in a browser, Chinese pages: records a budget, previews pro rata with each claim's
before and after, confirms the apply dialog (a static script under the CSP) and sees the claims
scaled; locks a period after confirming."""

from datetime import date
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Claim, PeriodLock
from tests.conftest import PASSWORD, count_rows
from tests.finance_helpers import YEAR, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local

pytestmark = pytest.mark.e2e


@pytest.fixture
def claims(platform_user, sme_user, make_equipment):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    policy = make_policy()
    return [
        make_claim(
            sme_user,
            policy,
            [
                (
                    confirmed_use(platform_user, sme_user, equipment, local(date(YEAR, 3, day), 9)),
                    {"province": amount},
                )
            ],
        )
        for day, amount in ((2, "300.00"), (3, "100.00"))
    ]


def test_finance_budgets_pro_rata_and_locks_a_period(page, live_server, make_user, claims, shot):
    finance = make_user("finance", None)
    db.session.commit()
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", finance.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")

    page.click("#funds-menu > summary")  # budgets are in the header's Funds group
    page.click("#funds-nav")
    page.fill("#budget-form input[name=year]", str(YEAR))
    page.fill("#budget-form input[name=source]", "province")
    page.fill("#budget-form input[name=amount]", "200.00")
    page.click("#budget-form button[type=submit]")
    page.wait_for_selector("text=预算已保存。")
    shot(page, "budgets")

    page.click("#budget-rows a.button")
    page.wait_for_selector("#apply-form")
    assert page.inner_text("#factor") == "0.500000"
    assert "¥150.00" in page.inner_text("#prorate-claims")
    shot(page, "prorate-preview")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#apply-form button[type=submit]")
    page.wait_for_selector("text=2 项申报已按 0.500000 的比例调整至预算内。")
    shot(page, "prorate-applied")
    db.session.commit()  # end this test's read transaction, to see what the server wrote
    assert [db.session.get(Claim, claim.id).subsidy for claim in claims] == [
        Decimal("150.00"),
        Decimal("50.00"),
    ]

    page.goto(f"{live_server}/finance/period-locks")
    page.fill("#period-lock-form input[name=period_from]", f"{YEAR}-03-01")
    page.fill("#period-lock-form input[name=period_to]", f"{YEAR}-03-31")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#period-lock-form button[type=submit]")
    db.session.commit()
    assert count_rows(PeriodLock) == 0  # dismissed: nothing sent
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#period-lock-form button[type=submit]")
    page.wait_for_selector(f"#period-lock-rows >> text={YEAR}-03-31")
    shot(page, "period-locks")
    db.session.commit()
    assert count_rows(PeriodLock) == 1
