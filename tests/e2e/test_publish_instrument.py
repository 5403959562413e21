"""A platform manager signs in and publishes an instrument with an idle window, in a browser."""

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from equipment_share.demo_data import DEMO_PASSWORD, load_demo_data
from equipment_share.extensions import db
from equipment_share.models import Equipment, IdleWindowKind
from tests.conftest import PASSWORD

pytestmark = pytest.mark.e2e
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "catalogue.png"


def test_platform_manager_publishes_an_instrument_with_an_idle_window(page, live_server, make_user):
    manager = make_user("platform")

    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", manager.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server}/manage/equipment/new")
    page.fill("input[name=name]", "扫描电子显微镜")
    page.fill("input[name=name_en]", "Scanning electron microscope")
    page.select_option("select[name=category]", "microscopy")
    page.fill("input[name=model]", "Sigma 300")
    page.fill("input[name=hourly_rate]", "800.00")
    page.fill("input[name=setup_fee]", "50.00")
    page.click("#equipment-form button[type=submit]")

    page.wait_for_url("**/manage/equipment/*")
    for weekday in ("0", "2", "4"):
        page.check(f"input[name=weekly-weekdays][value='{weekday}']")
    page.fill("input[name=weekly-start_time]", "18:00")
    page.fill("input[name=weekly-end_time]", "22:00")
    page.click("form[action$='/idle-windows/weekly'] button[type=submit]")
    page.wait_for_selector("#idle-windows td:has-text('18:00–22:00')")

    db.session.rollback()  # end the test's read snapshot to see what the server wrote
    equipment = db.session.scalar(select(Equipment).where(Equipment.name == "扫描电子显微镜"))
    assert equipment.platform_id == manager.organization_id
    assert str(equipment.hourly_rate) == "800.00"
    [window] = equipment.idle_windows
    assert window.kind == IdleWindowKind.WEEKLY
    assert window.weekday_numbers == [0, 2, 4]

    page.goto(f"{live_server}/equipment/{equipment.id}")
    # the whole evening, on the days between today's (which may have begun: it starts now)
    # and the last one shown (cut at the end of the two weeks)
    assert "18:00–22:00" in page.locator("#idle-time .slot").all_inner_texts()
    assert "¥800.00" in page.locator("aside").inner_text()


def test_catalogue_shows_the_demo_instruments(page, live_server):
    load_demo_data()
    db.session.commit()

    page.goto(f"{live_server}/")
    cards = page.locator(".card")
    assert cards.count() == 20
    assert page.locator("text=气相色谱-质谱联用仪").count() == 1
    page.fill("input[name=q]", "显微镜")
    page.click(".filters button[type=submit]")
    names = sorted(page.locator(".card h2").all_inner_texts())
    assert names == ["扫描电子显微镜", "煤岩显微镜", "金相显微镜"]
    page.goto(f"{live_server}/login")
    page.fill("input[name=email]", "coal@lvliang.example")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("#login-form button[type=submit]")
    page.goto(f"{live_server}/")
    if os.environ.get("UPDATE_SCREENSHOTS"):
        SCREENSHOT.parent.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=False)
