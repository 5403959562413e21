"""Subsidy in the metrics: paid (paid claims) and pending (submitted, approved), per instrument,
SME, status, funding source and month, from claims written into the tables.

Claims over the month in tests/metrics_helpers.py, sources 省级资金 (province) and 市级资金 (city):
- SME A, paid on 2026-04-10: the XRD use (360.00) earns 108.00 + 72.00 = 180.00
- SME B, submitted: the furnace use (160.00) earns 48.00 + 32.00 = 80.00
- SME A, draft and rejected claims over the SEM use: never counted
Budgets 2026: province 1,000.00, city 500.00.
"""

from datetime import date
from decimal import Decimal

import pytest

from equipment_share.domain.metrics import months, year_period
from equipment_share.extensions import db
from equipment_share.models import Budget
from equipment_share.services import subsidy_figures
from equipment_share.services.metrics import city_metrics, equipment_metrics, sme_figures
from tests import metrics_helpers
from tests.clock import SHANGHAI
from tests.metrics_helpers import APRIL_START, CITY, MARCH_START, PROVINCE, claim

march = metrics_helpers.march


def D(value: str) -> Decimal:
    return Decimal(value)


@pytest.fixture
def claims(march):
    records = march.records
    paid = claim(
        march,
        march.sme_a,
        "paid",
        [(records["xrd_a"], {PROVINCE: D("108.00"), CITY: D("72.00")})],
        paid_on=date(2026, 4, 10),
    )
    submitted = claim(
        march,
        march.sme_b,
        "submitted",
        [(records["furnace_b"], {PROVINCE: D("48.00"), CITY: D("32.00")})],
    )
    for status in ("draft", "rejected"):
        claim(march, march.sme_a, status, [(records["sem_a"], {PROVINCE: D("30.00")})])
    db.session.add_all(
        [
            Budget(year=2026, source=PROVINCE, amount=D("1000.00")),
            Budget(year=2026, source=CITY, amount=D("500.00")),
            Budget(year=2025, source=CITY, amount=D("9999.00")),
        ]
    )
    db.session.commit()
    return paid, submitted


def test_per_instrument_paid_and_pending(march, claims, make_user):
    rows = {
        row.equipment_id: row
        for row in equipment_metrics(make_user("finance"), MARCH_START, APRIL_START)
    }

    assert (rows[march.xrd.id].subsidy_paid, rows[march.xrd.id].subsidy_pending) == (
        D("180.00"),
        D("0.00"),
    )
    assert rows[march.furnace.id].subsidy_pending == D("80.00")
    assert rows[march.sem.id].subsidy == D("0.00")  # only draft and rejected claims


def test_per_sme_received_and_pending_agree_with_the_claims(march, claims):
    paid, submitted = claims

    a = sme_figures(march.sme_a, march.sme_a.organization_id, MARCH_START, APRIL_START)
    b = sme_figures(march.sme_b, march.sme_b.organization_id, MARCH_START, APRIL_START)

    assert (a.subsidy_received, a.subsidy_pending) == (paid.subsidy, D("0.00"))
    assert (b.subsidy_received, b.subsidy_pending) == (D("0.00"), submitted.subsidy)


def test_by_claim_status_and_by_source_with_budgets(march, claims, make_user):
    city = city_metrics(make_user("finance"), MARCH_START, APRIL_START)

    assert city.subsidy_by_status == {
        "submitted": D("80.00"),
        "approved": D("0.00"),
        "paid": D("180.00"),
    }
    sources = {source.source: source for source in city.sources}
    assert (sources[PROVINCE].budget, sources[PROVINCE].committed, sources[PROVINCE].paid) == (
        D("1000.00"),
        D("48.00"),
        D("108.00"),
    )
    assert (sources[CITY].used, sources[CITY].left) == (D("104.00"), D("396.00"))
    assert (city.budget, city.budget_used) == (D("1500.00"), D("260.00"))
    platforms = {entry.name: entry for entry in city.top_platforms}
    assert platforms["煤炭创新平台"].subsidy_paid == D("180.00")
    assert platforms["铸造平台"].subsidy_pending == D("80.00")


def test_paid_by_source_and_month_and_the_claim_queue(march, claims):
    year = months(*year_period(2026, SHANGHAI), SHANGHAI)

    assert subsidy_figures.paid_by_source_and_month(year) == {
        (PROVINCE, "2026-04"): D("108.00"),
        (CITY, "2026-04"): D("72.00"),
    }
    assert subsidy_figures.claim_queue() == 1
