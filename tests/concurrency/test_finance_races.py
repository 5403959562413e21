"""Finance under concurrent requests, across gunicorn worker processes, on the test's database
(SQLite by default, PostgreSQL when DATABASE_URL is set):

- several pro-rata applies of one budget at once scale the claims once;
- recording usage while finance locks its period: every record either exists before the lock
  or is refused with 409 period_locked; none is written into the period after the lock. The
  audit chain gives the order in which the changes committed (appending to it is serialised
  until commit), so "before" is checked there.

Select these tests with `pytest -m concurrency`.
"""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Claim, UsageRecord
from equipment_share.services import budgets
from tests.clock import SHANGHAI
from tests.concurrency.server import all_at_once, serving
from tests.finance_helpers import YEAR, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_booking, confirmed_use, local

pytestmark = pytest.mark.concurrency

APPLIES = 8
RECORDS_PER_ROUND = 12
ROUNDS = 3


def test_simultaneous_applies_scale_the_claims_once(
    app, tmp_path, make_user, make_equipment, platform_user, sme_user, api_headers
):
    finance_user = make_user("finance", None)
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    policy = make_policy()
    amounts = ["300.00", "200.00", "100.01"]
    claim_ids = [
        make_claim(
            sme_user,
            policy,
            [
                (
                    confirmed_use(
                        platform_user, sme_user, equipment, local(date(YEAR, 3, 2 + index), 9)
                    ),
                    {"province": amount},
                )
            ],
        ).id
        for index, amount in enumerate(amounts)
    ]
    budget_id = budgets.create_budget(finance_user, YEAR, "province", "300.00").id
    headers = api_headers(finance_user)

    db.session.commit()
    with serving(app, tmp_path, headers) as server:
        path = f"/api/v1/budgets/{budget_id}/prorate"
        answers = all_at_once(server, [("POST", path, headers, {"apply": True})] * APPLIES)

    assert {status for status, _ in answers} == {200}, answers
    assert [body["applied"] for _, body in answers].count(True) == 1, answers
    db.session.rollback()
    claims = db.session.scalars(select(Claim).where(Claim.id.in_(claim_ids))).all()
    assert sum(claim.subsidy for claim in claims) == Decimal("300.00")
    for claim in claims:
        assert claim.subsidy == sum(line.subsidy for line in claim.lines)
    prorate_entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "prorate")
    ).all()
    assert len(prorate_entries) == len(amounts) + 1  # each claim once, the budget once


def test_recording_use_while_its_period_is_locked(
    app, tmp_path, make_user, make_equipment, platform_user, sme_user, api_headers
):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    today = datetime.now(SHANGHAI).date()
    days = [today - timedelta(days=2 + round_number) for round_number in range(ROUNDS)]
    bookings_by_day = {
        day: [
            confirmed_booking(sme_user, equipment, local(day, hour), hours=1).id
            for hour in range(RECORDS_PER_ROUND)
        ]
        for day in days
    }
    platform_headers = api_headers(platform_user)
    finance_headers = api_headers(make_user("finance", None))

    db.session.commit()
    with serving(app, tmp_path, platform_headers) as server:
        answers_by_day = {}
        for day in days:
            calls = [
                (
                    "POST",
                    f"/api/v1/bookings/{booking_id}/usage",
                    platform_headers,
                    {
                        "actual_start": local(day, hour).isoformat(),
                        "actual_end": local(day, hour, 50).isoformat(),
                    },
                )
                for hour, booking_id in enumerate(bookings_by_day[day])
            ]
            lock_body = {"period_from": day.isoformat(), "period_to": day.isoformat()}
            # the lock in the middle, so that some records go first and some after
            calls.insert(
                len(calls) // 2, ("POST", "/api/v1/period-locks", finance_headers, lock_body)
            )
            answers_by_day[day] = all_at_once(server, calls)

    db.session.rollback()
    for day, answers in answers_by_day.items():
        lock_answer = answers.pop(len(answers) // 2)
        assert lock_answer[0] == 201, lock_answer
        for status, body in answers:
            assert status == 201 or (status == 409 and body["error"]["code"] == "period_locked"), (
                status,
                body,
            )
        lock_position = db.session.scalar(
            select(AuditEntry.position).where(
                AuditEntry.object_type == "period_lock",
                AuditEntry.object_id == lock_answer[1]["id"],
            )
        )
        recorded_ids = [body["id"] for status, body in answers if status == 201]
        record_positions = db.session.scalars(
            select(AuditEntry.position).where(
                AuditEntry.object_type == "usage",
                AuditEntry.action == "record",
                AuditEntry.object_id.in_(recorded_ids),
            )
        ).all()
        assert len(record_positions) == len(recorded_ids)
        assert all(position < lock_position for position in record_positions), day
        refused = sum(1 for status, _ in answers if status == 409)
        on_day = db.session.scalar(
            select(db.func.count())
            .select_from(UsageRecord)
            .where(UsageRecord.booking_id.in_(bookings_by_day[day]))
        )
        assert on_day == len(recorded_ids) == RECORDS_PER_ROUND - refused
