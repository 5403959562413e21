"""GET /api/v1/statements: the statement as JSON, period bounds as dates or instants, and who
may see which organisation's statement."""

from datetime import date

import pytest

from tests.statement_helpers import (
    RATE,
    SETUP,
    confirmed_use,
    disputed_use,
    local,
    no_show_charge,
    recorded_use,
    use_in_progress,
)

URL = "/api/v1/statements"
MARCH = {"from": "2026-03-01", "to": "2026-04-01"}
DAY = date(2026, 3, 10)


@pytest.fixture
def platform_user(make_user, make_org):
    return make_user("platform", make_org("platform", name="煤炭创新平台"))


@pytest.fixture
def sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", name="吕梁新材料有限公司"))


@pytest.fixture
def other_sme_user(make_user):
    return make_user("sme")


@pytest.fixture
def xrd(make_equipment, platform_user):
    return make_equipment(
        platform_user.organization, name="X射线衍射仪", hourly_rate=RATE, setup_fee=SETUP
    )


@pytest.fixture
def records(platform_user, sme_user, other_sme_user, xrd):
    return {
        "confirmed": confirmed_use(platform_user, sme_user, xrd, local(DAY, 9)),
        "disputed": disputed_use(platform_user, sme_user, xrd, local(DAY, 14), hours=1),
        "no_show": no_show_charge(platform_user, sme_user, xrd, local(DAY, 18)),
        "in_progress": use_in_progress(platform_user, sme_user, xrd, local(date(2026, 3, 12), 9)),
        "at_start": recorded_use(platform_user, sme_user, xrd, local(date(2026, 3, 1))),
        "at_end": recorded_use(platform_user, sme_user, xrd, local(date(2026, 4, 1))),
        "other_sme": recorded_use(platform_user, other_sme_user, xrd, local(DAY, 20)),
    }


def get(client, headers, **query):
    return client.get(URL, headers=headers, query_string=query)


def test_an_sme_gets_its_statement_with_lines_groups_and_totals(
    client, api_headers, sme_user, platform_user, xrd, records
):
    response = get(client, api_headers(sme_user), organization_id=sme_user.organization_id, **MARCH)

    assert response.status_code == 200
    body = response.json
    assert body["organization_id"] == sme_user.organization_id
    assert body["organization_name"] == "吕梁新材料有限公司"
    assert body["kind"] == "sme"
    assert (body["from"], body["to"]) == ("2026-03-01T00:00:00+08:00", "2026-04-01T00:00:00+08:00")
    # the record at exactly `from` is in, the one at exactly `to` is not
    assert [line["usage_id"] for line in body["lines"]] == [
        records[name].id for name in ("at_start", "confirmed", "disputed", "no_show")
    ]
    assert body["lines"][1] == {
        "usage_id": records["confirmed"].id,
        "booking_id": records["confirmed"].booking_id,
        "kind": "usage",
        "status": "confirmed",
        "equipment_id": xrd.id,
        "equipment_name": "X射线衍射仪",
        "counterparty_id": platform_user.organization_id,
        "counterparty_name": "煤炭创新平台",
        "occurred_at": "2026-03-10T09:00:00+08:00",
        "actual_start": "2026-03-10T09:00:00+08:00",
        "actual_end": "2026-03-10T11:00:00+08:00",
        "billable_minutes": 120,
        "fee": "360.00",
    }
    no_show = body["lines"][3]
    assert (no_show["kind"], no_show["actual_start"], no_show["fee"]) == ("no_show", None, "90.00")
    assert body["total_fee"] == "1020.00"  # 360 + 360 + 210 + 90
    assert body["totals_by_status"] == {
        "recorded": "450.00",
        "disputed": "210.00",
        "confirmed": "360.00",
    }
    assert body["in_progress_count"] == 1
    (group,) = body["groups"]
    assert (group["counterparty_id"], group["subtotal"]) == (
        platform_user.organization_id,
        "1020.00",
    )
    assert group["usage_ids"] == [line["usage_id"] for line in body["lines"]]
    assert group["instruments"] == [
        {
            "equipment_id": xrd.id,
            "equipment_name": "X射线衍射仪",
            "subtotal": "1020.00",
            "usage_ids": group["usage_ids"],
        }
    ]


