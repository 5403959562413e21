"""The bell: a platform user sees the unread count in the header, opens the list, follows a
notice to its booking (now read), and marks the rest as read; in Chinese and in English."""

import pytest

from equipment_share.extensions import db
from equipment_share.services import bookings, notifications
from tests.clock import local, next_weekday
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e

WORDS = {
    "zh_CN": {
        "request": "华晟煤化科技 申请预约 扫描电子显微镜，时间 ",
        "open": "查看",
        "all_read": "全部标为已读",
        "none_unread": "没有未读通知。",
        "unread": "未读",
    },
    "en": {
        "request": "Huasheng Coal Chemicals requests Scanning electron microscope for ",
        "open": "View",
        "all_read": "Mark all as read",
        "none_unread": "No unread notifications.",
        "unread": "Unread",
    },
}


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_the_bell_counts_opens_and_clears(
    browser, live_server, make_org, make_user, make_equipment, language, shot
):
    words = WORDS[language]
    platform_org = make_org("platform", name="煤炭检测平台", name_en="Coal Testing Platform")
    manager = make_user("platform", platform_org, name="王主任")
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", name_en="Huasheng Coal Chemicals"))
    equipment = make_equipment(
        platform_org,
        requires_approval=True,
        name="扫描电子显微镜",
        name_en="Scanning electron microscope",
    )
    day = next_weekday(2)
    first = bookings.create_booking(sme, equipment.id, local(day, 9), local(day, 10), "煤灰")
    bookings.create_booking(sme, equipment.id, local(day, 11), local(day, 12), "煤灰")
    db.session.commit()
    notifications.expand_booking_events()  # their mail sent: the notices are written

    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": "language", "value": language, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")

    assert page.inner_text("#unread-count") == "2"
    shot(page, "bell")
    page.click("#notification-bell")
    page.wait_for_url(f"{live_server}/notifications")
    notices = page.locator(".notice-unread")
    assert notices.count() == 2
    assert words["request"] in notices.nth(1).inner_text()
    shot(page, "list")

    # the older notice (the 9:00 request) leads to its booking, and is read on the way
    notices.nth(1).get_by_role("button", name=words["open"]).click()
    page.wait_for_url(f"{live_server}/bookings/{first.id}")
    assert page.inner_text("#unread-count") == "1"

    page.click("#notification-bell")
    page.get_by_role("button", name=words["all_read"]).click()
    page.wait_for_url(f"{live_server}/notifications")
    assert page.locator("#unread-count").count() == 0
    assert page.locator(".notice-unread").count() == 0
    page.get_by_role("link", name=words["unread"]).click()
    page.get_by_text(words["none_unread"]).wait_for()
    shot(page, "all-read")
    context.close()
