"""At phone width (390 × 844), in both languages: an enterprise finds an instrument in the
catalogue through the menu button, books a free slot from the week view, sees the booking's
status and its cancel action in its bookings; the platform approves it from its inbox. No page
is wider than the screen, and what the journey needs is on screen and clickable."""

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.week_grid import monday_of
from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import Booking
from equipment_share.services import notifications
from tests.clock import SHANGHAI
from tests.conftest import PASSWORD
from tests.e2e.test_booking_flow import click_at

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}
WORDS = {
    "zh_CN": {"menu": "菜单", "pending": "待审核", "confirmed": "已确认", "cancel": "取消"},
    "en": {"menu": "Menu", "pending": "pending", "confirmed": "confirmed", "cancel": "Cancel"},
}


def on_a_phone(browser, live_server, user, language):
    context = browser.new_context(locale="zh-CN", viewport=PHONE, has_touch=True)
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")
    return context, page


def assert_fits(page):
    """Nothing makes the page scroll sideways (a wide table or grid scrolls in its own box),
    once it has settled: right after a navigation the measure can catch a page mid-layout (it
    failed so once in CI on a page that fits), and a page that overflows never settles."""
    try:
        page.wait_for_function(
            "document.documentElement.scrollWidth <= window.innerWidth", timeout=3_000
        )
    except PlaywrightTimeoutError:
        raise AssertionError(f"{page.url} scrolls sideways") from None


def assert_on_screen(locator):
    """Visible, and inside the screen's width (not cut off at the right edge)."""
    locator.scroll_into_view_if_needed()
    assert locator.is_visible()
    box = locator.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_an_sme_books_on_a_phone_and_the_platform_approves_on_one(
    browser, live_server, make_org, make_user, make_equipment, shot, language
):
    words = WORDS[language]
    platform = make_org("platform", name="煤炭检测平台")
    equipment = make_equipment(
        platform, name="氧弹量热仪", name_en="Bomb calorimeter", lead_time_hours=0
    )
    sme = make_user("sme")
    manager = make_user("platform", platform)
    tuesday = monday_of(datetime.now(SHANGHAI).date()) + timedelta(days=8)

    context, page = on_a_phone(browser, live_server, sme, language)
    page.goto(f"{live_server}/")
    assert_fits(page)
    menu_button = page.locator("#menu-button")
    assert_on_screen(menu_button)
    assert words["menu"] in menu_button.inner_text()
    my_bookings = page.locator("nav.mainnav a[href='/bookings']")
    assert my_bookings.is_hidden()  # folded away until the button opens the menu
    shot(page, "catalogue")
    menu_button.click()
    assert_on_screen(my_bookings)
    shot(page, "menu-open")
    menu_button.click()
    assert my_bookings.is_hidden()

    card = page.locator(".card-link", has_text=equipment.display_name(language))
    assert_on_screen(card)
    card.click()
    page.wait_for_url(f"**/equipment/{equipment.id}")
    assert_fits(page)
    page.goto(f"{live_server}/equipment/{equipment.id}/week?start={tuesday}")
    assert_fits(page)
    scroller = page.locator(".week-scroll")
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth")
    scroller.evaluate("element => { element.scrollLeft = 150; }")
    hours = page.locator(".week-scroll .wk-hour").first
    assert abs(hours.bounding_box()["x"] - scroller.bounding_box()["x"]) <= 2  # stays put
    shot(page, "week")
    scroller.evaluate("element => { element.scrollLeft = 0; }")
    # a tap selects the shortest booking from 10:00; the bar with the book button sticks to
    # the screen's foot
    click_at(page, f"a.wk.free[data-start='{tuesday}T08:00']", f"{tuesday}T10:00")
    book_selected = page.locator("#book-selected")
    assert_on_screen(book_selected)
    shot(page, "week-selected")
    book_selected.click()
    page.wait_for_url(f"**/equipment/{equipment.id}/book?*")
    assert_fits(page)
    assert page.input_value("input[name=start]") == f"{tuesday}T10:00"
    page.fill("input[name=end]", f"{tuesday}T11:00")
    page.fill("textarea[name=purpose]", "煤样发热量测定")
    submit = page.locator("#booking-form button[type=submit]")
    assert_on_screen(submit)
    shot(page, "booking-form")
    submit.click()
    page.wait_for_url("**/bookings/*")
    assert_fits(page)

    page.goto(f"{live_server}/bookings")
    assert_fits(page)
    row = page.locator("#section-upcoming tr[id^=booking-]")
    assert row.count() == 1
    assert_on_screen(row.locator(".badge-pending"))
    assert words["pending"] in row.locator(".badge-pending").inner_text()
    cancel = row.locator(".cancel-action summary")
    assert_on_screen(cancel)
    cancel.click()
    assert_on_screen(row.locator(".cancel-action input[name=reason]"))
    shot(page, "my-bookings")
    context.close()
    db.session.rollback()  # a fresh snapshot: the server committed the booking
    notifications.expand_booking_events()  # its mail sent (flask send-mail): the notice is written

    context, page = on_a_phone(browser, live_server, manager, language)
    # the request's notice shows on the menu button, since the bell is inside the menu
    assert page.locator("#menu-button .count-badge").inner_text() == "1"
    page.locator("#menu-button").click()
    page.click("#inbox-link")
    page.wait_for_url(f"{live_server}/bookings/inbox")
    assert_fits(page)
    approve = page.locator("#section-pending .approve-form button")
    assert_on_screen(approve)
    assert_on_screen(page.locator("#section-pending .reject-action summary"))
    shot(page, "inbox")
    approve.click()
    page.wait_for_selector(".flash-success")
    assert_fits(page)
    confirmed = page.locator("#section-upcoming .badge-confirmed")
    assert_on_screen(confirmed)
    assert words["confirmed"] in confirmed.inner_text()
    shot(page, "inbox-approved")
    context.close()

    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    booking = db.session.scalar(select(Booking))
    assert booking.status == BookingStatus.CONFIRMED
    assert booking.end_at - booking.start_at == timedelta(hours=1)
