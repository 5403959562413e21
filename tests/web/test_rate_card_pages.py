"""A platform's rate-card pages: the versions of an instrument, and a new version with rate
windows, items and charges; errors shown at the row they are about; only the owner gets in."""

import re
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, RateCardVersion, utcnow
from equipment_share.services import rate_cards
from tests.clock import SHANGHAI
from tests.conftest import count_rows
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

TODAY = datetime.now(SHANGHAI).date()
CARD = {
    "hourly_rate": "400.00",
    "setup_fee": "30.00",
    "min_charge_minutes": 60,
    "billing_increment_minutes": 30,
}
BASE = {name: str(value) for name, value in CARD.items()}  # as the form sends it


@pytest.fixture
def platform_user(make_user, login):
    user = make_user("platform")
    login(user)
    return user


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, hourly_rate="300.00")


def url(equipment) -> str:
    return f"/manage/equipment/{equipment.id}/rate-cards"


# every row as a browser sends it: blank inputs included, ticked boxes only
BLANK_ROWS = {
    f"rate_windows-{row}-{name}": "" for row in range(4) for name in ("start", "end", "hourly_rate")
} | {f"items-{row}-{name}": "" for row in range(8) for name in ("code", "label", "unit_price")}


def new_version(effective=TODAY, **fields) -> dict:
    return {"effective_from": effective.isoformat(), **BASE, **BLANK_ROWS} | fields


def row_html(response, row_id: str) -> str:
    match = re.search(rf'<tr id="{row_id}"[^>]*>(.*?)</tr>', page_text(response), re.DOTALL)
    assert match, f"no row {row_id}"
    return match.group(1)


def input_value(text: str, name: str) -> str | None:
    match = re.search(rf'<input [^>]*name="{re.escape(name)}"[^>]*>', text)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return value.group(1) if value else None


def is_ticked(text: str, name: str, value: str) -> bool:
    for tag in re.findall(rf'<input [^>]*name="{re.escape(name)}"[^>]*>', text):
        if f'value="{value}"' in tag:
            return "checked" in tag
    raise AssertionError(f"no checkbox {name}={value}")


def versions_of(equipment) -> list[RateCardVersion]:
    db.session.expire_all()
    return rate_cards.versions(equipment)


def test_the_versions_are_listed_newest_first_with_their_state(client, platform_user, equipment):
    first = rate_cards.in_force(equipment)
    current = rate_cards.add_version(platform_user, equipment, CARD, None)
    tomorrow = TODAY + timedelta(days=1)
    scheduled = rate_cards.add_version(
        platform_user, equipment, CARD | {"hourly_rate": "500.00"}, tomorrow
    )
    db.session.commit()

    response = client.get(url(equipment))

    assert response.status_code == 200
    text = page_text(response)
    positions = [text.index(f'id="version-{version.id}"') for version in (scheduled, current)]
    assert positions == sorted(positions) and text.index(f'id="version-{first.id}"') > positions[1]
    assert "scheduled" in row_html(response, f"version-{scheduled.id}")
    assert f"{tomorrow.isoformat()} 00:00" in row_html(response, f"version-{scheduled.id}")
    assert "¥500.00" in row_html(response, f"version-{scheduled.id}")
    assert "in force" in row_html(response, f"version-{current.id}")
    assert "superseded" in row_html(response, f"version-{first.id}")


def test_the_form_starts_from_the_version_in_force_and_today(client, platform_user, equipment):
    card = CARD | {
        "rate_windows": [
            {"weekdays": [5, 6], "start": "08:00", "end": "12:00", "hourly_rate": "250"}
        ],
        "items": [{"code": "S1", "label": "Sample prep", "unit_price": "15"}],
        "no_show_fee": {"kind": "percent", "value": "50"},
    }
    rate_cards.add_version(platform_user, equipment, card, None)
    db.session.commit()

    text = page_text(client.get(url(equipment)))

    assert input_value(text, "effective_from") == TODAY.isoformat()
    assert input_value(text, "hourly_rate") == "400.00"
    assert input_value(text, "rate_windows-0-start") == "08:00"
    assert input_value(text, "rate_windows-0-hourly_rate") == "250.00"
    assert is_ticked(text, "rate_windows-0-weekdays", "5")
    assert not is_ticked(text, "rate_windows-0-weekdays", "0")
    assert input_value(text, "items-0-code") == "S1"
    assert input_value(text, "items-0-label") == "Sample prep"
    assert re.search(r'<option selected value="percent">', text)
    assert input_value(text, "no_show_fee_value") == "50.00"
    # blank rows to add more: four windows and eight items in all
    assert input_value(text, "rate_windows-3-start") in (None, "")
    assert input_value(text, "items-7-code") in (None, "")