def test_a_platform_gets_its_earnings_by_sme(
    client, api_headers, platform_user, sme_user, other_sme_user, records
):
    response = get(
        client, api_headers(platform_user), organization_id=platform_user.organization_id, **MARCH
    )

    body = response.json
    assert response.status_code == 200
    assert body["kind"] == "platform"
    subtotals = {group["counterparty_id"]: group["subtotal"] for group in body["groups"]}
    assert subtotals == {
        sme_user.organization_id: "1020.00",
        other_sme_user.organization_id: "360.00",
    }
    assert all(group["instruments"] == [] for group in body["groups"])
    assert body["total_fee"] == "1380.00"


def test_bounds_may_be_instants_with_or_without_an_offset(client, api_headers, sme_user, records):
    # 09:00 is in, the 14:00 use is out: `to` is excluded; a naive time is Shanghai time
    response = get(
        client,
        api_headers(sme_user),
        organization_id=sme_user.organization_id,
        **{"from": "2026-03-10T01:00:00Z", "to": "2026-03-10T14:00:00"},
    )

    assert response.status_code == 200
    assert [line["usage_id"] for line in response.json["lines"]] == [records["confirmed"].id]
    assert response.json["from"] == "2026-03-10T09:00:00+08:00"


@pytest.mark.parametrize("role", ["finance", "admin"])
def test_finance_and_admin_get_any_statement(
    client, api_headers, make_user, role, sme_user, records
):
    response = get(
        client, api_headers(make_user(role)), organization_id=sme_user.organization_id, **MARCH
    )

    assert response.status_code == 200
    assert response.json["total_fee"] == "1020.00"


@pytest.mark.parametrize(
    ("viewer", "owner"),
    [
        ("other_sme_user", "sme_user"),
        ("platform_user", "sme_user"),
        ("sme_user", "platform_user"),
    ],
)
def test_another_organisation_s_statement_is_not_found(
    request, client, api_headers, records, viewer, owner
):
    headers = api_headers(request.getfixturevalue(viewer))
    organization_id = request.getfixturevalue(owner).organization_id

    response = get(client, headers, organization_id=organization_id, **MARCH)

    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    # the same answer as for an organisation that does not exist
    missing = get(client, headers, organization_id=2**31 - 1, **MARCH)
    assert (missing.status_code, missing.json) == (404, response.json)


OWN = "the SME's own organisation id"


@pytest.mark.parametrize(
    ("query", "status", "fields"),
    [
        ({}, 422, {"organization_id", "from", "to"}),
        ({"from": "2026-03-01"}, 422, {"organization_id", "to"}),
        ({"organization_id": OWN, "from": "2026-03-32", "to": "tomorrow"}, 422, {"from", "to"}),
        ({"organization_id": OWN, "from": "2026-04-01", "to": "2026-03-01"}, 422, {"to"}),
        ({"organization_id": OWN, "from": "2026-04-01", "to": "2026-04-01"}, 422, {"to"}),
        ({"organization_id": OWN, "from": "2026-01-01", "to": "2027-01-03"}, 422, {"to"}),
        ({"organization_id": "0", **MARCH}, 422, {"organization_id"}),
        ({"organization_id": "abc", **MARCH}, 400, {"organization_id"}),
        ({"organization_id": OWN, "period": "march", **MARCH}, 400, {"period"}),
    ],
)
def test_bad_parameters_are_refused_with_the_field_named(
    client, api_headers, sme_user, query, status, fields
):
    own = sme_user.organization_id
    query = {name: own if value == OWN else value for name, value in query.items()}

    response = get(client, api_headers(sme_user), **query)

    assert response.status_code == status
    error = response.json["error"]
    assert error["code"] == ("validation_error" if status == 422 else "bad_request")
    assert set(error["details"]["fields"]) == fields


def test_without_a_token_there_is_no_statement(client, sme_user):
    response = client.get(URL, query_string={"organization_id": sme_user.organization_id, **MARCH})

    assert response.status_code == 401


def test_the_openapi_document_says_to_is_excluded(client):
    operation = client.get("/api/v1/openapi.json").json["paths"][URL]["get"]

    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert {"organization_id", "from", "to"} <= set(parameters)
    assert "excluded" in parameters["to"]["description"]
    assert "404" in operation["responses"]
