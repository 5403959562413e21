"""An SME books a slot from the week view and the platform approves it, in two browsers."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.week_grid import monday_of
from equipment_share.extensions import db
from equipment_share.models import Booking
from tests.clock import SHANGHAI
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e


def sign_in(browser, live_server, user, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")
    return context, page


def click_at(page, selector, when):
    """Click a free block where the slot starting at `when` (a datetime-local value) lies."""
    block = page.locator(selector)
    start, end = (
        datetime.fromisoformat(block.get_attribute(name)) for name in ("data-start", "data-end")
    )
    box = block.bounding_box()
    fraction = (datetime.fromisoformat(when) - start) / (end - start)
    block.click(position={"x": box["width"] / 2, "y": box["height"] * fraction + 3})


def test_sme_books_from_the_week_view_and_the_platform_approves(
    browser, live_server, make_org, make_user, make_equipment, shot
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

    # one click selects the shortest booking from the slot under the pointer, a second click
    # further down the same free interval extends it
    free = f"a.wk.free[data-start='{tuesday}T08:00']"
    click_at(sme_page, free, f"{tuesday}T10:00")
    assert sme_page.locator("#week-selection").is_visible()
    assert sme_page.locator(".wk-selection").inner_text() == "10:00–11:00"
    click_at(sme_page, free, f"{tuesday}T11:00")
    assert sme_page.locator(".wk-selection").inner_text() == "10:00–11:30"
    assert "10:00–11:30" in sme_page.locator(".selection-summary").inner_text()
    shot(sme_page, "week-selected")
    sme_page.click("#book-selected")

    sme_page.wait_for_url(f"**/equipment/{equipment.id}/book?*")
    assert sme_page.input_value("input[name=start]") == f"{tuesday}T10:00"
    assert sme_page.input_value("input[name=end]") == f"{tuesday}T11:30"
    sme_page.fill("textarea[name=purpose]", "煤样发热量测定")
    shot(sme_page, "booking-form")
    sme_page.click("#booking-form button[type=submit]")
    sme_page.wait_for_url("**/bookings/*")
    assert sme_page.locator("#booking-status .badge-pending").count() == 1
    booking_url = sme_page.url

    sme_page.click("nav.mainnav a[href='/bookings']")
    sme_page.wait_for_url(f"{live_server}/bookings")
    row = sme_page.locator("#section-upcoming tr[id^=booking-]")
    assert row.count() == 1
    assert "氧弹量热仪" in row.inner_text()

    manager_context, manager_page = sign_in(browser, live_server, manager)
    assert manager_page.locator("#inbox-link .count-badge").inner_text() == "1"
    manager_page.click("#inbox-link")
    manager_page.wait_for_url(f"{live_server}/bookings/inbox")
    shot(manager_page, "inbox")
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


def test_without_javascript_a_free_interval_opens_the_prefilled_form(
    browser, live_server, make_equipment, make_user
):
    equipment = make_equipment(lead_time_hours=0, min_booking_minutes=60)
    context, page = sign_in(browser, live_server, make_user("sme"), java_script_enabled=False)
    tuesday = monday_of(datetime.now(SHANGHAI).date()) + timedelta(days=8)

    page.goto(f"{live_server}/equipment/{equipment.id}/week?start={tuesday}")
    assert page.locator("#week-selection").is_hidden()
    page.click(f"a.wk.free[data-start='{tuesday}T08:00']")

    # the link fills the start of the free interval and the shortest booking; the person
    # chooses the end (and may move the start) in the form
    page.wait_for_url(f"**/equipment/{equipment.id}/book?*")
    assert page.input_value("input[name=start]") == f"{tuesday}T08:00"
    assert page.input_value("input[name=end]") == f"{tuesday}T09:00"
    page.fill("input[name=start]", f"{tuesday}T14:00")
    page.fill("input[name=end]", f"{tuesday}T15:30")
    page.click("#booking-form button[type=submit]")
    page.wait_for_url("**/bookings/*")
    assert page.locator("#booking-status .badge-pending").count() == 1
    context.close()
