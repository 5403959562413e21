"""Whose time is whose on the week view, in a real browser and in both languages: the SME sees
its own booking as its own with its status and another enterprise's only as busy (never its
name); the platform sees which enterprise booked and why time is busy."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import MaintenanceBlock
from equipment_share.services import bookings
from tests.clock import local, next_weekday
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
TUESDAY = next_weekday(1)
WORDS = {
    "zh_CN": {
        "mine": "本企业预约",
        "busy": "占用",
        "booking": "预约",
        "maintenance": "维护",
        "pending": "待审核",
    },
    "en": {
        "mine": "your booking",
        "busy": "busy",
        "booking": "booking",
        "maintenance": "maintenance",
        "pending": "pending approval",
    },
}


@pytest.fixture
def week(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭平台")
    equipment = make_equipment(platform, name="氧弹量热仪", lead_time_hours=0)
    ours, theirs = make_org("sme", name="华晟煤化科技"), make_org("sme", name="恒达精密铸造")
    sme, other = make_user("sme", ours), make_user("sme", theirs)
    bookings.create_booking(sme, equipment.id, local(TUESDAY, 10), local(TUESDAY, 11), "R&D")
    bookings.create_booking(other, equipment.id, local(TUESDAY, 13), local(TUESDAY, 14), "R&D")
    db.session.add(
        MaintenanceBlock(
            equipment_id=equipment.id,
            start_at=local(TUESDAY, 15),
            end_at=local(TUESDAY, 16),
            reason="年度校准",
        )
    )
    db.session.commit()
    return {"equipment": equipment, "sme": sme, "platform": make_user("platform", platform)}


def open_week(browser, live_server, user, equipment, language):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 1000})
    context.add_cookies([{"name": "language", "value": language, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")
    page.goto(f"{live_server}/equipment/{equipment.id}/week?start={TUESDAY}")
    return context, page


def block_at(page, time_range):
    return page.locator(".wk.busy", has=page.locator(".wk-time", has_text=time_range))


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_sme_sees_its_own_booking_and_only_busy_time_of_others(
    browser, live_server, week, language, shot
):
    words = WORDS[language]
    context, page = open_week(browser, live_server, week["sme"], week["equipment"], language)
    try:
        shot(page, "week")
        mine = block_at(page, "10:00–11:00")
        assert "mine" in mine.get_attribute("class")
        assert mine.locator(".wk-what").inner_text() == words["mine"]
        assert mine.locator(".badge-pending").inner_text() == words["pending"]
        assert mine.locator("a").count() == 1  # to the booking's page
        for time_range in ("13:00–14:00", "15:00–16:00"):
            other = block_at(page, time_range)
            assert other.locator(".wk-what").inner_text() == words["busy"]
            assert other.locator("a, .badge").count() == 0
        text = page.locator("main").inner_text()
        assert "恒达" not in text
        assert "年度校准" not in text
    finally:
        context.close()


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_platform_sees_who_booked_and_why_time_is_busy(
    browser, live_server, week, language, shot
):
    words = WORDS[language]
    context, page = open_week(browser, live_server, week["platform"], week["equipment"], language)
    try:
        shot(page, "week")
        ours = block_at(page, "10:00–11:00")
        assert ours.locator(".wk-what").inner_text() == words["booking"]
        assert ours.locator(".wk-who").inner_text() == "华晟煤化科技"
        assert block_at(page, "13:00–14:00").locator(".wk-who").inner_text() == "恒达精密铸造"
        maintenance = block_at(page, "15:00–16:00")
        assert maintenance.locator(".wk-what").inner_text() == words["maintenance"]
        assert "maintenance" in maintenance.get_attribute("class")
        ours.locator("a.wk-what").click()
        page.wait_for_url("**/bookings/*")
        assert page.locator("#booking-status .badge-pending").count() == 1
    finally:
        context.close()
