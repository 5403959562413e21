"""An SME books a slot from the week view and the platform approves it, in two browsers."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.week_grid import monday_of
from equipment_share.extensions import db
from equipment_share.models import Booking
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
SHANGHAI = ZoneInfo("Asia/Shanghai")


def sign_in(browser, live_server, user, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    return context, page


def test_sme_books_from_the_week_view_and_the_platform_approves(
    browser, live_server, make_org, make_user, make_equipment
):
    platform = make_org("platform")
    equipment = make_equipment(
        platform, name="氧弹量热仪", lead_time_hours=0, min_booking_minutes=60
    )
    sme = make_user("sme")
    manager = make_user("platform", platform)
    tuesday = monday_of(datetime.now(SHANGHAI).date()) + timedelta(days=8)

    sme_context, sme_page = sign_in(browser, live_server, sme)
    sme_page.goto(f"{live_server}/equipment/{equipment.id}")
    sme_page.click("#week-link")
    sme_page.click("#next-week")
    sme_page.wait_for_url(f"**/week?start={tuesday - timedelta(days=1)}")
    assert sme_page.locator("#week-selection").is_hidden()

    # one click selects the shortest booking, a second click in the same day extends it
    sme_page.click(f"td.free[data-start='{tuesday}T10:00'] a")
    assert sme_page.locator("#week-selection").is_visible()
    assert sme_page.locator("td.selected").count() == 2
    sme_page.click(f"td.free[data-start='{tuesday}T11:00'] a")
    assert sme_page.locator("td.selected").count() == 3
    assert "10:00–11:30" in sme_page.locator(".selection-summary").inner_text()
    sme_page.click("#book-selected")

    sme_page.wait_for_url(f"**/equipment/{equipment.id}/book?*")
    assert sme_page.input_value("input[name=start]") == f"{tuesday}T10:00"
    assert sme_page.input_value("input[name=end]") == f"{tuesday}T11:30"
    sme_page.fill("textarea[name=purpose]", "煤样发热量测定")
    sme_page.click("#booking-form button[type=submit]")
    sme_page.wait_for_url("**/bookings/*")
    assert sme_page.locator("#booking-status .badge-pending").count() == 1
    booking_url = sme_page.url

    sme_page.click("nav.mainnav a[href='/bookings']")
    row = sme_page.locator("#section-upcoming tr[id^=booking-]")
    assert row.count() == 1
    assert "氧弹量热仪" in row.inner_text()

    manager_context, manager_page = sign_in(browser, live_server, manager)
    assert manager_page.locator("#inbox-link .count-badge").inner_text() == "1"
    manager_page.click("#inbox-link")
    manager_page.click("#section-pending .approve-form button")
    manager_page.wait_for_selector(".flash-success")
    assert manager_page.locator("#section-upcoming .badge-confirmed").count() == 1
    assert manager_page.locator("#inbox-link .count-badge").count() == 0
    manager_context.close()

    sme_page.goto(booking_url)
    assert sme_page.locator("#booking-status .badge-confirmed").count() == 1
    sme_context.close()

    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    booking = db.session.scalar(select(Booking))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.purpose == "煤样发热量测定"
    assert booking.end_at - booking.start_at == timedelta(minutes=90)


def test_the_week_scrolls_sideways_on_a_phone(browser, live_server, make_equipment, make_user):
    equipment = make_equipment(lead_time_hours=0)
    context, page = sign_in(
        browser, live_server, make_user("sme"), viewport={"width": 390, "height": 800}
    )

    page.goto(f"{live_server}/equipment/{equipment.id}/week")

    scroller = page.locator(".week-scroll")
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    context.close()


def test_without_javascript_a_free_slot_opens_the_prefilled_form(
    browser, live_server, make_equipment, make_user
):
    equipment = make_equipment(lead_time_hours=0, min_booking_minutes=60)
    context, page = sign_in(browser, live_server, make_user("sme"), java_script_enabled=False)
    tuesday = monday_of(datetime.now(SHANGHAI).date()) + timedelta(days=8)

    page.goto(f"{live_server}/equipment/{equipment.id}/week?start={tuesday}")
    assert page.locator("#week-selection").is_hidden()
    page.click(f"td.free[data-start='{tuesday}T14:00'] a")

    page.wait_for_url(f"**/equipment/{equipment.id}/book?*")
    assert page.input_value("input[name=start]") == f"{tuesday}T14:00"
    assert page.input_value("input[name=end]") == f"{tuesday}T15:00"
    page.click("#booking-form button[type=submit]")
    page.wait_for_url("**/bookings/*")
    assert page.locator("#booking-status .badge-pending").count() == 1
    context.close()