def test_a_version_from_today_is_in_force_at_once(client, platform_user, equipment):
    form = new_version(
        **{
            "rate_windows-0-weekdays": ["0", "1", "2", "3", "4"],
            "rate_windows-0-start": "18:00",
            "rate_windows-0-end": "22:00",
            "rate_windows-0-hourly_rate": "480",
            # row 1 left blank
            "rate_windows-2-start": "00:00",
            "rate_windows-2-end": "08:00",
            "rate_windows-2-hourly_rate": "200.5",
            "items-0-code": "SAMPLE",
            "items-0-label": "Per sample",
            "items-0-unit_price": "12.50",
            "items-4-code": "GAS",
            "items-4-label": "Argon, per litre",
            "items-4-unit_price": "3",
            "no_show_fee_kind": "fixed",
            "no_show_fee_value": "100",
            "late_cancellation_fee_kind": "percent",
            "late_cancellation_fee_value": "25",
        }
    )

    response = client.post(url(equipment), data=form)

    assert response.status_code == 302
    assert response.headers["Location"] == url(equipment)
    added = versions_of(equipment)[0]
    assert added.effective_from <= utcnow()
    assert rate_cards.in_force(equipment).id == added.id
    assert (added.hourly_rate, added.setup_fee) == (Decimal("400.00"), Decimal("30.00"))
    assert (added.min_charge_minutes, added.billing_increment_minutes) == (60, 30)
    assert added.rate_windows == [
        {"weekdays": [0, 1, 2, 3, 4], "start": "18:00", "end": "22:00", "hourly_rate": "480.00"},
        {"weekdays": None, "start": "00:00", "end": "08:00", "hourly_rate": "200.50"},
    ]
    assert added.items == [
        {"code": "SAMPLE", "label": "Per sample", "unit_price": "12.50"},
        {"code": "GAS", "label": "Argon, per litre", "unit_price": "3.00"},
    ]
    assert (added.no_show_fee_kind, added.no_show_fee_value) == ("fixed", Decimal("100.00"))
    assert (added.late_cancellation_fee_kind, added.late_cancellation_fee_value) == (
        "percent",
        Decimal("25.00"),
    )
    assert equipment.hourly_rate == Decimal("400.00")  # the catalogue lists the new rate
    assert (
        count_rows(
            AuditEntry, AuditEntry.object_type == "rate_card", AuditEntry.object_id == added.id
        )
        == 1
    )
    page = page_text(client.get(url(equipment)))
    assert "in force from now on" in page
    assert "Mon Tue Wed Thu Fri 18:00–22:00" in page


def test_a_form_sent_without_its_blank_rows_saves_each_row_once(client, platform_user, equipment):
    form = {"effective_from": TODAY.isoformat(), **BASE} | {
        f"rate_windows-{row}-{name}": value
        for row, start in ((0, "06:00"), (2, "20:00"))
        for name, value in (("start", start), ("end", "23:00"), ("hourly_rate", "100"))
    }

    response = client.post(url(equipment), data=form)

    assert response.status_code == 302
    assert [window["start"] for window in versions_of(equipment)[0].rate_windows] == [
        "06:00",
        "20:00",
    ]


def test_a_version_from_a_later_day_is_scheduled(client, platform_user, equipment):
    later = TODAY + timedelta(days=14)

    response = client.post(url(equipment), data=new_version(later, hourly_rate="999"))

    assert response.status_code == 302
    added = versions_of(equipment)[0]
    assert added.effective_from == datetime.combine(later, datetime.min.time(), SHANGHAI)
    assert equipment.hourly_rate == Decimal("300.00")
    page = client.get(url(equipment))
    assert f"takes effect on {later.isoformat()}" in page_text(page)
    assert "scheduled" in row_html(page, f"version-{added.id}")


