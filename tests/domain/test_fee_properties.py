"""Properties of fee statements over generated rate cards and usages (Hypothesis).

Derandomised and without an example database, so a CI run is reproducible and writes nothing.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from equipment_share.domain.availability import Interval
from equipment_share.domain.fees import (
    Charge,
    ItemLine,
    RateCard,
    RateWindow,
    billable_minutes,
    estimate_for,
    late_cancellation_fee,
    no_show_fee,
    time_charge,
    to_fen,
    usage_fee,
    usage_fee_between,
)

PROPERTIES = settings(max_examples=200, deadline=None, derandomize=True, database=None)

YEAR_START = datetime(2026, 1, 1, tzinfo=UTC)
# UTC instants of the 2026 changes in Europe/Berlin and America/New_York, where bugs would hide
DST_CHANGES = [
    datetime(2026, 3, 8, 7, tzinfo=UTC),
    datetime(2026, 3, 29, 1, tzinfo=UTC),
    datetime(2026, 10, 25, 1, tzinfo=UTC),
    datetime(2026, 11, 1, 6, tzinfo=UTC),
]
TIMEZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "UTC"]

money = st.decimals(min_value=0, max_value=Decimal("5000"), places=2)
fine_money = st.decimals(min_value=0, max_value=Decimal("500"), places=3)
quantities = st.decimals(min_value=0, max_value=Decimal("1000"), places=2)
increments = st.sampled_from([1, 5, 10, 15, 30, 60, 90, 1440]) | st.integers(1, 1440)
local_times = st.builds(
    time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]) | st.integers(0, 59)
)
windows = st.builds(
    RateWindow,
    weekdays=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    start_time=local_times,
    end_time=local_times,
    hourly_rate=money,
)
charges = (
    st.none()
    | st.builds(Charge.fixed, money)
    | st.builds(Charge.percent, st.decimals(min_value=0, max_value=100, places=2))
)
starts = st.one_of(
    st.integers(0, 366 * 24 * 3600).map(lambda second: YEAR_START + timedelta(seconds=second)),
    st.builds(
        lambda change, second: change + timedelta(seconds=second),
        st.sampled_from(DST_CHANGES),
        st.integers(-30 * 3600, 6 * 3600),
    ),
)
durations = st.integers(0, 3 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds))


@st.composite
def rate_cards(draw, *, flat: bool = False) -> RateCard:
    item_prices = draw(st.lists(fine_money, max_size=3))
    return RateCard(
        hourly_rate=draw(money),
        setup_fee=draw(money),
        min_charge_minutes=draw(st.integers(0, 480)),
        billing_increment_minutes=draw(increments),
        rate_windows=() if flat else tuple(draw(st.lists(windows, max_size=3))),
        timezone=draw(st.sampled_from(TIMEZONES)),
        items={f"item{i}": (f"Item {i}", price) for i, price in enumerate(item_prices)},
        no_show_fee=draw(charges),
        late_cancellation_fee=draw(charges),
    )


@st.composite
def usages(draw, *, flat: bool = False):
    card = draw(rate_cards(flat=flat))
    start = draw(starts)
    items = draw(
        st.lists(st.builds(ItemLine, st.sampled_from(sorted(card.items)), quantities), max_size=3)
        if card.items
        else st.just([])
    )
    return card, start, start + draw(durations), items


def has_at_most_two_decimals(amount: Decimal) -> bool:
    return amount.is_finite() and amount.as_tuple().exponent >= -2


@PROPERTIES
@given(usages())
def test_the_total_is_the_exact_sum_of_lines_each_in_fen(usage):
    card, start, end, items = usage
    statement = usage_fee_between(start, end, card, items)
    assert statement.total == sum(line.amount for line in statement.lines)
    assert has_at_most_two_decimals(statement.total)
    for line in statement.lines:
        assert has_at_most_two_decimals(line.amount)
        assert line.amount >= 0
    assert [line.kind for line in statement.lines] == sorted(
        (line.kind for line in statement.lines), key=["time", "setup", "item"].index
    )


@PROPERTIES
@given(usages())
def test_time_lines_split_exactly_the_billable_minutes(usage):
    card, start, end, items = usage
    statement = usage_fee_between(start, end, card, items)
    time_lines = [line for line in statement.lines if line.kind == "time"]
    assert sum(line.minutes for line in time_lines) == statement.billable_minutes
    assert len({line.unit_price for line in time_lines}) == len(time_lines)  # one line per rate
    rates = {card.hourly_rate} | {window.hourly_rate for window in card.rate_windows}
    for line in time_lines:
        assert line.minutes > 0 and line.unit_price in rates
        assert line.amount == to_fen(line.minutes * line.unit_price / 60)


@PROPERTIES
@given(usages())
def test_billable_covers_actual_and_is_on_the_increment_or_the_minimum(usage):
    card, start, end, items = usage
    statement = usage_fee_between(start, end, card, items)
    actual, billable = statement.actual_minutes, statement.billable_minutes
    assert timedelta(minutes=actual - 1) < end - start <= timedelta(minutes=actual)
    assert billable >= actual
    assert billable >= card.min_charge_minutes
    assert billable % card.billing_increment_minutes == 0 or billable == card.min_charge_minutes


@PROPERTIES
@given(usages(flat=True), durations)
def test_a_longer_usage_never_costs_less_on_a_flat_card(usage, extra):
    card, start, end, _items = usage
    shorter = usage_fee_between(start, end, card).total
    longer = usage_fee_between(start, end + extra, card).total
    assert shorter <= longer
    actual = usage_fee_between(start, end, card).actual_minutes
    assert shorter == time_charge(billable_minutes(actual, card), card) + to_fen(card.setup_fee)


@PROPERTIES
@given(usages())
def test_estimate_for_is_the_fee_of_using_the_booking_as_booked(usage):
    card, start, end, _items = usage
    booked = Interval(start, max(end, start + timedelta(seconds=1)))
    assert estimate_for(booked, card) == usage_fee(booked, card).total
    assert usage_fee(booked, card) == usage_fee_between(booked.start, booked.end, card)


@PROPERTIES
@given(rate_cards(), money)
def test_cancellation_type_fees_are_fen_and_never_negative(card, estimated):
    for charge, statement in [
        (card.no_show_fee, no_show_fee(estimated, card)),
        (card.late_cancellation_fee, late_cancellation_fee(estimated, card)),
    ]:
        if charge is None:
            assert statement is None
            continue
        [line] = statement.lines
        assert statement.total == line.amount >= 0
        assert has_at_most_two_decimals(line.amount)
        if charge.kind == "percent":
            assert line.amount <= estimated
        else:
            assert line.amount == charge.value


# Boundaries outside 01:00-03:59 local, where no 2026 DST change of these zones falls, so a
# naive wall-clock comparison is an independent oracle for the rate of each minute.
calm_times = st.builds(time, st.sampled_from([0, *range(4, 24)]), st.integers(0, 59))
calm_windows = st.builds(
    RateWindow,
    weekdays=st.none() | st.frozensets(st.integers(0, 6), min_size=1),
    start_time=calm_times,
    end_time=calm_times,
    hourly_rate=money,
)


def wall_clock_rate(instant: datetime, card: RateCard) -> Decimal:
    wall = instant.astimezone(card.zone).replace(tzinfo=None)
    for window in card.rate_windows:
        for day in (wall.date(), wall.date() - timedelta(days=1)):
            end_day = day + timedelta(days=1) if window.end_time <= window.start_time else day
            opens = datetime.combine(day, window.start_time)
            closes = datetime.combine(end_day, window.end_time)
            if window.applies_on(day) and opens <= wall < closes:
                return window.hourly_rate
    return card.hourly_rate


@PROPERTIES
@given(
    card=st.builds(
        RateCard,
        hourly_rate=money,
        min_charge_minutes=st.integers(0, 480),
        billing_increment_minutes=increments,
        rate_windows=st.lists(calm_windows, max_size=3).map(tuple),
        timezone=st.sampled_from(TIMEZONES),
    ),
    start=starts,
    length=st.integers(0, 36 * 3600).map(lambda seconds: timedelta(seconds=seconds)),
)
def test_each_minute_is_charged_at_the_local_wall_clock_rate_of_its_start(card, start, length):
    statement = usage_fee_between(start, start + length, card)
    expected: dict[Decimal, int] = {}
    last_rate = wall_clock_rate(start, card)
    for minute in range(statement.actual_minutes):
        last_rate = wall_clock_rate(start + timedelta(minutes=minute), card)
        expected[last_rate] = expected.get(last_rate, 0) + 1
    # minutes billed beyond those used go at the rate of the last minute used
    expected[last_rate] = expected.get(last_rate, 0) + (
        statement.billable_minutes - statement.actual_minutes
    )
    charged = {line.unit_price: line.minutes for line in statement.lines if line.kind == "time"}
    assert charged == {rate: minutes for rate, minutes in expected.items() if minutes}
