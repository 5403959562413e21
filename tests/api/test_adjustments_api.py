"""Adjustments through the API: finance adjusts the fee of usage in a locked period (only
there), the contract's errors, the list, and the SME's next claim carrying the adjustment as a
line of its own."""

from datetime import date
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import Adjustment, AuditEntry, OutboxMessage
from equipment_share.services import period_locks
from tests.conftest import count_rows
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import make_policy, use_on


@pytest.fixture
def finance_user(make_user):
    return make_user("finance")


@pytest.fixture
def sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", tech_sme_certified=True))


@pytest.fixture
def march_use(platform_user, sme_user, make_equipment):
    """A confirmed use on 2026-03-02 (360.00)."""
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    return use_on(platform_user, sme_user, equipment, 2)


@pytest.fixture
def march_locked(finance_user):
    lock = period_locks.create_period_lock(finance_user, date(2026, 3, 1), date(2026, 3, 31))
    db.session.commit()
    return lock


def adjust(client, api_headers, user, usage_id, fee_delta="-120.00", reason="Overbilled hours"):
    body = {"usage_id": usage_id, "fee_delta": fee_delta, "reason": reason}
    return client.post("/api/v1/adjustments", json=body, headers=api_headers(user))


def assert_error(response, status, code):
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    return error


def test_finance_adjusts_usage_of_a_locked_period(
    client, api_headers, finance_user, sme_user, march_use, march_locked
):
    response = adjust(client, api_headers, finance_user, march_use.id)

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["usage_id"], body["fee_delta"], body["reason"], body["claim_id"]) == (
        march_use.id,
        "-120.00",
        "Overbilled hours",
        None,
    )
    assert body["organization_id"] == sme_user.organization_id
    assert count_rows(AuditEntry, AuditEntry.object_type == "adjustment") == 1
    (mail,) = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.subject.contains("Fee adjustment"))
    ).all()
    assert mail.recipient == sme_user.email
    assert "Overbilled hours" in mail.body and "-¥120.00" in mail.body
    own = client.get("/api/v1/adjustments", headers=api_headers(sme_user)).get_json()
    assert [item["id"] for item in own["items"]] == [body["id"]]


def test_usage_of_an_open_period_is_corrected_not_adjusted(
    client, api_headers, finance_user, march_use
):
    assert_error(adjust(client, api_headers, finance_user, march_use.id), 409, "invalid_state")
    assert count_rows(Adjustment) == 0


@pytest.mark.parametrize(
    ("fee_delta", "reason", "status", "code", "field"),
    [
        ("0.00", "x", 422, "validation_error", "fee_delta"),
        ("-1.001", "x", 422, "validation_error", "fee_delta"),
        ("-360.01", "x", 422, "validation_error", "fee_delta"),  # the fee would be negative
        ("12.00", " ", 422, "validation_error", "reason"),
        (-120, "x", 400, "bad_request", "fee_delta"),  # money is a string
    ],
)
def test_a_bad_adjustment_is_refused(
    client,
    api_headers,
    finance_user,
    march_use,
    march_locked,
    fee_delta,
    reason,
    status,
    code,
    field,
):
    response = adjust(client, api_headers, finance_user, march_use.id, fee_delta, reason)

    error = assert_error(response, status, code)
    assert field in error["details"]["fields"]
    assert count_rows(Adjustment) == 0


def test_the_whole_fee_can_be_taken_back_but_no_more(
    client, api_headers, finance_user, march_use, march_locked
):
    assert adjust(client, api_headers, finance_user, march_use.id, "-300.00").status_code == 201
    assert_error(
        adjust(client, api_headers, finance_user, march_use.id, "-60.01"), 422, "validation_error"
    )
    assert adjust(client, api_headers, finance_user, march_use.id, "-60.00").status_code == 201


def test_only_finance_adjusts_and_an_unknown_record_is_not_found(
    client, api_headers, finance_user, sme_user, platform_user, march_use, march_locked
):
    for user in (sme_user, platform_user):
        assert_error(adjust(client, api_headers, user, march_use.id), 403, "forbidden")
    assert_error(adjust(client, api_headers, finance_user, 99999), 404, "not_found")
    listed = client.get("/api/v1/adjustments", headers=api_headers(platform_user)).get_json()
    assert listed["total"] == 0
    assert count_rows(Adjustment) == 0


def test_the_smes_next_claim_carries_the_adjustment_as_its_own_line(
    client, api_headers, finance_user, sme_user, march_use, march_locked
):
    make_policy(finance_user)
    adjustment_id = adjust(client, api_headers, finance_user, march_use.id).get_json()["id"]

    response = client.post(
        "/api/v1/claims",
        json={"period_from": "2026-04-01", "period_to": "2026-04-30"},
        headers=api_headers(sme_user),
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    claim = response.get_json()
    (line,) = claim["lines"]
    assert (line["kind"], line["adjustment_id"], line["fee"]) == (
        "adjustment",
        adjustment_id,
        "-120.00",
    )
    assert Decimal(claim["total_fee"]) == Decimal("-120.00")
    assert claim["subsidy"] == "0.00"  # a source's total never goes below zero
