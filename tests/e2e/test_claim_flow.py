"""The subsidy loop in two browsers on a live server: the enterprise drafts a claim in the
wizard (Chinese pages), reads its lines and totals by fund, and submits it; finance (switching
to English) finds it in the queue, approves it, records the public notice and pays it."""

import pytest

from equipment_share.domain.bookings import PurposeCategory
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import Claim
from tests.e2e.test_usage_flow import sign_in
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import make_policy, use_on

pytestmark = pytest.mark.e2e


def the_claim() -> Claim:
    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    return db.session.scalar(db.select(Claim))


@pytest.fixture
def parties(make_org, make_user, make_equipment):
    finance = make_user("finance", name="王审核")
    platform = make_user("platform", make_org("platform", name="煤炭检测平台"))
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", tech_sme_certified=True))
    equipment = make_equipment(
        platform.organization, name="氧弹量热仪", hourly_rate=RATE, setup_fee=SETUP
    )
    make_policy(finance, name="吕梁市仪器共享补贴", eligible_purposes=["research"])
    use_on(platform, sme, equipment, 2)  # 360.00, research: 108.00 + 72.00
    certification = use_on(platform, sme, equipment, 3)
    certification.booking.purpose_category = PurposeCategory.CERTIFICATION
    db.session.commit()
    return finance, sme


def test_an_sme_claims_and_finance_approves_and_pays(browser, live_server, parties, shot):
    finance, sme = parties

    context, page = sign_in(browser, live_server, sme)
    page.click("#nav-claims")
    page.click("#new-claim")
    page.fill("input[name=period_from]", "2026-03-01")
    page.fill("input[name=period_to]", "2026-03-31")
    page.click("#draft-claim")
    page.wait_for_selector("#claim-lines")
    shot(page, "draft-lines")
    assert page.locator("tr.claim-line").count() == 2
    assert "该政策不覆盖此使用目的。" in page.inner_text("tr.claim-line.ineligible")
    assert page.inner_text("#claim-subsidy") == "¥180.00"
    totals = page.inner_text("#source-totals")
    assert "province" in totals and "¥108.00" in totals and "¥72.00" in totals
    page.click("#action-submit")
    page.click("#confirm-submit")
    page.wait_for_selector(".flash-success")
    assert "已提交" in page.inner_text("#claim-status")
    shot(page, "submitted")
    context.close()
    assert the_claim().status == ClaimStatus.SUBMITTED

    context, page = sign_in(browser, live_server, finance)
    page.click(".language-switch button[lang=en]")
    page.click("#funds-menu > summary")  # the queue is in the header's Funds group
    page.click("#nav-claims-queue")
    assert "Claims queue" in page.inner_text("h1")
    shot(page, "queue-en")
    page.select_option("select[name=status]", "submitted")
    page.click("#queue-filters button[type=submit]")
    page.click("#claims a")
    page.click("#action-approve")
    assert "¥180.00" in page.inner_text(".confirm-panel")
    shot(page, "approve-en")
    page.click("#confirm-approve")
    page.wait_for_selector(".flash-success")
    page.click("#action-notice")
    page.fill("input[name=notice_from]", "2026-04-10")
    page.fill("input[name=notice_to]", "2026-04-16")
    page.click("#confirm-notice")
    page.wait_for_selector("#claim-notice")
    page.click("#action-pay")
    page.fill("input[name=paid_on]", "2026-04-30")
    page.fill("input[name=payment_reference]", "LCK-2026-12")
    page.click("#confirm-pay")
    page.wait_for_selector("#claim-paid")
    assert "The payment is recorded" in page.inner_text(".flash-success")
    assert "paid" in page.inner_text("#claim-status")
    shot(page, "paid-en")
    context.close()

    claim = the_claim()
    assert claim.status == ClaimStatus.PAID
    assert claim.payment_reference == "LCK-2026-12"
