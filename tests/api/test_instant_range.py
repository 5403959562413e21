"""Instants and dates far outside any schedule (year 1, year 9999) are a validation error (422),
in query strings and in JSON bodies alike; they used to overflow in the services (500)."""

import pytest

from equipment_share.models import Booking, IdleWindow, RateCardVersion
from tests.conftest import count_rows

EARLY = "0001-01-01T00:00:00Z"
LATE = "9999-12-31T23:59:59Z"
IN_RANGE = "2026-12-01T09:00:00+08:00"


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, requires_approval=False)


@pytest.fixture
def headers(api_headers, platform_user, sme_user):
    return {"platform": api_headers(platform_user), "sme": api_headers(sme_user)}


def assert_invalid(response, field: str) -> None:
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (f"from={EARLY}", "from"),
        (f"to={LATE}", "to"),
        (f"from={EARLY}&to={LATE}", "from"),
        ("from=0001-01-01T00:00:00", "from"),  # naive: read at +08:00, before year 1 in UTC
        ("to=9999-12-31T23:59:59-12:00", "to"),  # after year 9999 in UTC
    ],
)
def test_availability_refuses_instants_out_of_range(client, headers, equipment, query, field):
    response = client.get(
        f"/api/v1/equipment/{equipment.id}/availability?{query}", headers=headers["sme"]
    )

    assert_invalid(response, field)


@pytest.mark.parametrize(
    ("path", "field"),
    [
        (f"/api/v1/bookings?from={EARLY}", "from"),
        (f"/api/v1/bookings?to={LATE}", "to"),
        (f"/api/v1/usage?from={EARLY}&to={LATE}", "from"),
        (f"/api/v1/equipment?free_from={EARLY}&free_to=0001-01-02T00:00:00Z", "free_from"),
        (f"/api/v1/equipment?free_from=9999-12-31T00:00:00Z&free_to={LATE}", "free_to"),
    ],
)
def test_list_filters_refuse_instants_out_of_range(client, headers, equipment, path, field):
    assert_invalid(client.get(path, headers=headers["sme"]), field)


def test_statements_refuse_bounds_out_of_range(client, headers, sme_user):
    organization = sme_user.organization_id
    response = client.get(
        f"/api/v1/statements?organization_id={organization}&from=0001-01-01&to=9999-12-31",
        headers=headers["sme"],
    )

    assert_invalid(response, "from")


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [(EARLY, IN_RANGE, "start"), (IN_RANGE, LATE, "end"), ("9999-12-31T22:00:00Z", LATE, "start")],
)
def test_a_booking_out_of_range_is_a_validation_error(
    client, headers, equipment, start, end, field
):
    body = {"equipment_id": equipment.id, "start": start, "end": end}

    assert_invalid(client.post("/api/v1/bookings", json=body, headers=headers["sme"]), field)
    assert count_rows(Booking) == 0


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": EARLY, "end": IN_RANGE}, "start"),
        ({"start": IN_RANGE, "end": LATE}, "end"),
        (
            {"weekdays": [0], "start_time": "09:00", "end_time": "17:00", "valid_to": "9999-12-31"},
            "valid_to",
        ),
        (
            {
                "weekdays": [0],
                "start_time": "09:00",
                "end_time": "17:00",
                "valid_from": "0001-01-01",
            },
            "valid_from",
        ),
    ],
)
def test_an_idle_window_out_of_range_is_a_validation_error(client, headers, equipment, body, field):
    before = count_rows(IdleWindow)

    response = client.post(
        f"/api/v1/equipment/{equipment.id}/idle-windows", json=body, headers=headers["platform"]
    )

    assert_invalid(response, field)
    assert count_rows(IdleWindow) == before


def test_a_rate_card_from_year_9999_is_a_validation_error(client, headers, equipment):
    before = count_rows(RateCardVersion)
    body = {
        "effective_from": "9999-12-31",
        "hourly_rate": "300.00",
        "setup_fee": "0.00",
        "min_charge_minutes": 0,
        "billing_increment_minutes": 1,
    }

    response = client.post(
        f"/api/v1/equipment/{equipment.id}/rate-cards", json=body, headers=headers["platform"]
    )

    assert_invalid(response, "effective_from")
    assert count_rows(RateCardVersion) == before