def test_errors_are_shown_at_the_row_they_are_about_and_keep_what_was_typed(
    client, platform_user, equipment
):
    before = count_rows(RateCardVersion)
    form = new_version(
        **{
            "rate_windows-0-start": "08:00",
            "rate_windows-0-end": "12:00",
            "rate_windows-0-hourly_rate": "100",
            # row 1 blank: the rules see row 2 as their second window
            "rate_windows-2-start": "25:00",
            "rate_windows-2-end": "12:00",
            "rate_windows-2-hourly_rate": "100",
            "items-1-code": "OK",
            "items-1-label": "A label",
            "items-1-unit_price": "-3",
            "no_show_fee_kind": "percent",
            "no_show_fee_value": "150",
        }
    )

    response = client.post(url(equipment), data=form)

    assert response.status_code == 422
    window_row = row_html(response, "rate_windows-2-row")
    assert "A time as HH:MM is required." in window_row
    assert 'value="25:00"' in window_row
    assert "HH:MM" not in row_html(response, "rate_windows-0-row")
    assert "HH:MM" not in row_html(response, "rate_windows-1-row")
    item_row = row_html(response, "items-1-row")
    assert "An amount of at least 0" in item_row and 'value="-3"' in item_row
    assert "An amount of at least 0" not in row_html(response, "items-0-row")
    assert "A percentage is at most 100." in page_text(response)
    assert count_rows(RateCardVersion) == before


def test_a_blank_base_rate_and_duplicate_item_codes_are_refused(client, platform_user, equipment):
    before = count_rows(RateCardVersion)
    form = new_version(
        hourly_rate="",
        **{
            f"items-{row}-{name}": value
            for row in (0, 1)
            for name, value in (("code", "X"), ("label", "Thing"), ("unit_price", "1"))
        },
    )

    response = client.post(url(equipment), data=form)

    assert response.status_code == 422
    text = page_text(response)
    assert "This field is required." in text
    assert "Each item needs its own code." in text
    assert count_rows(RateCardVersion) == before


def test_a_version_cannot_start_in_the_past(client, platform_user, equipment):
    before = count_rows(RateCardVersion)

    response = client.post(url(equipment), data=new_version(TODAY - timedelta(days=1)))

    assert response.status_code == 422
    assert "cannot take effect in the past" in page_text(response)
    assert count_rows(RateCardVersion) == before


def test_a_second_version_for_the_same_later_day_is_refused(client, platform_user, equipment):
    later = TODAY + timedelta(days=5)
    assert client.post(url(equipment), data=new_version(later)).status_code == 302
    before = count_rows(RateCardVersion)

    response = client.post(url(equipment), data=new_version(later, hourly_rate="1.00"))

    assert response.status_code == 422
    assert "Another rate card already takes effect then" in page_text(response)
    assert count_rows(RateCardVersion) == before


def test_the_instruments_manage_page_links_to_its_rate_cards(client, platform_user, equipment):
    text = page_text(client.get(f"/manage/equipment/{equipment.id}"))

    assert f'href="{url(equipment)}"' in text


def test_another_platforms_instrument_is_forbidden(client, platform_user, make_equipment):
    other = make_equipment(hourly_rate="300.00")
    before = count_rows(RateCardVersion)

    assert client.get(url(other)).status_code == 403
    assert client.post(url(other), data=new_version(hourly_rate="1")).status_code == 403
    assert count_rows(RateCardVersion) == before
    db.session.expire_all()
    assert other.hourly_rate == Decimal("300.00")


def test_another_platforms_inactive_instrument_is_not_found(client, platform_user, make_equipment):
    hidden = make_equipment(active=False)

    assert client.get(url(hidden)).status_code == 404
    assert client.post(url(hidden), data=new_version()).status_code == 404


@pytest.mark.parametrize("role", ["sme", "finance", "admin"])
def test_other_roles_cannot_open_the_page(client, make_user, login, make_equipment, role):
    equipment = make_equipment()
    login(make_user(role))

    assert client.get(url(equipment)).status_code == 403
    assert client.post(url(equipment), data=new_version()).status_code == 403


def test_anonymous_visitors_sign_in_first(client, make_equipment):
    response = client.get(url(make_equipment()))

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_versions_are_read_back_in_the_instruments_time_zone(client, platform_user, make_equipment):
    equipment = make_equipment(platform_user.organization, timezone="Europe/Berlin")
    later = datetime.now(ZoneInfo("Europe/Berlin")).date() + timedelta(days=3)

    client.post(url(equipment), data=new_version(later))

    added = versions_of(equipment)[0]
    assert added.effective_from == datetime.combine(
        later, datetime.min.time(), ZoneInfo("Europe/Berlin")
    )
    page = client.get(url(equipment))
    assert f"{later.isoformat()} 00:00" in row_html(page, f"version-{added.id}")
