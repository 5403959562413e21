"""Locked periods through the API: finance locks, the list, the contract's errors, and usage of a
locked day refused with 409 period_locked (recording, correcting, waiving), nothing written."""

from datetime import timedelta
from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import PeriodLock, UsageRecord
from tests.api.test_usage_api import (
    DAY,
    assert_error,
    equipment,  # noqa: F401 (fixture)
    past_booking,
    record_use,
    usage_body,
)
from tests.conftest import count_rows


@pytest.fixture
def headers(api_headers, platform_user, sme_user, make_user):
    return {
        "platform": api_headers(platform_user),
        "sme": api_headers(sme_user),
        "finance": api_headers(make_user("finance", None)),
    }


def lock_day(client, headers, day=DAY, last=None):
    body = {"period_from": day.isoformat(), "period_to": (last or day).isoformat()}
    return client.post("/api/v1/period-locks", json=body, headers=headers["finance"])


def test_finance_locks_a_period_and_lists_it(client, headers):
    created = lock_day(client, headers, DAY - timedelta(days=6), DAY)

    assert created.status_code == 201, created.get_data(as_text=True)
    lock = created.get_json()
    assert (lock["period_from"], lock["period_to"]) == (
        (DAY - timedelta(days=6)).isoformat(),
        DAY.isoformat(),
    )
    assert lock["created_at"].endswith("+08:00")
    listed = client.get("/api/v1/period-locks", headers=headers["finance"]).get_json()
    assert listed["total"] == 1
    assert listed["items"][0]["id"] == lock["id"]


@pytest.mark.parametrize("role", ["sme", "platform"])
def test_only_finance_locks_and_sees_locks(client, headers, role):
    body = {"period_from": DAY.isoformat(), "period_to": DAY.isoformat()}
    refused = client.post("/api/v1/period-locks", json=body, headers=headers[role])

    assert_error(refused, 403, "forbidden")
    assert_error(client.get("/api/v1/period-locks", headers=headers[role]), 403, "forbidden")
    assert count_rows(PeriodLock) == 0


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"period_from": DAY.isoformat()}, 422, "validation_error", "period_to"),
        (
            {"period_from": DAY.isoformat(), "period_to": (DAY - timedelta(days=1)).isoformat()},
            422,
            "validation_error",
            "period_to",
        ),
        (
            {"period_from": "yesterday", "period_to": DAY.isoformat()},
            422,
            "validation_error",
            "period_from",
        ),
        (
            {"period_from": 20261201, "period_to": DAY.isoformat()},
            400,
            "bad_request",
            "period_from",
        ),
    ],
)
def test_a_bad_period_is_refused_and_nothing_locked(client, headers, body, status, code, field):
    response = client.post("/api/v1/period-locks", json=body, headers=headers["finance"])

    error = assert_error(response, status, code)
    assert field in error["details"]["fields"]
    assert count_rows(PeriodLock) == 0


def test_usage_of_a_locked_day_answers_period_locked(client, headers, sme_user, equipment):  # noqa: F811
    recorded = record_use(client, headers, past_booking(sme_user, equipment))
    unrecorded = past_booking(sme_user, equipment, start=(14, 0), end=(15, 0))
    assert lock_day(client, headers).status_code == 201

    refusals = [
        client.post(
            f"/api/v1/bookings/{unrecorded.id}/usage",
            json=usage_body(start=(14, 0), end=(15, 0)),
            headers=headers["platform"],
        ),
        client.post(
            f"/api/v1/usage/{recorded['id']}/correct",
            json=usage_body(reason="shorter") | {"note": "ok"},
            headers=headers["platform"],
        ),
        client.post(
            f"/api/v1/usage/{recorded['id']}/waive",
            json={"reason": "goodwill"},
            headers=headers["platform"],
        ),
    ]

    for response in refusals:
        error = assert_error(response, 409, "period_locked")
        assert error["details"]["period_from"] == DAY.isoformat()
        assert DAY.isoformat() in error["message"]
    db.session.expire_all()
    assert count_rows(UsageRecord) == 1
    assert db.session.get(UsageRecord, recorded["id"]).fee == Decimal(recorded["fee"])


def test_the_day_after_a_locked_period_is_open(client, headers, sme_user, equipment):  # noqa: F811
    lock_day(client, headers, DAY - timedelta(days=7), DAY - timedelta(days=1))

    record_use(client, headers, past_booking(sme_user, equipment))

    assert count_rows(UsageRecord) == 1
