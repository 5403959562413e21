"""The schedule across instruments in a browser: an enterprise opens it from the navigation, in
Chinese and in English (with and without JavaScript), goes to a day, clicks a free bar and lands
on the booking form with the start filled; at phone width the time axis scrolls under a fixed
instrument column."""

import pytest

from equipment_share.extensions import db
from equipment_share.services import bookings
from tests.clock import local, next_weekday
from tests.e2e.test_booking_flow import sign_in

pytestmark = pytest.mark.e2e
TUESDAY = next_weekday(1)


@pytest.fixture
def instrument(make_org, make_user, make_equipment):
    equipment = make_equipment(
        make_org("platform"), name="氧弹量热仪", name_en="Bomb calorimeter", min_booking_minutes=60
    )
    bookings.create_booking(
        make_user("sme"), equipment.id, local(TUESDAY, 10), local(TUESDAY, 12), "他人的预约"
    )
    db.session.commit()
    return equipment


@pytest.mark.parametrize(("language", "javascript"), [("zh-CN", True), ("en", True), ("en", False)])
def test_an_enterprise_books_from_a_free_bar_of_the_schedule(
    browser, live_server, make_user, instrument, language, javascript
):
    context, page = sign_in(browser, live_server, make_user("sme"), java_script_enabled=javascript)
    if language == "en":
        page.click(".language-switch button[lang=en]")
        page.wait_for_load_state()
    assert page.evaluate("document.documentElement.lang") == language

    page.click("#nav-schedule")
    page.wait_for_url(f"{live_server}/schedule")
    page.fill("#schedule-filters input[name=date]", TUESDAY.isoformat())
    page.click("#schedule-filters button[type=submit]")
    page.wait_for_url(f"**/schedule?*date={TUESDAY}*")

    row = page.locator(f"#row-{instrument.id}")
    expected_name = "Bomb calorimeter" if language == "en" else "氧弹量热仪"
    assert expected_name in row.locator(".sched-name").inner_text()
    assert row.locator(".bar.busy").count() == 1  # someone else's booking: no name, no link
    assert row.locator("a.bar.busy").count() == 0
    row.locator(f"a.bar.free[href*='start={TUESDAY}T12:00']").click()

    page.wait_for_url(f"**/equipment/{instrument.id}/book?*")
    assert page.input_value("input[name=start]") == f"{TUESDAY}T12:00"
    assert page.input_value("input[name=end]") == f"{TUESDAY}T13:00"
    assert page.evaluate("document.documentElement.lang") == language
    context.close()


def test_at_phone_width_the_time_axis_scrolls_under_the_instrument_column(
    browser, live_server, make_user, instrument
):
    context, page = sign_in(
        browser, live_server, make_user("sme"), viewport={"width": 390, "height": 800}
    )
    page.goto(f"{live_server}/schedule?date={TUESDAY}")

    scroller = page.locator(".sched-scroll")
    assert scroller.evaluate("element => element.scrollWidth > element.clientWidth")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    name = page.locator(f"#row-{instrument.id} .sched-name")
    # the day opens scrolled to 08:00 (static/js/schedule.js), the hour right after the names
    morning = page.locator(".sched-head .tick.c-32").bounding_box()
    assert morning["x"] == pytest.approx(
        name.bounding_box()["x"] + name.bounding_box()["width"], abs=2
    )
    scroller.evaluate("element => { element.scrollLeft = 0; }")
    bar = page.locator(f"#row-{instrument.id} .bar.busy")
    name_before, bar_before = name.bounding_box(), bar.bounding_box()

    # static/js/schedule.js may already have scrolled to the morning: move from wherever it is
    moved = scroller.evaluate(
        """element => {
            const before = element.scrollLeft;
            element.scrollLeft = before > 150 ? before - 150 : before + 150;
            return before - element.scrollLeft;
        }"""
    )

    assert abs(moved) == 150
    assert name.bounding_box()["x"] == pytest.approx(name_before["x"], abs=1)
    assert bar.bounding_box()["x"] == pytest.approx(bar_before["x"] + moved, abs=2)
    context.close()
