"""Instruments through the API: publishing, editing, visibility, the catalogue and its pages."""

from decimal import Decimal

import pytest

from equipment_share.api.schemas import (
    EquipmentCreateSchema,
    EquipmentSchema,
    EquipmentUpdateSchema,
)
from equipment_share.domain.equipment import CATEGORIES, FIELDS
from equipment_share.extensions import db
from equipment_share.models import Equipment, OrganizationStatus
from tests.conftest import count_rows

FULL_EQUIPMENT = {
    "name": "Gas chromatograph",
    "name_en": "Gas chromatograph GC-2030",
    "category": "chromatography",
    "model": "Shimadzu GC-2030",
    "location": "Building 3, room 204",
    "description": "FID and TCD detectors.",
    "timezone": "Asia/Shanghai",
    "hourly_rate": "360.00",
    "setup_fee": "50.5",
    "min_charge_minutes": 60,
    "billing_increment_minutes": 30,
    "slot_minutes": 30,
    "min_booking_minutes": 60,
    "max_booking_minutes": 480,
    "lead_time_hours": 48,
    "horizon_days": 90,
    "cancellation_deadline_hours": 12,
    "requires_approval": False,
    "active": True,
}


@pytest.fixture
def platform_headers(platform_user, api_headers):
    return api_headers(platform_user)


def test_platform_publishes_an_instrument_with_money_as_strings(
    client, platform_user, platform_headers
):
    response = client.post("/api/v1/equipment", json=FULL_EQUIPMENT, headers=platform_headers)

    assert response.status_code == 201
    body = response.get_json()
    assert body["hourly_rate"] == "360.00"
    assert body["setup_fee"] == "50.50"
    assert body["platform_id"] == platform_user.organization_id
    assert body["platform_name"] == platform_user.organization.name
    assert body["photo_url"] is None
    assert body["created_at"].endswith("+08:00")
    for name, value in FULL_EQUIPMENT.items():
        if name not in ("hourly_rate", "setup_fee"):
            assert body[name] == value, name
    stored = db.session.get(Equipment, body["id"])
    assert stored.hourly_rate == Decimal("360.00")
    assert stored.requires_approval is False


@pytest.mark.parametrize("schema", [EquipmentCreateSchema, EquipmentUpdateSchema, EquipmentSchema])
def test_the_api_speaks_every_instrument_field_of_the_domain(schema):
    """A field added to the domain must be added to the API too, or clients cannot set it."""
    assert set(FIELDS) <= set(schema().fields)


def test_omitted_fields_take_the_defaults(client, platform_headers):
    response = client.post(
        "/api/v1/equipment",
        json={"name": "SEM", "category": "microscopy", "hourly_rate": "800"},
        headers=platform_headers,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["setup_fee"] == "0.00"
    assert body["slot_minutes"] == 30
    assert body["requires_approval"] is True
    assert body["active"] is True


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hourly_rate", "-1.00"),
        ("hourly_rate", "12.345"),
        ("hourly_rate", "a lot"),
        ("hourly_rate", ""),
        ("setup_fee", "NaN"),
        ("hourly_rate", "1_000"),
        ("hourly_rate", "１００.00"),  # full-width digits
        ("hourly_rate", " 100.00"),
        ("hourly_rate", "100.00 "),
        ("hourly_rate", "+100"),
        ("hourly_rate", "1e3"),
        ("setup_fee", "100."),
        ("timezone", "Factory"),
        ("timezone", "posixrules"),
        ("timezone", "localtime"),
        ("timezone", "asia/shanghai"),
        ("name", "x" * 201),
        ("name", "   "),
        ("category", "time_machines"),
        ("timezone", "Mars/Olympus_Mons"),
        ("slot_minutes", 7),  # does not divide a day
        ("slot_minutes", 0),
        ("min_booking_minutes", 45),  # not a multiple of the slot
        ("lead_time_hours", -1),
        ("horizon_days", 10**12),
    ],
)
def test_invalid_values_are_a_validation_error_and_write_nothing(
    client, platform_headers, field, value
):
    response = client.post(
        "/api/v1/equipment", json=FULL_EQUIPMENT | {field: value}, headers=platform_headers
    )

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]
    assert count_rows(Equipment) == 0


