"""Budgets and pro rata through the API: finance creates and lists budgets, previews and applies
the scaling ({factor, total_before, total_after, claims: [{id, before, after}]}, money as
strings), the contract's errors, and a second apply changing nothing."""

from datetime import date
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Budget, Claim
from tests.conftest import count_rows
from tests.finance_helpers import YEAR, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local


@pytest.fixture
def finance_user(make_user):
    return make_user("finance", None)


@pytest.fixture
def headers(api_headers, finance_user, sme_user, platform_user, make_user):
    return {
        "finance": api_headers(finance_user),
        "admin": api_headers(make_user("admin", None)),
        "sme": api_headers(sme_user),
        "platform": api_headers(platform_user),
    }


@pytest.fixture
def claims(platform_user, sme_user, make_equipment):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    records = [
        confirmed_use(platform_user, sme_user, equipment, local(date(YEAR, 3, day), 9))
        for day in (2, 3)
    ]
    policy = make_policy()
    return [
        make_claim(sme_user, policy, [(records[0], {"province": "300.00", "city": "100.00"})]),
        make_claim(sme_user, policy, [(records[1], {"province": "100.00"})]),
    ]


def create(client, headers, role="finance", **body):
    values = {"year": YEAR, "source": "province", "amount": "200.00"} | body
    return client.post("/api/v1/budgets", json=values, headers=headers[role])


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["error"]["code"] == code
    return response.get_json()["error"]


def test_finance_creates_and_lists_budgets(client, headers):
    created = create(client, headers)
    create(client, headers, year=YEAR - 1)

    assert created.status_code == 201, created.get_data(as_text=True)
    assert created.get_json() | {"id": 0, "created_at": "", "created_by_id": 0} == {
        "id": 0,
        "year": YEAR,
        "source": "province",
        "amount": "200.00",
        "created_by_id": 0,
        "created_at": "",
    }
    listed = client.get(f"/api/v1/budgets?year={YEAR}", headers=headers["admin"]).get_json()
    assert [item["year"] for item in listed["items"]] == [YEAR]
    assert client.get("/api/v1/budgets", headers=headers["finance"]).get_json()["total"] == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"amount": 200}, 400, "bad_request"),  # money is a string, never a number
        ({"year": "2026"}, 400, "bad_request"),
        ({"amount": "-1.00"}, 422, "validation_error"),
        ({"source": " "}, 422, "validation_error"),
        ({"year": 1900}, 422, "validation_error"),
    ],
)
def test_a_bad_budget_is_refused(client, headers, body, status, code):
    assert_error(create(client, headers, **body), status, code)
    assert count_rows(Budget) == 0


def test_a_second_budget_for_the_year_and_source_conflicts(client, headers):
    create(client, headers)

    assert_error(create(client, headers, amount="1.00"), 409, "invalid_state")
    assert count_rows(Budget) == 1


@pytest.mark.parametrize("role", ["sme", "platform"])
def test_only_finance_and_admin_see_budgets(client, headers, role):
    budget_id = create(client, headers).get_json()["id"]

    assert_error(create(client, headers, role, year=YEAR + 1), 403, "forbidden")
    assert_error(client.get("/api/v1/budgets", headers=headers[role]), 403, "forbidden")
    prorated = client.post(
        f"/api/v1/budgets/{budget_id}/prorate", json={"apply": True}, headers=headers[role]
    )
    assert_error(prorated, 403, "forbidden")


def test_preview_then_apply_then_nothing_left_to_scale(client, headers, claims):
    budget_id = create(client, headers).get_json()["id"]
    path = f"/api/v1/budgets/{budget_id}/prorate"

    preview = client.post(path, json={"apply": False}, headers=headers["finance"])
    assert preview.status_code == 200, preview.get_data(as_text=True)
    body = preview.get_json()
    assert (body["factor"], body["total_before"], body["total_after"], body["applied"]) == (
        "0.500000",
        "400.00",
        "200.00",
        False,
    )
    assert [(claim["id"], claim["before"], claim["after"]) for claim in body["claims"]] == [
        (claims[0].id, "300.00", "150.00"),
        (claims[1].id, "100.00", "50.00"),
    ]
    db.session.expire_all()
    assert db.session.get(Claim, claims[0].id).subsidy == Decimal("400.00")

    applied = client.post(path, json={"apply": True}, headers=headers["finance"]).get_json()
    assert applied["applied"] is True
    db.session.expire_all()
    assert db.session.get(Claim, claims[0].id).subsidy == Decimal("250.00")  # 150.00 + city 100.00

    again = client.post(path, json={"apply": True}, headers=headers["finance"]).get_json()
    assert (again["applied"], again["factor"], again["total_before"]) == (False, "1", "200.00")


def test_prorate_needs_a_boolean_and_an_existing_budget(client, headers):
    budget_id = create(client, headers).get_json()["id"]

    assert_error(
        client.post(
            f"/api/v1/budgets/{budget_id}/prorate",
            json={"apply": "yes"},
            headers=headers["finance"],
        ),
        400,
        "bad_request",
    )
    assert_error(
        client.post("/api/v1/budgets/999/prorate", json={}, headers=headers["finance"]),
        404,
        "not_found",
    )


def test_the_openapi_document_lists_the_finance_operations(client):
    document = client.get("/api/v1/openapi.json").get_json()
    paths = document["paths"]

    for path in ("/api/v1/budgets", "/api/v1/period-locks", "/api/v1/adjustments"):
        assert {"get", "post"} <= set(paths[path]), path
    prorate = paths["/api/v1/budgets/{budget_id}/prorate"]["post"]
    assert {"200", "403", "404"} <= set(prorate["responses"])
    assert "get" in paths["/api/v1/platform-rewards"]
    schemas = document["components"]["schemas"]
    assert {"factor", "total_before", "total_after", "claims"} <= set(
        schemas["Prorata"]["properties"]
    )


@pytest.mark.parametrize("year", ["41803163311592530809364414464", "1999", "2201"])
def test_a_year_out_of_range_is_refused_not_a_server_error(client, headers, year):
    """schemathesis sent a 29-digit year: the database driver overflowed (500)."""
    response = client.get(f"/api/v1/budgets?year={year}", headers=headers["finance"])

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert "year" in str(error["details"])
