"""GET /api/v1/metrics/equipment and /metrics/city against the hand-computed month."""

import pytest

from tests import metrics_helpers

march = metrics_helpers.march
MARCH = {"from": "2026-03-01", "to": "2026-04-01"}


def test_a_platform_gets_its_instruments_metrics(client, march, api_headers):
    response = client.get(
        "/api/v1/metrics/equipment", query_string=MARCH, headers=api_headers(march.coal_user)
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2
    xrd = body["items"][0]
    assert xrd == xrd | {
        "equipment_id": march.xrd.id,
        "idle_hours": "368.00",
        "booked_hours": "7.00",
        "used_hours": "5.00",
        "shared_hours": "5.00",
        "utilisation": "0.0136",
        "smes_served": 2,
        "revenue": "960.00",
        "subsidy": "0.00",
        "no_shows": 1,
    }


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_get_every_instrument_or_one_platform_s(
    client, march, api_headers, make_user, role
):
    headers = api_headers(make_user(role))

    every = client.get("/api/v1/metrics/equipment", query_string=MARCH, headers=headers)
    foundry = client.get(
        "/api/v1/metrics/equipment",
        query_string=MARCH | {"platform_id": march.foundry_user.organization_id},
        headers=headers,
    )

    assert every.get_json()["total"] == 3
    assert [item["revenue"] for item in foundry.get_json()["items"]] == ["160.00"]


def test_an_sme_gets_403(client, march, api_headers):
    response = client.get(
        "/api/v1/metrics/equipment", query_string=MARCH, headers=api_headers(march.sme_a)
    )

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2026-04-01"}, "from"),
        ({"from": "2026-04-01", "to": "2026-03-01"}, "to"),
        ({"from": "2026-03-01", "to": "2028-03-01"}, "to"),
        ({"from": "March", "to": "2026-04-01"}, "from"),
    ],
)
def test_a_bad_period_is_a_validation_error(client, march, api_headers, make_user, query, field):
    response = client.get(
        "/api/v1/metrics/city", query_string=query, headers=api_headers(make_user("finance"))
    )

    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]


def test_city_metrics_for_finance(client, march, api_headers, make_user):
    response = client.get(
        "/api/v1/metrics/city", query_string=MARCH, headers=api_headers(make_user("finance"))
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["fees"], body["used_hours"], body["usage_records"]) == ("1220.00", "8.00", 5)
    assert [(row["name"], row["fees"]) for row in body["platforms"]] == [
        ("煤炭创新平台", "1060.00"),
        ("铸造平台", "160.00"),
    ]
    assert [row["fees"] for row in body["smes"]] == ["670.00", "550.00"]
    assert body["from"] == "2026-03-01T00:00:00+08:00"


@pytest.mark.parametrize("role", ["platform", "sme"])
def test_city_metrics_are_forbidden_to_platforms_and_smes(client, api_headers, make_user, role):
    response = client.get(
        "/api/v1/metrics/city", query_string=MARCH, headers=api_headers(make_user(role))
    )

    assert response.status_code == 403


def test_the_metrics_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"/api/v1/metrics/equipment", "/api/v1/metrics/city"} <= set(paths)
