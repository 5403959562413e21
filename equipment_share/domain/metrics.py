"""Sharing metrics: what evaluations of platforms measure, from sums the database has made.

The services add up minutes, fees and counts in SQL (GROUP BY); these functions turn the sums
into the figures people read: hours, utilisation of published idle time, the sharing rate and
revenue rate of the national evaluation of large instruments (科技部/财政部 开放共享评价考核), and
how an instrument compares with the national benchmark of 1,200–1,600 effective hours a year.

A usage record belongs to the period its `occurred_at` falls in (as on statements), a booking to
the period its start falls in. Ratios are Decimals rounded half-up to four places (0.1234 is
12.34 %), or None where the denominator is zero: "no idle time published" is not "0 % used".
"""

import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

ZERO = Decimal("0.00")
HOUR = Decimal(60)
HUNDREDTH = Decimal("0.01")
RATIO_PLACES = Decimal("0.0001")
# The national evaluation scores instruments of at least this original value (原值).
EVALUATED_ORIGINAL_VALUE = Decimal("500000.00")
# Effective working hours a year per instrument that evaluations expect (about 1,200–1,600 h).
BENCHMARK_HOURS = (Decimal(1200), Decimal(1600))
# 收益率 weighs external revenue one and a half times.
EXTERNAL_REVENUE_WEIGHT = Decimal("1.5")


class Benchmark(enum.StrEnum):
    BELOW = "below"
    WITHIN = "within"
    ABOVE = "above"


@dataclass(frozen=True)
class InstrumentSums:
    """What the database adds up for one instrument over a period."""

    equipment_id: int
    idle_minutes: int = 0
    booked_minutes: int = 0
    used_minutes: int = 0
    shared_minutes: int = 0
    smes_served: int = 0
    revenue: Decimal = ZERO
    external_revenue: Decimal = ZERO
    subsidy_paid: Decimal = ZERO
    subsidy_pending: Decimal = ZERO
    no_shows: int = 0


@dataclass(frozen=True)
class InstrumentMetrics:
    equipment_id: int
    idle_hours: Decimal
    booked_hours: Decimal
    used_hours: Decimal
    shared_hours: Decimal
    utilisation: Decimal | None
    sharing_rate: Decimal | None
    smes_served: int
    revenue: Decimal
    subsidy_paid: Decimal
    subsidy_pending: Decimal
    no_shows: int
    name: str = ""
    platform_id: int | None = None

    @property
    def subsidy(self) -> Decimal:
        return self.subsidy_paid + self.subsidy_pending


