"""An instrument's original value (原值) and purchase year: optional, read and written by the API."""

from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Equipment

NEW_INSTRUMENT = {
    "name": "电感耦合等离子体质谱仪",
    "category": "spectroscopy",
    "hourly_rate": "400.00",
}


@pytest.fixture
def platform_headers(platform_user, api_headers):
    return api_headers(platform_user)


def test_an_instrument_carries_its_original_value_and_purchase_year(client, platform_headers):
    body = NEW_INSTRUMENT | {"original_value": "1250000.00", "purchase_year": 2019}

    response = client.post("/api/v1/equipment", json=body, headers=platform_headers)

    assert response.status_code == 201
    assert response.get_json()["original_value"] == "1250000.00"
    assert response.get_json()["purchase_year"] == 2019
    equipment = db.session.get(Equipment, response.get_json()["id"])
    assert equipment.original_value == Decimal("1250000.00")


def test_both_are_null_when_unknown_and_can_be_cleared(client, platform_headers):
    created = client.post("/api/v1/equipment", json=NEW_INSTRUMENT, headers=platform_headers)
    assert created.get_json()["original_value"] is None
    assert created.get_json()["purchase_year"] is None
    path = f"/api/v1/equipment/{created.get_json()['id']}"
    client.patch(path, json={"original_value": "600000.00"}, headers=platform_headers)

    response = client.patch(path, json={"original_value": None}, headers=platform_headers)

    assert response.status_code == 200
    assert response.get_json()["original_value"] is None


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"original_value": "-1.00"}, "original_value"),
        ({"original_value": "12.345"}, "original_value"),
        ({"purchase_year": 1492}, "purchase_year"),
    ],
)
def test_bad_values_are_refused_and_change_nothing(client, platform_headers, changes, field):
    response = client.post(
        "/api/v1/equipment", json=NEW_INSTRUMENT | changes, headers=platform_headers
    )

    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Equipment)) == 0


def test_a_number_for_the_value_is_a_bad_request(client, platform_headers):
    body = NEW_INSTRUMENT | {"original_value": 500000}

    response = client.post("/api/v1/equipment", json=body, headers=platform_headers)

    assert response.status_code == 400
