"""Caps and claimed records hold across processes: a real gunicorn with 4 worker processes on
the test's database (SQLite by default, PostgreSQL when DATABASE_URL is set) and clients that
submit their claims at the same moment.

Every use costs 360.00 and the policy pays half of it, 180.00, up to 250.00 a year per
enterprise (or per group of related enterprises): whatever the order, the submitted claims
together reserve exactly 250.00. Select these tests with `pytest -m concurrency`.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import Claim, ClaimedUsage, organization_relations
from equipment_share.services import claims
from tests.concurrency.server import (
    REQUEST_TIMEOUT_SECONDS,
    Server,
    request,
    serving,
)
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import make_policy, use_on

pytestmark = pytest.mark.concurrency

CAP = Decimal("250.00")
CLAIMS_PER_SME = 6


@pytest.fixture
def serve(app, tmp_path):
    """Start gunicorn on the test's database once the test has set it up; stop it after."""
    with ExitStack() as servers:
        yield lambda headers: servers.enter_context(serving(app, tmp_path, headers))


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)


@pytest.fixture
def certified_sme(make_user, make_org):
    return lambda: make_user("sme", make_org("sme", tech_sme_certified=True))


def one_claim_per_use(platform_user, sme, equipment, days) -> list[int]:
    """A draft for each day's use, each claiming that day only."""
    ids = []
    for day in days:
        use_on(platform_user, sme, equipment, day)
        claim = claims.draft_claim(sme, date(2026, 3, day), date(2026, 3, day))
        db.session.commit()
        ids.append(claim.id)
    return ids


def submit_all_at_once(server: Server, submissions: list[tuple[int, dict]]) -> list:
    barrier = threading.Barrier(len(submissions))

    def submit(submission):
        claim_id, headers = submission
        return request(
            server.port, "POST", f"/api/v1/claims/{claim_id}/submit", headers, None, barrier
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(submissions)) as pool:
        answers = list(pool.map(submit, submissions))
    assert time.monotonic() - started < REQUEST_TIMEOUT_SECONDS
    assert server.process.poll() is None, server.log_tail()
    return answers


def reserved(organization_ids: list[int]) -> Decimal:
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    subsidies = db.session.scalars(
        select(Claim.subsidy).where(
            Claim.organization_id.in_(organization_ids), Claim.status == "submitted"
        )
    ).all()
    return sum(subsidies, Decimal("0.00"))


def cap_policy(finance, **changes):
    return make_policy(
        finance, sources=[{"name": "city", "rate": "0.50", "annual_cap": "250.00"}], **changes
    )


def test_claims_of_one_sme_submitted_at_once_stay_under_the_annual_cap(
    serve, make_user, platform_user, certified_sme, equipment, api_headers
):
    cap_policy(make_user("finance"))
    sme = certified_sme()
    ids = one_claim_per_use(platform_user, sme, equipment, range(2, 2 + CLAIMS_PER_SME))
    headers, organization_id = api_headers(sme), sme.organization_id
    server = serve(headers)

    answers = submit_all_at_once(server, [(claim_id, headers) for claim_id in ids])

    assert [status for status, _ in answers] == [200] * CLAIMS_PER_SME, answers
    assert sum(Decimal(body["subsidy"]) for _, body in answers) == CAP
    assert reserved([organization_id]) == CAP


def test_related_smes_submitting_at_once_share_the_group_cap(
    serve, make_user, platform_user, certified_sme, equipment, api_headers
):
    cap_policy(make_user("finance"), group_caps=True)
    one, two = certified_sme(), certified_sme()
    db.session.execute(
        organization_relations.insert().values(
            organization_id=one.organization_id, related_id=two.organization_id
        )
    )
    db.session.commit()
    half = CLAIMS_PER_SME // 2
    submissions = [
        (claim_id, api_headers(one))
        for claim_id in one_claim_per_use(platform_user, one, equipment, range(2, 2 + half))
    ] + [
        (claim_id, api_headers(two))
        for claim_id in one_claim_per_use(platform_user, two, equipment, range(10, 10 + half))
    ]
    organization_ids = [one.organization_id, two.organization_id]
    server = serve(submissions[0][1])

    answers = submit_all_at_once(server, submissions)

    assert [status for status, _ in answers] == [200] * len(submissions), answers
    assert reserved(organization_ids) == CAP


def test_the_same_record_in_claims_submitted_at_once_is_claimed_once(
    serve, make_user, platform_user, certified_sme, equipment, api_headers
):
    make_policy(make_user("finance"))
    sme = certified_sme()
    record = use_on(platform_user, sme, equipment, 2)
    ids = []
    for _ in range(CLAIMS_PER_SME):
        ids.append(claims.draft_claim(sme, date(2026, 3, 1), date(2026, 3, 31)).id)
        db.session.commit()
    headers, record_id = api_headers(sme), record.id
    server = serve(headers)

    answers = submit_all_at_once(server, [(claim_id, headers) for claim_id in ids])

    statuses = [status for status, _ in answers]
    assert statuses.count(200) == 1, answers
    assert statuses.count(409) == CLAIMS_PER_SME - 1, answers
    assert all(
        body["error"]["code"] == "already_claimed" for status, body in answers if status == 409
    )
    db.session.rollback()
    winner = next(body["id"] for status, body in answers if status == 200)
    assert db.session.get(ClaimedUsage, record_id).claim_id == winner
