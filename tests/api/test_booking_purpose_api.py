"""A booking's purpose category: optional on POST /api/v1/bookings, research by default; subsidy
policies may count only some purposes."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import Booking
from tests.clock import at, next_weekday
from tests.conftest import count_rows

TUESDAY = next_weekday(1)


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, requires_approval=False)


def book(client, headers, equipment, hour, **values):
    body = {"equipment_id": equipment.id, "start": at(TUESDAY, hour), "end": at(TUESDAY, hour + 1)}
    return client.post("/api/v1/bookings", json=body | values, headers=headers)


def test_a_booking_is_for_research_unless_told_otherwise(client, api_headers, sme_user, equipment):
    response = book(client, api_headers(sme_user), equipment, 9)

    assert response.status_code == 201, response.json
    assert response.json["purpose_category"] == "research"


def test_the_purpose_category_is_kept(client, api_headers, sme_user, equipment):
    response = book(client, api_headers(sme_user), equipment, 9, purpose_category="certification")

    assert response.status_code == 201, response.json
    assert response.json["purpose_category"] == "certification"
    assert db.session.get(Booking, response.json["id"]).purpose_category == "certification"


def test_an_unknown_purpose_category_is_refused(client, api_headers, sme_user, equipment):
    response = book(client, api_headers(sme_user), equipment, 9, purpose_category="leisure")

    assert response.status_code == 422
    assert "purpose_category" in response.json["error"]["details"]["fields"]
    assert count_rows(Booking) == 0
