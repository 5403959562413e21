"""Rate card versions through the API: listing and adding them, who may, what is refused, and
the promise they exist for: a booking is priced by the version in force when it was made, rate
windows included, to the fen.

make_equipment's instruments are idle 08:00-20:00 Asia/Shanghai every day, with one version
(300.00/h, no setup fee) in force since they were made.
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from equipment_share.domain.rate_cards import validate_rate_card
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, Equipment, RateCardVersion
from equipment_share.services import bookings, rate_cards
from tests.clock import SHANGHAI, at, local
from tests.conftest import count_rows

TODAY = datetime.now(SHANGHAI).date()
NEXT_WEEK = TODAY + timedelta(days=7)
NEW_CARD = {
    "hourly_rate": "200.00",
    "setup_fee": "30.00",
    "min_charge_minutes": 60,
    "billing_increment_minutes": 15,
    "rate_windows": [
        {"weekdays": [4, 0, 1, 2, 3], "start": "18:00", "end": "08:00", "hourly_rate": "120.00"}
    ],
    "items": [{"code": "sample", "label": "Sample preparation", "unit_price": "12.50"}],
    "no_show_fee": {"kind": "fixed", "value": "100"},
    "late_cancellation_fee": None,
}


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, requires_approval=False)


@pytest.fixture
def headers(api_headers, platform_user, sme_user):
    return {"platform": api_headers(platform_user), "sme": api_headers(sme_user)}


def url(equipment) -> str:
    return f"/api/v1/equipment/{equipment.id}/rate-cards"


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def written() -> tuple[int, int]:
    db.session.expire_all()
    return count_rows(RateCardVersion), count_rows(AuditEntry)


def version_since(equipment, since: datetime, **values) -> RateCardVersion:
    """A version that took effect in the past (set-up for bookings made back then)."""
    card = {
        "hourly_rate": "300.00",
        "setup_fee": "0.00",
        "min_charge_minutes": 0,
        "billing_increment_minutes": 30,
    } | values
    version = RateCardVersion(
        equipment_id=equipment.id, effective_from=since, **validate_rate_card(card)
    )
    db.session.add(version)
    db.session.commit()
    return version


def book_in_the_past(sme_user, equipment, day: date, start_hour: int, end_hour: int) -> Booking:
    """A confirmed booking of a past day, made two days before it."""
    start = local(day, start_hour)
    booking = bookings.create_booking(
        sme_user, equipment.id, start, local(day, end_hour), "R&D", now=start - timedelta(days=2)
    )
    db.session.commit()
    return booking


def record_use(client, headers, booking, start: datetime, end: datetime) -> dict:
    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage",
        json={"actual_start": start.isoformat(), "actual_end": end.isoformat()},
        headers=headers["platform"],
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


# --- adding and listing ---------------------------------------------------------------------


def test_the_platform_adds_a_version_in_force_at_once(client, headers, equipment, platform_user):
    first = rate_cards.in_force(equipment)

    response = client.post(url(equipment), json=NEW_CARD, headers=headers["platform"])

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "equipment_id": equipment.id,
        "effective_from": body["effective_from"],
        "in_force": True,
        "hourly_rate": "200.00",
        "setup_fee": "30.00",
        "min_charge_minutes": 60,
        "billing_increment_minutes": 15,
        "rate_windows": [
            {"weekdays": [0, 1, 2, 3, 4], "start": "18:00", "end": "08:00", "hourly_rate": "120.00"}
        ],
        "items": [{"code": "sample", "label": "Sample preparation", "unit_price": "12.50"}],
        "no_show_fee": {"kind": "fixed", "value": "100.00"},
        "late_cancellation_fee": None,
        "created_at": body["created_at"],
    }
    assert datetime.fromisoformat(body["effective_from"]) <= datetime.now(UTC)
    assert body["effective_from"].endswith("+08:00")
    # the instrument's listed rates follow the version in force
    shown = client.get(f"/api/v1/equipment/{equipment.id}", headers=headers["sme"]).get_json()
    assert (shown["hourly_rate"], shown["setup_fee"], shown["billing_increment_minutes"]) == (
        "200.00",
        "30.00",
        15,
    )
    entry = db.session.scalars(
        select(AuditEntry).where(
            AuditEntry.object_type == "rate_card", AuditEntry.object_id == body["id"]
        )
    ).one()
    assert entry.actor_id == platform_user.id
    assert entry.changes["hourly_rate"] == "200.00"

    listed = client.get(url(equipment), headers=headers["sme"]).get_json()
    assert [(item["id"], item["in_force"]) for item in listed["items"]] == [
        (body["id"], True),
        (first.id, False),
    ]
    assert listed["total"] == 2


def test_a_version_from_a_later_day_is_scheduled(client, headers, equipment):
    first = rate_cards.in_force(equipment)
    later = TODAY + timedelta(days=10)

    response = client.post(
        url(equipment),
        json=NEW_CARD | {"effective_from": later.isoformat()},
        headers=headers["platform"],
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["effective_from"], body["in_force"]) == (at(later, 0), False)
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).hourly_rate == 300  # not yet
    listed = client.get(url(equipment), headers=headers["platform"]).get_json()["items"]
    assert [(item["id"], item["in_force"]) for item in listed] == [
        (body["id"], False),
        (first.id, True),
    ]


def test_the_list_is_paginated(client, headers, equipment):
    for days in (10, 20):
        body = NEW_CARD | {"effective_from": (TODAY + timedelta(days=days)).isoformat()}
        client.post(url(equipment), json=body, headers=headers["platform"])

    response = client.get(f"{url(equipment)}?per_page=2&page=2", headers=headers["sme"])

    body = response.get_json()
    assert (body["total"], len(body["items"]), body["items"][0]["in_force"]) == (3, 1, True)


def test_an_instrument_the_reader_cannot_see_has_no_visible_rate_cards(
    client, headers, api_headers, make_equipment, make_user
):
    hidden = make_equipment(active=False)  # inactive, of another platform
    owner = api_headers(make_user("platform", hidden.platform))

    assert_error(client.get(url(hidden), headers=headers["sme"]), 404, "not_found")
    assert_error(client.get(url(hidden), headers=headers["platform"]), 404, "not_found")
    assert_error(
        client.post(url(hidden), json=NEW_CARD, headers=headers["platform"]), 404, "not_found"
    )
    assert client.get(url(hidden), headers=owner).get_json()["total"] == 1


@pytest.mark.parametrize("who", ["sme", "other_platform", "finance", "admin"])
def test_only_the_owning_platform_adds_versions(
    client, api_headers, make_user, headers, equipment, who
):
    actor = headers["sme"] if who == "sme" else api_headers(make_user(who.removeprefix("other_")))
    before = written()

    response = client.post(url(equipment), json=NEW_CARD, headers=actor)

    assert_error(response, 403, "forbidden")
    assert written() == before


# --- refusals -------------------------------------------------------------------------------


def window(**changes) -> list[dict]:
    return [{"weekdays": None, "start": "18:00", "end": "08:00", "hourly_rate": "80.00"} | changes]


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"rate_windows": window(start="25:00")}, {"rate_windows.0.start"}),
        ({"rate_windows": window(end="18:00")}, {"rate_windows.0.end"}),
        ({"rate_windows": window(weekdays=[7])}, {"rate_windows.0.weekdays"}),
        ({"rate_windows": window(hourly_rate="-1")}, {"rate_windows.0.hourly_rate"}),
        (
            {"items": [*NEW_CARD["items"], {"code": "x", "label": "X", "unit_price": "1.234"}]},
            {"items.1.unit_price"},
        ),
        ({"items": [NEW_CARD["items"][0]] * 2}, {"items"}),
        ({"no_show_fee": {"kind": "daily", "value": "1"}}, {"no_show_fee"}),
        ({"late_cancellation_fee": {"kind": "percent", "value": "150"}}, {"late_cancellation_fee"}),
        ({"billing_increment_minutes": 0}, {"billing_increment_minutes"}),
        ({"hourly_rate": "-1", "setup_fee": "abc"}, {"hourly_rate", "setup_fee"}),
        ({"effective_from": (TODAY - timedelta(days=1)).isoformat()}, {"effective_from"}),
        ({"effective_from": "next month"}, {"effective_from"}),
    ],
)
def test_unusable_values_are_keyed_by_path_and_change_nothing(
    client, headers, equipment, change, fields
):
    before = written()

    response = client.post(url(equipment), json=NEW_CARD | change, headers=headers["platform"])

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == fields
    assert written() == before
    assert db.session.get(Equipment, equipment.id).hourly_rate == 300


def test_missing_rates_are_required(client, headers, equipment):
    response = client.post(url(equipment), json={}, headers=headers["platform"])

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == {
        "hourly_rate",
        "setup_fee",
        "min_charge_minutes",
        "billing_increment_minutes",
    }


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourly_rate": 300}, "hourly_rate"),
        ({"min_charge_minutes": "60"}, "min_charge_minutes"),
        ({"rate_windows": window(weekdays="Mon")}, "rate_windows.0.weekdays"),
        ({"rate_windows": window(start=1800)}, "rate_windows.0.start"),
        ({"no_show_fee": {"kind": "fixed", "value": 100}}, "no_show_fee.value"),
        ({"items": [{"code": "a", "label": "A", "unit_price": "1.00", "tax": "0"}]}, "items.0.tax"),
        ({"currency": "CNY"}, "currency"),
    ],
)
def test_wrong_types_are_a_bad_request(client, headers, equipment, change, field):
    before = written()

    response = client.post(url(equipment), json=NEW_CARD | change, headers=headers["platform"])

    assert field in assert_error(response, 400, "bad_request")["details"]["fields"]
    assert written() == before


# --- the frozen rate card -------------------------------------------------------------------


def test_a_new_version_prices_only_bookings_made_after_it(client, headers, equipment):
    first = rate_cards.in_force(equipment)
    body = {"equipment_id": equipment.id, "start": at(NEXT_WEEK, 10), "end": at(NEXT_WEEK, 12)}
    before = client.post("/api/v1/bookings", json=body, headers=headers["sme"]).get_json()

    added = client.post(url(equipment), json=NEW_CARD, headers=headers["platform"]).get_json()
    later_body = body | {"start": at(NEXT_WEEK, 14), "end": at(NEXT_WEEK, 16)}
    after = client.post("/api/v1/bookings", json=later_body, headers=headers["sme"]).get_json()

    assert (after["rate_card_id"], after["hourly_rate"], after["estimated_fee"]) == (
        added["id"],
        "200.00",
        "430.00",  # 2 h x 200.00 + 30.00 setup
    )
    kept = client.get(f"/api/v1/bookings/{before['id']}", headers=headers["sme"]).get_json()
    assert (kept["rate_card_id"], kept["hourly_rate"], kept["estimated_fee"]) == (
        first.id,
        "300.00",
        "600.00",
    )


def test_a_scheduled_version_applies_to_bookings_made_once_it_is_in_force(
    client, headers, equipment, sme_user
):
    first = rate_cards.in_force(equipment)
    takes_effect = TODAY + timedelta(days=5)
    scheduled = client.post(
        url(equipment),
        json=NEW_CARD | {"effective_from": takes_effect.isoformat()},
        headers=headers["platform"],
    ).get_json()
    slot_after_the_change = TODAY + timedelta(days=12)

    made_today = bookings.create_booking(
        sme_user, equipment.id, local(slot_after_the_change, 10), local(slot_after_the_change, 12)
    )
    made_after = bookings.create_booking(
        sme_user,
        equipment.id,
        local(slot_after_the_change, 14),
        local(slot_after_the_change, 16),
        now=local(takes_effect, 9),
    )
    db.session.commit()

    # what counts is when the booking was made, not when the slot is
    assert made_today.rate_card_id == first.id
    assert made_after.rate_card_id == scheduled["id"]


def test_use_is_priced_by_the_version_the_booking_was_made_under(
    client, headers, make_equipment, platform_user, sme_user
):
    equipment = make_equipment(platform_user.organization, requires_approval=False)
    now = datetime.now(UTC)
    version_since(equipment, now - timedelta(days=30), hourly_rate="150.00", setup_fee="60.00")
    version_since(equipment, now - timedelta(days=10), hourly_rate="200.00", setup_fee="0.00")
    old_day, new_day = TODAY - timedelta(days=18), TODAY - timedelta(days=3)
    made_under_old = book_in_the_past(sme_user, equipment, old_day, 10, 12)
    made_under_new = book_in_the_past(sme_user, equipment, new_day, 10, 12)

    # the same 70 minutes of use, billed as 90; today's card (300.00/h) prices neither
    old = record_use(client, headers, made_under_old, local(old_day, 10), local(old_day, 11, 10))
    new = record_use(client, headers, made_under_new, local(new_day, 10), local(new_day, 11, 10))

    assert (old["billable_minutes"], old["fee"]) == (90, "285.00")  # 225.00 + 60.00 setup
    assert (new["billable_minutes"], new["fee"]) == (90, "300.00")  # 300.00, no setup


def test_an_off_peak_window_prices_evening_use_exact_to_the_fen(
    client, headers, make_equipment, platform_user, sme_user
):
    equipment = make_equipment(platform_user.organization, requires_approval=False)
    version_since(
        equipment,
        datetime.now(UTC) - timedelta(days=30),
        hourly_rate="157.35",
        setup_fee="25.00",
        billing_increment_minutes=1,
        rate_windows=[{"weekdays": None, "start": "18:00", "end": "08:00", "hourly_rate": "83.17"}],
    )
    day = TODAY - timedelta(days=3)
    booking = book_in_the_past(sme_user, equipment, day, 17, 19)

    record = record_use(client, headers, booking, local(day, 17, 13), local(day, 18, 47))

    # 47 min at 157.35/h = 123.2575 -> 123.26; 47 min at 83.17/h = 65.1498... -> 65.15
    assert [
        (line["kind"], line["minutes"], line["unit_price"], line["amount"])
        for line in record["lines"]
    ] == [
        ("time", 47, "157.35", "123.26"),
        ("time", 47, "83.17", "65.15"),
        ("setup", None, "25.00", "25.00"),
    ]
    assert (record["billable_minutes"], record["fee"]) == (94, "213.41")


def test_the_openapi_document_lists_the_rate_card_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/equipment/{equipment_id}/rate-cards"])
