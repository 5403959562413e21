"""A platform manager uploads a production calendar: the page shows the upload's progress, then
that the file is being processed, then the result; without JavaScript the plain form works."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import request

from equipment_share.extensions import db
from equipment_share.models import ProductionRun
from tests.conftest import PASSWORD, count_rows

pytestmark = pytest.mark.e2e
SERIES = 300
SHANGHAI = ZoneInfo("Asia/Shanghai")  # the plan's TZID


def weekly_plan(series: int) -> bytes:
    """`series` weekly runs, each four hours on a different hour of the coming week, from
    midnight of tomorrow in the plan's zone. (By UTC's date, from 16:00 UTC "tomorrow" was
    already today there, and from 20:00 UTC its first run had ended and was not imported.)"""
    monday = datetime.now(SHANGHAI).date() + timedelta(days=1)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//tests//EN"]
    for number in range(series):
        start = datetime.combine(monday, datetime.min.time()) + timedelta(hours=number % 160)
        lines += [
            "BEGIN:VEVENT",
            f"UID:batch-{number}@tests",
            f"DTSTART;TZID=Asia/Shanghai:{start:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Asia/Shanghai:{start + timedelta(hours=4):%Y%m%dT%H%M%S}",
            "RRULE:FREQ=WEEKLY;COUNT=4",
            f"SUMMARY:Batch {number}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def sign_in(page, live_server: str, email: str) -> None:
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)


def upload(page, plan: bytes) -> None:
    page.set_input_files(
        "input[name=production-calendar]",
        files=[{"name": "plan.ics", "mimeType": "text/calendar", "buffer": plan}],
    )
    page.click("form[data-upload-progress] button[type=submit]")


def test_the_upload_shows_progress_then_processing_then_the_result(
    app, page, live_server, make_user, make_equipment, shot
):
    manager = make_user("platform")
    equipment = make_equipment(manager.organization)
    # The server holds the import until the page has been seen processing it.
    seen_processing = threading.Event()

    @app.before_request
    def wait_for_the_test():
        if request.method == "POST" and request.path.endswith("/production-calendar"):
            seen_processing.wait(timeout=10)

    sign_in(page, live_server, manager.email)
    page.goto(f"{live_server}/manage/equipment/{equipment.id}")
    status = page.locator("#production-progress")
    assert status.is_hidden()
    upload(page, weekly_plan(SERIES))

    status.get_by_text("正在读取日历并更新生产时段…").wait_for()
    assert page.locator("form[data-upload-progress] button[type=submit]").is_disabled()
    assert status.locator("progress").get_attribute("value") is None  # indeterminate now
    shot(page, "processing")
    seen_processing.set()

    page.get_by_text(f"已导入 {SERIES * 4} 个生产时段。").wait_for()
    assert page.url == f"{live_server}/manage/equipment/{equipment.id}"
    assert page.locator("#production-progress").is_hidden()  # the answer's form, at rest
    assert page.locator("#production-runs tbody tr").count() == 10  # the next ten runs
    shot(page, "imported")
    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    assert count_rows(ProductionRun, ProductionRun.equipment_id == equipment.id) == SERIES * 4

    # a refused file comes back into the page the same way, with its reason
    upload(page, b"not a calendar")
    page.locator("#production [aria-invalid='true']").wait_for()
    assert "iCalendar" in page.locator("#production").inner_text()


def test_without_javascript_the_plain_form_imports(browser, live_server, make_user, make_equipment):
    manager = make_user("platform")
    equipment = make_equipment(manager.organization)
    context = browser.new_context(locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, manager.email)
        page.goto(f"{live_server}/manage/equipment/{equipment.id}")
        upload(page, weekly_plan(3))
        page.locator(".flash-success").wait_for()
        assert "12" in page.locator(".flash-success").inner_text()
        assert page.locator("#production-runs tbody tr").count() == 10
    finally:
        context.close()
    db.session.rollback()
    assert count_rows(ProductionRun, ProductionRun.equipment_id == equipment.id) == 12
