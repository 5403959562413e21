"""The platform records use from its inbox; the enterprise confirms it, or disputes it and the
platform corrects it. Two browsers on a live server, Chinese pages."""

import os
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import Booking, UsageRecord, utcnow
from equipment_share.services import rate_cards
from tests.clock import SHANGHAI
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
RATE_CARD = {
    "hourly_rate": "123.45",
    "setup_fee": "20.00",
    "min_charge_minutes": 60,
    "billing_increment_minutes": 30,
    "items": [{"code": "coal", "label": "煤样", "unit_price": "35.50"}],
}


def sign_in(browser, live_server, user):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")
    return context, page


def field(moment: datetime) -> str:
    return moment.astimezone(SHANGHAI).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def parties(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭检测平台")
    equipment = make_equipment(platform, name="氧弹量热仪")
    manager = make_user("platform", platform, name="王主任")
    rate_cards.add_version(manager, equipment, RATE_CARD, None)
    db.session.commit()
    sme = make_user("sme", make_org("sme", name="华晟煤化科技有限公司"), name="张工")
    return equipment, manager, sme


def confirmed_booking(equipment, sme, start: datetime, end: datetime) -> Booking:
    """Made directly: the booking form's lead time forbids booking the present or the past."""
    version, card = rate_cards.rate_card_in_force(equipment)
    booking = Booking(
        equipment=equipment,
        organization_id=sme.organization_id,
        booked_by_id=sme.id,
        start_at=start,
        end_at=end,
        status=BookingStatus.CONFIRMED,
        purpose="煤样发热量测定",
        rate_card_id=version.id,
        hourly_rate=card.hourly_rate,
        setup_fee=card.setup_fee,
        min_charge_minutes=card.min_charge_minutes,
        billing_increment_minutes=card.billing_increment_minutes,
        estimated_fee=Decimal("143.45"),
    )
    db.session.add(booking)
    db.session.commit()
    return booking


def usage_of(booking: Booking) -> UsageRecord:
    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    return db.session.get(Booking, booking.id).usage_record


def test_platform_checks_in_and_out_and_the_enterprise_confirms(
    browser, live_server, parties, shot
):
    equipment, manager, sme = parties
    now = utcnow()
    booking = confirmed_booking(
        equipment, sme, now - timedelta(minutes=30), now + timedelta(minutes=30)
    )

    manager_context, manager_page = sign_in(browser, live_server, manager)
    manager_page.click("#inbox-link")
    manager_page.wait_for_url(f"{live_server}/bookings/inbox")
    row = manager_page.locator(f"#section-in_use #booking-{booking.id}")
    shot(manager_page, "inbox-check-in")
    row.locator(".check-in-form button").click()
    manager_page.wait_for_selector(".flash-success")
    row = manager_page.locator(f"#booking-{booking.id}")
    assert row.locator(".badge-usage-in_progress").count() == 1

    row.locator(".check-out-action summary").click()
    row.locator(".check-out-form input[name=item_0]").fill("2")
    row.locator(".check-out-form input[name=note]").fill("两个煤样")
    shot(manager_page, "check-out")
    row.locator(".check-out-form button[type=submit]").click()
    manager_page.wait_for_selector(".flash-success")
    # a minute used, billed as the 60-minute minimum: 123.45 + 20.00 setup + 2 × 35.50
    assert "¥214.45" in manager_page.locator(".flash-success").inner_text()
    manager_page.click(f"#booking-{booking.id} td:first-child a")
    assert manager_page.locator("#usage-fee").inner_text() == "¥214.45"
    assert manager_page.locator("#fee-lines .fee-line").count() == 3
    shot(manager_page, "usage-recorded")
    manager_context.close()

    sme_context, sme_page = sign_in(browser, live_server, sme)
    sme_page.click("nav.mainnav a[href='/bookings']")
    sme_page.wait_for_url(f"{live_server}/bookings")
    waiting = sme_page.locator("#section-to_confirm tr.awaiting-confirmation")
    assert waiting.count() == 1
    assert "¥214.45" in waiting.inner_text()
    shot(sme_page, "to-confirm")
    asked = []
    sme_page.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    waiting.locator(".confirm-usage-form button").click()
    sme_page.wait_for_selector(".flash-success")
    assert asked and "¥214.45" in asked[0]  # the fee is confirmed only after asking
    assert sme_page.locator("tr.awaiting-confirmation").count() == 0
    assert sme_page.locator(f"#booking-{booking.id} .badge-usage-confirmed").count() == 1
    sme_context.close()

    record = usage_of(booking)
    assert record.status == UsageStatus.CONFIRMED
    assert record.confirmed_by_id == sme.id
    assert record.fee == Decimal("214.45")
    assert record.booking.status == BookingStatus.COMPLETED


def test_the_enterprise_disputes_and_the_platform_corrects(browser, live_server, parties):
    equipment, manager, sme = parties
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=4)
    booking = confirmed_booking(equipment, sme, start, start + timedelta(hours=2))

    manager_context, manager_page = sign_in(browser, live_server, manager)
    manager_page.click("#inbox-link")
    manager_page.wait_for_url(f"{live_server}/bookings/inbox")
    manager_page.click(f"#section-in_use #booking-{booking.id} a.record-link")
    assert manager_page.input_value("input[name=actual_start]") == field(start)
    manager_page.fill("input[name=actual_end]", field(start + timedelta(minutes=100)))
    manager_page.click("#usage-form button[type=submit]")
    manager_page.wait_for_url("**/bookings/inbox*")
    # 100 minutes billed as 120: 246.90 + 20.00 setup
    assert "¥266.90" in manager_page.locator(".flash-success").inner_text()

    sme_context, sme_page = sign_in(browser, live_server, sme)
    sme_page.click("nav.mainnav a[href='/bookings']")
    sme_page.wait_for_url(f"{live_server}/bookings")
    waiting = sme_page.locator(f"#section-to_confirm #booking-{booking.id}")
    waiting.locator(".dispute-action summary").click()
    waiting.locator(".dispute-form input[name=reason]").fill("实际只用了一小时")
    waiting.locator(".dispute-form button[type=submit]").click()
    sme_page.wait_for_selector(".flash-success")
    assert sme_page.locator(f"#booking-{booking.id} .badge-usage-disputed").count() == 1

    manager_page.goto(f"{live_server}/bookings/inbox")
    manager_page.click(f"#section-disputed #booking-{booking.id} a.correct-link")
    assert manager_page.locator("#usage-reason").inner_text() == "实际只用了一小时"
    manager_page.fill("input[name=actual_end]", field(start + timedelta(hours=1)))
    manager_page.fill("input[name=reason]", "按门禁记录更正为一小时")
    manager_page.click("#usage-form button[type=submit]")
    manager_page.wait_for_selector(".flash-success")
    assert "¥143.45" in manager_page.locator(".flash-success").inner_text()
    manager_context.close()

    sme_page.goto(f"{live_server}/bookings/{booking.id}")
    assert sme_page.locator("#usage-status .badge-usage-recorded").count() == 1
    assert sme_page.locator("#usage-fee").inner_text() == "¥143.45"
    assert sme_page.locator("#usage-reason").inner_text() == "按门禁记录更正为一小时"
    assert sme_page.locator("#corrections").inner_text() == "1"
    assert sme_page.locator("#usage .confirm-usage-form").count() == 1
    if screenshot := os.environ.get("USAGE_DETAIL_SCREENSHOT"):
        sme_page.screenshot(path=screenshot, full_page=True)
    sme_context.close()

    record = usage_of(booking)
    assert (record.status, record.corrections) == (UsageStatus.RECORDED, 1)
    assert record.actual_end == start + timedelta(hours=1)
    assert record.fee == Decimal("143.45")
