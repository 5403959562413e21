"""Sharing metrics as pure rules: hours, ratios, the national evaluation's figures, months."""

from datetime import UTC, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.metrics import (
    Benchmark,
    InstrumentSums,
    against_benchmark,
    hours,
    instrument_metrics,
    is_evaluated,
    months,
    report_totals,
    revenue_rate,
    sharing_rate,
    sharing_report_row,
    utilisation,
    year_period,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [(0, "0.00"), (60, "1.00"), (90, "1.50"), (1, "0.02"), (20, "0.33"), (125, "2.08")],
)
def test_minutes_become_hours_to_the_hundredth(minutes, expected):
    assert hours(minutes) == Decimal(expected)


@pytest.mark.parametrize(
    ("used", "idle", "expected"),
    [(300, 22080, Decimal("0.0136")), (60, 60, Decimal("1.0000")), (90, 60, Decimal("1.5000"))],
)
def test_utilisation_is_used_over_idle_time(used, idle, expected):
    assert utilisation(used, idle) == expected


def test_no_idle_time_is_no_utilisation_not_zero():
    assert utilisation(120, 0) is None


def test_the_sharing_rate_is_external_over_effective_hours():
    # the national average of 2019: 240 external of 1,440 effective hours
    assert sharing_rate(240 * 60, 1440 * 60) == Decimal("0.1667")
    assert sharing_rate(0, 0) is None


def test_the_revenue_rate_weighs_external_revenue_one_and_a_half_times():
    rate = revenue_rate(Decimal("10000.00"), Decimal("20000.00"), Decimal("800000.00"))

    assert rate == Decimal("0.0500")  # (10,000 + 30,000) / 800,000
    assert revenue_rate(Decimal("1.00"), Decimal("1.00"), None) is None


@pytest.mark.parametrize(
    ("value", "evaluated"),
    [(None, False), (Decimal("499999.99"), False), (Decimal("500000.00"), True)],
)
def test_the_evaluation_scores_instruments_of_half_a_million_and_more(value, evaluated):
    assert is_evaluated(value) is evaluated


@pytest.mark.parametrize(
    ("effective", "band"),
    [
        ("1199.99", Benchmark.BELOW),
        ("1200.00", Benchmark.WITHIN),
        ("1600.00", Benchmark.WITHIN),
        ("1600.01", Benchmark.ABOVE),
    ],
)
def test_effective_hours_against_the_national_benchmark(effective, band):
    assert against_benchmark(Decimal(effective)) == band


def test_instrument_metrics_from_sums():
    sums = InstrumentSums(
        equipment_id=7,
        idle_minutes=22080,
        booked_minutes=420,
        used_minutes=300,
        shared_minutes=240,
        smes_served=2,
        revenue=Decimal("960.00"),
        subsidy_paid=Decimal("100.00"),
        subsidy_pending=Decimal("44.50"),
        no_shows=1,
    )

    metrics = instrument_metrics(sums)

    assert (metrics.idle_hours, metrics.booked_hours) == (Decimal("368.00"), Decimal("7.00"))
    assert (metrics.used_hours, metrics.shared_hours) == (Decimal("5.00"), Decimal("4.00"))
    assert metrics.sharing_rate == Decimal("0.8000")
    assert metrics.subsidy == Decimal("144.50")


def test_months_are_local_calendar_months_cut_to_the_period():
    start = datetime(2026, 1, 15, tzinfo=SHANGHAI)
    end = datetime(2026, 3, 10, tzinfo=SHANGHAI)

    found = months(start, end, SHANGHAI)

    assert [month.label for month in found] == ["2026-01", "2026-02", "2026-03"]
    assert found[0].start == start.astimezone(UTC)
    # 1 February 00:00 in Shanghai is 31 January 16:00 UTC
    assert found[1].start == datetime(2026, 1, 31, 16, tzinfo=UTC)
    assert found[-1].end == end.astimezone(UTC)


def test_a_year_runs_from_local_new_year_to_new_year():
    start, end = year_period(2026, SHANGHAI)

    assert (start, end) == (
        datetime(2025, 12, 31, 16, tzinfo=UTC),
        datetime(2026, 12, 31, 16, tzinfo=UTC),
    )
    assert len(months(start, end, SHANGHAI)) == 12


def test_a_report_row_and_the_platform_totals():
    evaluated = sharing_report_row(
        InstrumentSums(
            1,
            idle_minutes=2000 * 60,
            used_minutes=1300 * 60,
            shared_minutes=260 * 60,
            smes_served=4,
            revenue=Decimal("50000.00"),
            external_revenue=Decimal("30000.00"),
        ),
        name="ICP-MS",
        original_value=Decimal("1000000.00"),
        purchase_year=2018,
    )
    closed = sharing_report_row(
        InstrumentSums(2), name="old", original_value=None, purchase_year=None
    )

    assert evaluated.evaluated and evaluated.open
    assert evaluated.benchmark == Benchmark.WITHIN
    assert evaluated.sharing_rate == Decimal("0.2000")
    assert evaluated.revenue_rate == Decimal("0.0650")  # (20,000 + 1.5 × 30,000) / 1,000,000
    assert not closed.open and closed.revenue_rate is None
    totals = report_totals([evaluated, closed])
    assert totals["machine_hours"] == Decimal("1300.00")
    assert totals["average_machine_hours"] == Decimal("650.00")
    assert totals["benchmark"] == Benchmark.BELOW