def test_missing_required_fields_are_a_validation_error(client, platform_headers):
    response = client.post("/api/v1/equipment", json={}, headers=platform_headers)

    assert response.status_code == 422
    fields = response.get_json()["error"]["details"]["fields"]
    assert {"name", "category", "hourly_rate"} <= set(fields)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("hourly_rate", 360),  # money is never a JSON number
        ("hourly_rate", 360.5),
        ("setup_fee", 0),
        ("slot_minutes", "30"),
        ("slot_minutes", 30.0),
        ("slot_minutes", True),
        ("slot_minutes", None),
        ("requires_approval", "yes"),
        ("requires_approval", 1),
        ("name", 12),
        ("name", ["GC"]),
        ("colour", "blue"),  # unknown field
    ],
)
def test_wrong_types_and_unknown_fields_are_a_bad_request(client, platform_headers, field, value):
    response = client.post(
        "/api/v1/equipment", json=FULL_EQUIPMENT | {field: value}, headers=platform_headers
    )

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert field in error["details"]["fields"]
    assert count_rows(Equipment) == 0


@pytest.mark.parametrize("role", ["sme", "finance", "admin"])
def test_only_platforms_publish_instruments(client, make_user, api_headers, role):
    response = client.post(
        "/api/v1/equipment", json=FULL_EQUIPMENT, headers=api_headers(make_user(role))
    )

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert count_rows(Equipment) == 0


def test_owner_patches_only_the_given_fields(
    client, platform_user, platform_headers, make_equipment
):
    equipment = make_equipment(platform_user.organization, name="Old name", hourly_rate="100.00")

    response = client.patch(
        f"/api/v1/equipment/{equipment.id}",
        json={"hourly_rate": "120.50", "active": False},
        headers=platform_headers,
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["hourly_rate"] == "120.50"
    assert body["active"] is False
    assert body["name"] == "Old name"
    db.session.expire_all()
    assert equipment.hourly_rate == Decimal("120.50")


def test_invalid_patch_changes_nothing(client, platform_user, platform_headers, make_equipment):
    equipment = make_equipment(platform_user.organization, name="Kept", hourly_rate="100.00")

    response = client.patch(
        f"/api/v1/equipment/{equipment.id}",
        json={"name": "Renamed", "hourly_rate": "-5"},
        headers=platform_headers,
    )

    assert response.status_code == 422
    db.session.expire_all()
    assert equipment.name == "Kept"
    assert equipment.hourly_rate == Decimal("100.00")


def test_another_platform_cannot_patch(client, make_user, api_headers, make_equipment):
    equipment = make_equipment(name="Theirs")

    response = client.patch(
        f"/api/v1/equipment/{equipment.id}",
        json={"name": "Mine now"},
        headers=api_headers(make_user("platform")),
    )

    assert response.status_code == 403
    db.session.expire_all()
    assert equipment.name == "Theirs"


@pytest.mark.parametrize("role", ["sme", "admin"])
def test_only_the_owning_platform_patches(client, make_user, api_headers, make_equipment, role):
    equipment = make_equipment()

    response = client.patch(
        f"/api/v1/equipment/{equipment.id}", json={}, headers=api_headers(make_user(role))
    )

    assert response.status_code == 403


def test_inactive_instrument_is_hidden_from_others_not_forbidden(
    client, make_user, make_org, api_headers, make_equipment
):
    platform = make_org("platform")
    equipment = make_equipment(platform, active=False)
    url = f"/api/v1/equipment/{equipment.id}"

    assert client.get(url, headers=api_headers(make_user("sme"))).status_code == 404
    assert client.get(url, headers=api_headers(make_user("platform"))).status_code == 404
    other_platform_patch = client.patch(
        url, json={"active": True}, headers=api_headers(make_user("platform"))
    )
    assert other_platform_patch.status_code == 404
    assert client.get(url, headers=api_headers(make_user("platform", platform))).status_code == 200
    assert client.get(url, headers=api_headers(make_user("admin"))).status_code == 200


def test_pending_platforms_instruments_are_invisible(
    client, make_user, make_org, api_headers, make_equipment
):
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    hidden = make_equipment(pending)
    shown = make_equipment()
    headers = api_headers(make_user("sme"))

    listed = client.get("/api/v1/equipment", headers=headers).get_json()

    assert [item["id"] for item in listed["items"]] == [shown.id]
    assert client.get(f"/api/v1/equipment/{hidden.id}", headers=headers).status_code == 404


def test_unknown_instrument_is_not_found(client, make_user, api_headers):
    response = client.get("/api/v1/equipment/2147483648", headers=api_headers(make_user("sme")))

    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"


def test_platform_sees_its_own_inactive_instruments_in_the_catalogue(
    client, platform_user, platform_headers, make_equipment
):
    own_inactive = make_equipment(platform_user.organization, active=False)
    foreign_inactive = make_equipment(active=False)

    listed = client.get("/api/v1/equipment", headers=platform_headers).get_json()

    ids = [item["id"] for item in listed["items"]]
    assert own_inactive.id in ids
    assert foreign_inactive.id not in ids


def test_catalogue_filters(client, make_user, make_org, api_headers, make_equipment):
    platform = make_org("platform")
    gc = make_equipment(platform, name="Gas chromatograph", category="chromatography")
    sem = make_equipment(platform, name="Scanning electron microscope", category="microscopy")
    elsewhere = make_equipment(name="Benchtop SEM", category="microscopy")
    headers = api_headers(make_user("sme"))

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/equipment?{query}", headers=headers)
        assert response.status_code == 200
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("q=chromatograph") == [gc.id]
    assert ids("q=SEM") == [elsewhere.id]  # name match, case-insensitive "sem" is in neither other
    assert ids("category=microscopy") == [sem.id, elsewhere.id]
    assert ids(f"platform_id={platform.id}") == [gc.id, sem.id]
    assert ids(f"category=microscopy&platform_id={platform.id}") == [sem.id]
    assert ids("q=nothing-like-this") == []


def test_an_unknown_category_filter_is_a_validation_error(client, make_user, api_headers):
    """The document lists the categories: another one is refused, not answered with no rows."""
    response = client.get("/api/v1/equipment?category=AAA", headers=api_headers(make_user("sme")))

    assert response.status_code == 422
    assert list(response.get_json()["error"]["details"]["fields"]) == ["category"]


def test_catalogue_pages(client, make_user, api_headers, make_equipment):
    platform = make_user("platform").organization
    created = [make_equipment(platform).id for _ in range(5)]
    headers = api_headers(make_user("sme"))

    first = client.get("/api/v1/equipment?per_page=2", headers=headers).get_json()
    last = client.get("/api/v1/equipment?per_page=2&page=3", headers=headers).get_json()
    beyond = client.get("/api/v1/equipment?per_page=2&page=4", headers=headers).get_json()
    default = client.get("/api/v1/equipment", headers=headers).get_json()

    assert first == first | {"page": 1, "per_page": 2, "total": 5}
    assert [item["id"] for item in first["items"]] == created[:2]
    assert [item["id"] for item in last["items"]] == created[4:]
    assert beyond["items"] == [] and beyond["total"] == 5
    assert default["per_page"] == 50 and default["page"] == 1


def test_per_page_of_200_is_allowed(client, make_user, api_headers):
    response = client.get("/api/v1/equipment?per_page=200", headers=api_headers(make_user("sme")))

    assert response.status_code == 200
    assert response.get_json()["per_page"] == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=201", "per_page"),
        ("per_page=0", "per_page"),
        ("page=0", "page"),
        ("page=-3", "page"),
    ],
)
def test_out_of_range_query_values_are_a_validation_error(
    client, make_user, api_headers, query, field
):
    """per_page above 200 is refused, not capped: the client learns its page was not served."""
    response = client.get(f"/api/v1/equipment?{query}", headers=api_headers(make_user("sme")))

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"
    assert field in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("per_page=many", "per_page"),
        ("page=1.5", "page"),
        ("platform_id=abc", "platform_id"),
        ("free_at=2026-12-01T09:00", "free_at"),  # unknown: refused, not ignored
    ],
)
def test_malformed_or_unknown_query_parameters_are_a_bad_request(
    client, make_user, api_headers, query, field
):
    response = client.get(f"/api/v1/equipment?{query}", headers=api_headers(make_user("sme")))

    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]


