"""From a search to a booking without backtracking, in both languages: an enterprise looks for an
instrument free on a morning, opens the result, finds the window selected above the week and
books it; a search with nothing free offers the nearest free times; the calendar link copies."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import Booking
from equipment_share.services import bookings
from tests.clock import local, next_weekday
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
DAY = next_weekday(2)  # a Wednesday at least a week ahead
WORDS = {
    "zh_CN": {"book": "预约该时段", "searched": "您搜索的时段", "nearest": "最近的空闲时段"},
    "en": {
        "book": "Book this window",
        "searched": "The time you searched for",
        "nearest": "The nearest free times",
    },
}


def signed_in(browser, live_server, user, language):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.add_cookies([{"name": LANGUAGE_COOKIE, "value": language, "url": live_server}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")
    return context, page


def search(page, live_server, text: str, start: str, end: str) -> None:
    page.goto(f"{live_server}/")
    page.fill("input[name=q]", text)
    page.fill("input[name=free_from]", start)
    page.fill("input[name=free_to]", end)
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/?*free_from=*")


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_an_sme_searches_a_morning_and_books_it_from_the_week(
    browser, live_server, make_user, make_equipment, shot, language
):
    words = WORDS[language]
    sme = make_user("sme")
    sem = make_equipment(
        name="扫描电子显微镜",
        name_en="Scanning electron microscope",
        category="microscopy",
        keywords=["SEM", "扫描电镜"],
    )
    taken = make_equipment(name="透射电子显微镜", category="microscopy", keywords=["SEM"])
    bookings.create_booking(make_user("sme"), taken.id, local(DAY, 10), local(DAY, 11), "")
    db.session.commit()

    context, page = signed_in(browser, live_server, sme, language)
    search(page, live_server, "扫描电镜", f"{DAY}T09:00", f"{DAY}T12:00")
    cards = page.locator(".card")
    assert cards.count() == 1
    assert words["book"] in cards.first.inner_text()
    shot(page, "results")

    page.click(f".card-link[href^='/equipment/{sem.id}/week']")
    page.wait_for_url(f"**/equipment/{sem.id}/week?start=*")
    box = page.locator("#selected-window")
    assert words["searched"] in box.inner_text()
    assert f"{DAY:%Y-%m-%d} 09:00" in box.inner_text()
    assert page.locator(".wk, .slot-cell").count() > 0  # the week is there below the box
    shot(page, "week-with-window")
    page.click("#book-window")

    page.wait_for_url(f"**/equipment/{sem.id}/book?*")
    assert page.input_value("input[name=start]") == f"{DAY}T09:00"
    assert page.input_value("input[name=end]") == f"{DAY}T12:00"
    page.fill("textarea[name=purpose]", "断口形貌观察")
    page.click("#booking-form button[type=submit]")
    page.wait_for_url("**/bookings/*")
    shot(page, "booked")
    context.close()

    db.session.rollback()  # the server committed in its own session: read afresh
    booking = db.session.scalars(select(Booking).where(Booking.equipment_id == sem.id)).one()
    assert (booking.start_at, booking.end_at) == (local(DAY, 9), local(DAY, 12))
    assert booking.organization_id == sme.organization_id


@pytest.mark.parametrize("language", ["zh_CN", "en"])
def test_a_search_with_nothing_free_offers_the_nearest_free_times(
    browser, live_server, make_user, make_equipment, shot, language
):
    words = WORDS[language]
    sme = make_user("sme")
    xrd = make_equipment(name="X射线衍射仪", category="spectroscopy", keywords=["XRD"])
    bookings.create_booking(make_user("sme"), xrd.id, local(DAY, 9), local(DAY, 11), "")
    db.session.commit()

    context, page = signed_in(browser, live_server, sme, language)
    search(page, live_server, "XRD", f"{DAY}T09:00", f"{DAY}T11:00")
    assert page.locator(".card").count() == 0
    assert words["nearest"] in page.locator("#suggestions").inner_text()
    same_day = page.locator("#suggestions-same-day")
    assert "11:00 – 13:00" in same_day.inner_text()
    next_day = DAY + timedelta(days=1)
    assert f"{next_day:%Y-%m-%d}" in page.locator("#suggestions-later-days").inner_text()
    shot(page, "suggestions")

    same_day.locator("a.suggestion-week").click()
    page.wait_for_url(f"**/equipment/{xrd.id}/week?start=*")
    assert f"{DAY:%Y-%m-%d} 11:00" in page.locator("#selected-window").inner_text()
    page.click("#book-window")
    page.wait_for_url(f"**/equipment/{xrd.id}/book?*")
    assert page.input_value("input[name=start]") == f"{DAY}T11:00"
    assert page.input_value("input[name=end]") == f"{DAY}T13:00"
    context.close()


def test_the_calendar_link_has_a_working_copy_button(browser, live_server, make_user, shot):
    context, page = signed_in(browser, live_server, make_user("sme"), "zh_CN")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(f"{live_server}/settings")
    page.click("#calendar-feed form button[type=submit]")
    page.wait_for_selector("#new-feed-url")

    # the script shows it (hidden without JavaScript), once it has run: waited for, not polled once
    copy = page.wait_for_selector("#copy-feed-url", state="visible")
    copy.click()
    # (not wait_for_function: polling a string evaluates it, which the CSP refuses)
    page.wait_for_selector(".copy-status:not(:empty)")
    assert page.locator(".copy-status").inner_text() == "已复制"
    assert page.evaluate("navigator.clipboard.readText()") == page.inner_text("#new-feed-url")
    assert page.get_attribute("#webcal-link", "href").startswith("webcal://127.0.0.1:")
    shot(page, "calendar-link")
    context.close()
