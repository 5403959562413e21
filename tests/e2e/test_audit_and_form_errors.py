"""In a browser: finance reads the audit log in Chinese and in English (statuses and money as
words, the changes as a before/after table) and downloads the filtered entries as CSV; a platform
enters an idle window that ends before it starts, lands on the error with the field focused, then
marks it overnight and sees "次日"."""

import csv
import io
import os
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from equipment_share.extensions import db
from equipment_share.services import bookings, usage
from tests.clock import SHANGHAI
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
SCREENSHOTS = os.environ.get("E2E_SCREENSHOTS")
USE_DAY = datetime.now(SHANGHAI).date() + timedelta(days=10)


def shot(page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def at(hour: int) -> datetime:
    return datetime.combine(USE_DAY, time(hour), tzinfo=SHANGHAI)


def sign_in(page, live_server, user) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(f"{live_server}/dashboard")


@pytest.fixture
def disputed(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user = make_user("sme", name="王芳")
    manager = make_user("platform", platform)
    booking = bookings.create_booking(sme_user, equipment.id, at(10), at(12))
    bookings.approve(manager, booking)
    record = usage.record_usage(manager, booking, at(10), at(12), now=at(13))
    usage.dispute(sme_user, record, "十一点半就离开了")
    db.session.commit()
    return record


def test_finance_reads_the_audit_log_in_both_languages_and_exports_it(
    page, live_server, make_user, disputed
):
    finance = make_user("finance", None)
    db.session.commit()
    sign_in(page, live_server, finance)

    page.goto(f"{live_server}/audit?object_type=usage")
    rows = page.locator("#audit-entries > tbody > tr")
    assert rows.count() == 2
    dispute_row = rows.filter(has_text="十一点半就离开了")
    assert "待确认 → 有异议" in dispute_row.inner_text()
    recorded_row = rows.filter(has_text="已记录使用")
    assert "¥600.00" in recorded_row.locator(".audit-changes").inner_text()
    shot(page, "audit-zh")

    with page.expect_download() as download_info:
        page.click("#audit-export-csv")
    body = Path(download_info.value.path()).read_bytes()
    assert body.startswith("\ufeff".encode())
    header, *lines = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert header[6] == "状态"
    assert len(lines) == 2
    assert any(line[6] == "待确认 → 有异议" for line in lines)

    page.context.add_cookies([{"name": "language", "value": "en", "url": live_server}])
    page.goto(f"{live_server}/audit?object_type=usage")
    dispute_row = page.locator("#audit-entries > tbody > tr").filter(has_text="十一点半就离开了")
    assert "to be confirmed → disputed" in dispute_row.inner_text()
    assert "Status" in dispute_row.locator(".audit-changes").inner_text()
    shot(page, "audit-en")


def test_a_form_error_is_focused_and_overnight_says_next_day(
    page, live_server, make_user, make_equipment
):
    manager = make_user("platform")
    equipment = make_equipment(manager.organization, weekly=[((6,), time(3), time(4))])
    db.session.commit()
    sign_in(page, live_server, manager)

    page.goto(f"{live_server}/manage/equipment/{equipment.id}")
    page.check("input[name=weekly-weekdays][value='4']")
    page.fill("input[name=weekly-start_time]", "22:00")
    page.fill("input[name=weekly-end_time]", "06:00")
    page.click("form[action$='/idle-windows/weekly'] button[type=submit]")
    page.wait_for_selector("#weekly-end_time-error")
    assert page.evaluate("document.activeElement.name") == "weekly-end_time"
    assert page.get_attribute("input[name=weekly-end_time]", "aria-invalid") == "true"
    assert "结束时间早于开始时间" in page.inner_text("#weekly-end_time-error")
    shot(page, "idle-window-error")

    page.check("input[name=weekly-weekdays][value='4']")
    page.fill("input[name=weekly-start_time]", "22:00")
    page.fill("input[name=weekly-end_time]", "06:00")
    page.check("input[name=weekly-overnight]")
    page.click("form[action$='/idle-windows/weekly'] button[type=submit]")
    page.wait_for_selector("#idle-windows >> text=（次日）")
    shot(page, "idle-window-overnight")


def test_a_filter_field_with_an_error_keeps_the_row_on_one_line(page, live_server, make_user):
    """The error hangs under its field: the fields and the button stay level, and the message
    is inside the filter box, not over what follows it."""
    sign_in(page, live_server, make_user("finance"))

    page.goto(f"{live_server}/statements?from=bad&to=2026-12-01")

    error = page.locator("#from-error")
    assert error.is_visible() and error.inner_text() == "不是有效的日期值。"
    start, end = page.locator("input[name=from]"), page.locator("input[name=to]")
    button = page.locator("form.filters button[type=submit]")
    assert start.bounding_box()["y"] == pytest.approx(end.bounding_box()["y"], abs=1)
    bottom = end.bounding_box()["y"] + end.bounding_box()["height"]
    button_box = button.bounding_box()
    assert button_box["y"] + button_box["height"] == pytest.approx(bottom, abs=2)
    form = page.locator("form.filters").bounding_box()
    error_box = error.bounding_box()
    assert error_box["y"] + error_box["height"] <= form["y"] + form["height"]
    shot(page, "statement-filter-error")


def test_the_bell_is_drawn_by_the_app(page, live_server, make_user):
    """No emoji: a machine without an emoji font showed the bell as an empty box."""
    sign_in(page, live_server, make_user("finance"))

    bell = page.locator("#notification-bell svg")

    assert bell.is_visible() and bell.bounding_box()["width"] >= 12