def hours(minutes: int) -> Decimal:
    """Minutes as hours, to the hundredth (90 minutes are 1.50 h)."""
    return (Decimal(minutes) / HOUR).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def ratio(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(RATIO_PLACES, rounding=ROUND_HALF_UP)


def utilisation(used_minutes: int, idle_minutes: int) -> Decimal | None:
    """Used time ÷ published idle time; above 1 when use ran past the idle windows."""
    return ratio(used_minutes, idle_minutes)


def sharing_rate(external_minutes: int, effective_minutes: int) -> Decimal | None:
    """共享率 = external service hours ÷ effective hours."""
    return ratio(external_minutes, effective_minutes)


def revenue_rate(
    internal_revenue: Decimal, external_revenue: Decimal, original_value: Decimal | None
) -> Decimal | None:
    """收益率 = (internal revenue + 1.5 × external revenue) ÷ original value."""
    if not original_value:
        return None
    return ratio(internal_revenue + EXTERNAL_REVENUE_WEIGHT * external_revenue, original_value)


def is_evaluated(original_value: Decimal | None) -> bool:
    """Whether the national evaluation scores the instrument (原值 ≥ ¥500,000)."""
    return original_value is not None and original_value >= EVALUATED_ORIGINAL_VALUE


def against_benchmark(effective_hours: Decimal) -> Benchmark:
    low, high = BENCHMARK_HOURS
    if effective_hours < low:
        return Benchmark.BELOW
    return Benchmark.WITHIN if effective_hours <= high else Benchmark.ABOVE


def instrument_metrics(sums: InstrumentSums, name: str = "", platform_id=None) -> InstrumentMetrics:
    return InstrumentMetrics(
        equipment_id=sums.equipment_id,
        idle_hours=hours(sums.idle_minutes),
        booked_hours=hours(sums.booked_minutes),
        used_hours=hours(sums.used_minutes),
        shared_hours=hours(sums.shared_minutes),
        utilisation=utilisation(sums.used_minutes, sums.idle_minutes),
        sharing_rate=sharing_rate(sums.shared_minutes, sums.used_minutes),
        smes_served=sums.smes_served,
        revenue=sums.revenue,
        subsidy_paid=sums.subsidy_paid,
        subsidy_pending=sums.subsidy_pending,
        no_shows=sums.no_shows,
        name=name,
        platform_id=platform_id,
    )


@dataclass(frozen=True)
class Month:
    """A calendar month in the deployment's zone, as the UTC instants [start, end)."""

    year: int
    month: int
    start: datetime
    end: datetime

    @property
    def label(self) -> str:
        return f"{self.year}-{self.month:02d}"


def months(start: datetime, end: datetime, zone: ZoneInfo) -> list[Month]:
    """The local calendar months that [start, end) touches, each cut to the period."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    found: list[Month] = []
    year, month = local_start.year, local_start.month
    while True:
        month_start = datetime.combine(date(year, month, 1), time(0), tzinfo=zone)
        next_year, next_month = (year + 1, 1) if month == 12 else (year, month + 1)
        month_end = datetime.combine(date(next_year, next_month, 1), time(0), tzinfo=zone)
        if month_start >= local_end:
            break
        found.append(
            Month(
                year,
                month,
                max(month_start, local_start).astimezone(UTC),
                min(month_end, local_end).astimezone(UTC),
            )
        )
        year, month = next_year, next_month
    return found


def year_period(year: int, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """1 January to 1 January of the next year, local midnights, as UTC instants."""
    return (
        datetime.combine(date(year, 1, 1), time(0), tzinfo=zone).astimezone(UTC),
        datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=zone).astimezone(UTC),
    )


@dataclass(frozen=True)
class Ranked:
    """An organisation in a top list, by fees."""

    organization_id: int
    name: str
    fees: Decimal
    hours: Decimal = ZERO
    subsidy_paid: Decimal = ZERO
    subsidy_pending: Decimal = ZERO


def top(entries: Iterable[Ranked], limit: int | None) -> list[Ranked]:
    """Largest fees first; ties by name, so the list is stable; all of them without a limit."""
    return sorted(entries, key=lambda entry: (-entry.fees, entry.name))[:limit]


@dataclass(frozen=True)
class SharingReportRow:
    """One instrument in a platform's annual sharing evaluation."""

    equipment_id: int
    name: str
    original_value: Decimal | None
    purchase_year: int | None
    open: bool
    idle_hours: Decimal
    machine_hours: Decimal
    shared_hours: Decimal
    sharing_rate: Decimal | None
    users_served: int
    revenue: Decimal
    subsidy: Decimal
    evaluated: bool
    benchmark: Benchmark
    revenue_rate: Decimal | None


@dataclass(frozen=True)
class SharingReport:
    platform_id: int
    platform_name: str
    year: int
    rows: Sequence[SharingReportRow]
    users_served: int
    totals: dict = field(default_factory=dict)

    @property
    def openness(self) -> Decimal | None:
        """开放率: the share of the platform's instruments that offered idle time in the year."""
        return ratio(sum(1 for row in self.rows if row.open), len(self.rows))


def sharing_report_row(
    sums: InstrumentSums,
    *,
    name: str,
    original_value: Decimal | None,
    purchase_year: int | None,
) -> SharingReportRow:
    machine_hours = hours(sums.used_minutes)
    internal_revenue = sums.revenue - sums.external_revenue
    return SharingReportRow(
        equipment_id=sums.equipment_id,
        name=name,
        original_value=original_value,
        purchase_year=purchase_year,
        open=sums.idle_minutes > 0,
        idle_hours=hours(sums.idle_minutes),
        machine_hours=machine_hours,
        shared_hours=hours(sums.shared_minutes),
        sharing_rate=sharing_rate(sums.shared_minutes, sums.used_minutes),
        users_served=sums.smes_served,
        revenue=sums.revenue,
        subsidy=sums.subsidy_paid + sums.subsidy_pending,
        evaluated=is_evaluated(original_value),
        benchmark=against_benchmark(machine_hours),
        revenue_rate=revenue_rate(internal_revenue, sums.external_revenue, original_value),
    )


def report_totals(rows: Sequence[SharingReportRow]) -> dict:
    """Sums over the instruments; average machine hours per instrument against the benchmark."""
    machine = sum((row.machine_hours for row in rows), ZERO)
    shared = sum((row.shared_hours for row in rows), ZERO)
    average = (machine / len(rows)).quantize(HUNDREDTH, ROUND_HALF_UP) if rows else ZERO
    return {
        "idle_hours": sum((row.idle_hours for row in rows), ZERO),
        "machine_hours": machine,
        "shared_hours": shared,
        "sharing_rate": ratio(shared, machine),
        "revenue": sum((row.revenue for row in rows), ZERO),
        "subsidy": sum((row.subsidy for row in rows), ZERO),
        "average_machine_hours": average,
        "benchmark": against_benchmark(average),
    }