def test_photo_url_points_at_the_photo_page(client, make_user, api_headers, make_equipment):
    equipment = make_equipment(photo_filename="equipment-1-abc.png")

    body = client.get(
        f"/api/v1/equipment/{equipment.id}", headers=api_headers(make_user("sme"))
    ).get_json()

    assert body["photo_url"] == f"/equipment/{equipment.id}/photo"


def test_categories_list_the_keys_the_api_speaks(client, make_user, api_headers):
    response = client.get("/api/v1/categories", headers=api_headers(make_user("sme")))

    body = response.get_json()
    assert [item["key"] for item in body["items"]] == list(CATEGORIES)
    assert body["total"] == len(CATEGORIES)
    assert all(item["label"] for item in body["items"])


def test_all_value_problems_of_a_query_are_reported_together(client, make_user, api_headers):
    response = client.get(
        "/api/v1/equipment?per_page=500&platform_id=0", headers=api_headers(make_user("sme"))
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"per_page", "platform_id"}


def test_catalogue_text_search_takes_percent_and_underscore_literally(
    client, make_user, api_headers, make_equipment
):
    percent = make_equipment(name="纯度 100% 分析仪")
    underscore = make_equipment(name="Model a_b")
    make_equipment(name="Model axb")
    headers = api_headers(make_user("sme"))

    def ids(text: str) -> list[int]:
        response = client.get("/api/v1/equipment", query_string={"q": text}, headers=headers)
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("%") == [percent.id]
    assert ids("_") == [underscore.id]
    assert ids("a_b") == [underscore.id]
