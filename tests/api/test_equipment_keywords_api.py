"""Keywords through the API: an optional list of texts on the instrument, matched by `q`."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import Equipment
from tests.conftest import count_rows

SEM = {
    "name": "扫描电子显微镜",
    "name_en": "Scanning electron microscope",
    "category": "microscopy",
    "hourly_rate": "800.00",
}


@pytest.fixture
def platform_headers(platform_user, api_headers):
    return api_headers(platform_user)


def test_keywords_are_optional_and_answered_as_a_list(client, platform_headers):
    response = client.post("/api/v1/equipment", json=SEM, headers=platform_headers)

    assert response.status_code == 201
    assert response.get_json()["keywords"] == []


def test_published_keywords_find_the_instrument(client, platform_headers, make_user, api_headers):
    created = client.post(
        "/api/v1/equipment",
        json=SEM | {"keywords": ["SEM", "扫描电镜", " SEM "]},
        headers=platform_headers,
    ).get_json()
    client.post(
        "/api/v1/equipment",
        json=SEM | {"name": "透射电子显微镜", "name_en": "TEM", "keywords": ["透射电镜"]},
        headers=platform_headers,
    )
    sme = api_headers(make_user("sme"))

    assert created["keywords"] == ["SEM", "扫描电镜"]
    for text in ("SEM", "扫描电镜", "扫描电子显微镜"):
        answer = client.get("/api/v1/equipment", query_string={"q": text}, headers=sme).get_json()
        assert [item["id"] for item in answer["items"]] == [created["id"]], text


def test_patch_replaces_the_keywords(client, platform_user, platform_headers, make_equipment):
    equipment = make_equipment(platform_user.organization, keywords=["SEM"])

    response = client.patch(
        f"/api/v1/equipment/{equipment.id}", json={"keywords": ["EDS"]}, headers=platform_headers
    )

    assert response.status_code == 200
    assert response.get_json()["keywords"] == ["EDS"]
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).keywords == ["EDS"]


@pytest.mark.parametrize("keywords", [["x" * 51], ["SEM, TEM"], [f"k{n}" for n in range(21)]])
def test_unacceptable_keywords_are_a_validation_error(client, platform_headers, keywords):
    response = client.post(
        "/api/v1/equipment", json=SEM | {"keywords": keywords}, headers=platform_headers
    )

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {"keywords"}
    assert count_rows(Equipment) == 0


@pytest.mark.parametrize("keywords", ["SEM", [1], None, {"a": "b"}])
def test_keywords_of_the_wrong_type_are_a_bad_request(client, platform_headers, keywords):
    response = client.post(
        "/api/v1/equipment", json=SEM | {"keywords": keywords}, headers=platform_headers
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert count_rows(Equipment) == 0


def test_the_document_describes_keywords(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]

    for name in ("EquipmentCreate", "EquipmentUpdate", "Equipment"):
        keywords = schemas[name]["properties"]["keywords"]
        assert keywords["type"] == "array"
        assert keywords["items"]["type"] == "string"
