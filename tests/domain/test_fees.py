from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.fees import (
    CatalogueItem,
    Charge,
    FeeLine,
    FeeStatement,
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
from tests.clock import SHANGHAI

CARD = RateCard(
    hourly_rate=Decimal("300.00"),
    setup_fee=Decimal("50.00"),
    min_charge_minutes=60,
    billing_increment_minutes=30,
)
BERLIN = ZoneInfo("Europe/Berlin")
EVERY_DAY = None
WEEKDAYS = frozenset(range(5))
FRIDAY = frozenset({4})


def D(value: str) -> Decimal:
    return Decimal(value)


def shanghai(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    """January 2026 in Shanghai: the 5th is a Monday, the 9th a Friday, the 10th a Saturday."""
    return datetime(2026, 1, day, hour, minute, second, tzinfo=SHANGHAI)


def berlin(month: int, day: int, hour: int, fold: int = 0) -> datetime:
    return datetime(2026, month, day, hour, fold=fold, tzinfo=BERLIN)


def card(rate: str = "120.00", **overrides) -> RateCard:
    """A card at 2.00 per minute, billed by the minute, with no minimum, unless overridden."""
    return RateCard(hourly_rate=D(rate), **overrides)


def summary(statement: FeeStatement) -> list[tuple]:
    """(kind, minutes, amount) per line, the amount as a string to compare exact Decimals."""
    return [(line.kind, line.minutes, str(line.amount)) for line in statement.lines]


# -- the existing estimate ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actual", "billable"),
    [(0, 60), (1, 60), (59, 60), (60, 60), (61, 90), (90, 90), (91, 120), (240, 240)],
)
def test_billable_minutes_round_up_to_the_increment_and_the_minimum(actual, billable):
    assert billable_minutes(actual, CARD) == billable


def fee_of(minutes: int, card: RateCard) -> Decimal:
    """The fee of `minutes` of use on a card without rate windows."""
    start = datetime(2026, 3, 2, 10, tzinfo=UTC)
    return usage_fee_between(start, start + timedelta(minutes=minutes), card).total


@pytest.mark.parametrize(
    ("minutes", "fee"),
    [(60, "350.00"), (90, "500.00"), (120, "650.00"), (30, "350.00")],
)
def test_the_fee_is_time_charge_plus_setup(minutes, fee):
    assert fee_of(minutes, CARD) == Decimal(fee)


def test_fees_round_half_up_to_the_fen():
    # 10 minutes at 0.33/h = 0.055 -> 0.06 (half-up), not 0.05 (banker's rounding)
    card = RateCard(hourly_rate=Decimal("0.33"), billing_increment_minutes=10)
    assert fee_of(10, card) == Decimal("0.06")


def test_fees_are_exact_decimals():
    card = RateCard(hourly_rate=Decimal("0.10"), billing_increment_minutes=1)
    assert fee_of(60 * 3, card) == Decimal("0.30")
    assert isinstance(fee_of(1, card), Decimal)


@pytest.mark.parametrize(
    ("minutes", "rate", "fee"),
    [
        (1, "0.30", "0.01"),  # 0.005 exactly: half-up
        (1, "0.29", "0.00"),  # 0.00483...
        (2, "1.65", "0.06"),  # 0.055 exactly; 2/60 first, then x 1.65, gives 0.05499... -> 0.05
        (3, "0.10", "0.01"),  # 0.005 exactly
        (0, "300.00", "0.00"),
    ],
)
def test_time_charge_rounds_the_exact_product_half_up(minutes, rate, fee):
    assert time_charge(minutes, card(rate)) == D(fee)


# -- usage fees --------------------------------------------------------------------------------

OFF_PEAK = card(
    "300.00",
    rate_windows=(
        RateWindow(frozenset({5, 6}), time(0), time(0), D("100.00")),  # weekends, all day
        RateWindow(EVERY_DAY, time(18), time(8), D("150.00")),  # evenings and nights
    ),
)
TWO_WINDOWS = card(
    "300.00",
    rate_windows=(
        (EVERY_DAY, time(8), time(12), D("200.00")),  # plain tuples are accepted too
        (EVERY_DAY, time(12), time(18), D("250.00")),
    ),
)
NIGHTS = card("120.00", rate_windows=((EVERY_DAY, time(22), time(6), D("60.00")),))
FRIDAY_NIGHT = card("120.00", rate_windows=((FRIDAY, time(22), time(6), D("60.00")),))
BERLIN_NIGHTS = card(
    "60.00", timezone="Europe/Berlin", rate_windows=((EVERY_DAY, time(22), time(6), D("30.00")),)
)
HALF_FEN = card("0.30", rate_windows=((EVERY_DAY, time(10), time(11), D("0.90")),))
OVERLAPPING = card(
    "300.00",
    rate_windows=(
        (WEEKDAYS, time(9), time(10), D("50.00")),  # listed first: wins where both apply
        (EVERY_DAY, time(0), time(0), D("100.00")),
    ),
)


@pytest.mark.parametrize(
    ("rate_card", "start", "end", "lines", "billable"),
    [
        pytest.param(
            card(billing_increment_minutes=increment),
            shanghai(5, 10),
            shanghai(5, 10, 31),
            [("time", billable, fee)],
            billable,
            id=f"increment-{increment}",
        )
        for increment, billable, fee in [
            (1, 31, "62.00"),
            (15, 45, "90.00"),
            (30, 60, "120.00"),
            (60, 60, "120.00"),
        ]
    ]
    + [
        pytest.param(
            card(billing_increment_minutes=15, min_charge_minutes=60),
            shanghai(5, 10),
            shanghai(5, 10, 20),
            [("time", 60, "120.00")],
            60,
            id="minimum-charge",
        ),
        pytest.param(
            card(billing_increment_minutes=15, min_charge_minutes=60),
            shanghai(5, 10),
            shanghai(5, 11, 10),
            [("time", 75, "150.00")],
            75,
            id="above-the-minimum-rounds-to-the-increment",
        ),
        pytest.param(
            card(),
            shanghai(5, 10),
            shanghai(5, 10, 0, 30),
            [("time", 1, "2.00")],
            1,
            id="a-started-minute-counts-whole",
        ),
        pytest.param(
            card(),
            shanghai(5, 10),
            shanghai(5, 10, 2, 1),
            [("time", 3, "6.00")],
            3,
            id="seconds-round-up-to-the-minute",
        ),
        pytest.param(
            CARD,
            shanghai(5, 10),
            shanghai(5, 10, 45),
            [("time", 60, "300.00"), ("setup", None, "50.00")],
            60,
            id="setup-fee-after-time",
        ),
        pytest.param(
            TWO_WINDOWS,
            shanghai(5, 11, 30),
            shanghai(5, 12, 45),
            [("time", 30, "100.00"), ("time", 45, "187.50")],
            75,
            id="two-windows-across-their-boundary",
        ),
        pytest.param(
            TWO_WINDOWS,
            shanghai(5, 17),
            shanghai(5, 19),
            [("time", 60, "250.00"), ("time", 60, "300.00")],
            120,
            id="window-into-the-base-rate",
        ),
        pytest.param(
            OFF_PEAK,
            shanghai(5, 17),
            shanghai(5, 19),
            [("time", 60, "300.00"), ("time", 60, "150.00")],
            120,
            id="peak-into-off-peak",
        ),
        pytest.param(
            NIGHTS,
            shanghai(5, 21),
            shanghai(6, 7),
            [("time", 120, "240.00"), ("time", 480, "480.00")],
            600,
            id="window-across-midnight-one-line-per-rate",
        ),
        pytest.param(
            FRIDAY_NIGHT,
            shanghai(10, 1),
            shanghai(10, 2),
            [("time", 60, "60.00")],
            60,
            id="friday-night-window-reaches-into-saturday",
        ),
        pytest.param(
            FRIDAY_NIGHT,
            shanghai(6, 1),
            shanghai(6, 2),
            [("time", 60, "120.00")],
            60,
            id="no-monday-night-window-on-tuesday-morning",
        ),
        pytest.param(
            OVERLAPPING,
            shanghai(5, 8),
            shanghai(5, 11),
            [("time", 120, "200.00"), ("time", 60, "50.00")],
            180,
            id="overlapping-windows-first-listed-wins",
        ),
        pytest.param(
            BERLIN_NIGHTS,
            berlin(3, 28, 20),
            berlin(3, 29, 8),
            [("time", 240, "240.00"), ("time", 420, "210.00")],
            660,
            id="berlin-spring-forward-night-is-7-hours",
        ),
        pytest.param(
            BERLIN_NIGHTS,
            berlin(10, 24, 20),
            berlin(10, 25, 8),
            [("time", 240, "240.00"), ("time", 540, "270.00")],
            780,
            id="berlin-fall-back-night-is-9-hours",
        ),
        pytest.param(
            card(timezone="Europe/Berlin"),
            berlin(3, 29, 1),
            berlin(3, 29, 4),
            [("time", 120, "240.00")],
            120,
            id="berlin-01-to-04-on-spring-forward-is-2-real-hours",
        ),
        pytest.param(
            card(timezone="Europe/Berlin"),
            berlin(10, 25, 1),
            berlin(10, 25, 4),
            [("time", 240, "480.00")],
            240,
            id="berlin-01-to-04-on-fall-back-is-4-real-hours",
        ),
        pytest.param(
            card(timezone="Europe/Berlin"),
            berlin(10, 25, 2),
            berlin(10, 25, 2, fold=1),
            [("time", 60, "120.00")],
            60,
            id="berlin-the-repeated-hour",
        ),
        pytest.param(
            card("0.30"),
            shanghai(5, 9),
            shanghai(5, 9, 1),
            [("time", 1, "0.01")],
            1,
            id="half-up-at-exactly-half-a-fen",
        ),
        pytest.param(
            HALF_FEN,
            shanghai(5, 9, 59),
            shanghai(5, 10, 1),
            [("time", 1, "0.01"), ("time", 1, "0.02")],
            2,
            id="each-time-line-rounded-on-its-own",
        ),
        pytest.param(
            card("0.00"),
            shanghai(5, 9),
            shanghai(5, 17),
            [("time", 480, "0.00")],
            480,
            id="free-instrument-is-zero-never-negative",
        ),
    ],
)
def test_usage_fee(rate_card, start, end, lines, billable):
    statement = usage_fee(Interval(start, end), rate_card)
    assert summary(statement) == lines
    assert statement.billable_minutes == billable
    assert statement.total == sum((D(amount) for _, _, amount in lines), D("0.00"))
    assert statement.total >= 0


@pytest.mark.parametrize(
    ("start", "end", "increment", "minimum", "lines"),
    [
        pytest.param(
            shanghai(5, 17, 50),
            shanghai(5, 18, 5),
            30,
            0,
            [("time", 10, "50.00"), ("time", 20, "50.00")],
            id="rounding-up-charged-at-the-last-used-rate",
        ),
        pytest.param(
            shanghai(5, 17, 30),
            shanghai(5, 18),
            60,
            0,
            [("time", 60, "300.00")],
            id="not-at-the-rate-that-starts-at-the-end",
        ),
        pytest.param(
            shanghai(5, 20),
            shanghai(5, 20, 10),
            30,
            60,
            [("time", 60, "150.00")],
            id="minimum-charge-of-an-off-peak-use",
        ),
    ],
)
def test_billed_minutes_beyond_the_actual_end_use_the_last_used_rate(
    start, end, increment, minimum, lines
):
    rate_card = RateCard(
        hourly_rate=D("300.00"),
        min_charge_minutes=minimum,
        billing_increment_minutes=increment,
        rate_windows=((EVERY_DAY, time(18), time(8), D("150.00")),),
    )
    assert summary(usage_fee(Interval(start, end), rate_card)) == lines


@pytest.mark.parametrize(
    ("minimum", "setup", "lines"),
    [
        (60, "0.00", [("time", 60, "120.00")]),
        (60, "50.00", [("time", 60, "120.00"), ("setup", None, "50.00")]),
        (0, "50.00", [("setup", None, "50.00")]),
        (0, "0.00", []),
    ],
)
def test_zero_length_usage_is_charged_the_minimum(minimum, setup, lines):
    rate_card = card(min_charge_minutes=minimum, setup_fee=D(setup))
    statement = usage_fee_between(shanghai(5, 10), shanghai(5, 10), rate_card)
    assert summary(statement) == lines
    assert (statement.actual_minutes, statement.billable_minutes) == (0, minimum)
    assert billable_minutes(0, rate_card) == minimum


def test_zero_length_usage_is_charged_at_the_rate_in_force_at_its_start():
    rate_card = replace(OFF_PEAK, min_charge_minutes=30)
    statement = usage_fee_between(shanghai(5, 19), shanghai(5, 19), rate_card)
    assert summary(statement) == [("time", 30, "75.00")]


def test_time_lines_carry_hours_rate_and_minutes():
    statement = usage_fee(Interval(shanghai(5, 11, 30), shanghai(5, 12, 45)), TWO_WINDOWS)
    first, second = statement.lines
    assert first == FeeLine("time", "Machine time", D("0.5"), D("200.00"), D("100.00"), 30)
    assert (second.quantity, second.unit_price, second.minutes) == (D("0.75"), D("250.00"), 45)
    assert statement.actual_minutes == 75


ITEMS_CARD = RateCard(
    hourly_rate=D("300.00"),
    setup_fee=D("50.00"),
    billing_increment_minutes=60,
    items={
        "sample": ("Sample preparation", D("25.00")),
        "argon": CatalogueItem("Argon (L)", D("0.333")),
    },
)


@pytest.mark.parametrize(
    ("items", "item_lines"),
    [
        ((), []),
        ((ItemLine("sample", D(3)),), [("item", None, "75.00")]),
        ((ItemLine("argon", D("1.5")),), [("item", None, "0.50")]),  # 0.4995 -> 0.50
        ((ItemLine("argon", D("1.5")), ItemLine("argon", D("1.5"))), [("item", None, "0.50")] * 2),
        (
            (ItemLine("sample", 2), ItemLine("argon", D(0))),
            [("item", None, "50.00"), ("item", None, "0.00")],
        ),
    ],
)
def test_item_lines_follow_time_and_setup_each_rounded(items, item_lines):
    statement = usage_fee(Interval(shanghai(5, 10), shanghai(5, 11)), ITEMS_CARD, items)
    assert summary(statement) == [("time", 60, "300.00"), ("setup", None, "50.00"), *item_lines]
    assert statement.total == D("350.00") + sum((D(a) for _, _, a in item_lines), D(0))


def test_item_lines_name_and_price_the_item():
    statement = usage_fee(
        Interval(shanghai(5, 10), shanghai(5, 11)), ITEMS_CARD, [ItemLine("sample", D(3))]
    )
    assert statement.lines[-1] == FeeLine(
        "item", "Sample preparation", D(3), D("25.00"), D("75.00")
    )


def test_an_item_missing_from_the_card_is_refused():
    with pytest.raises(ValueError, match="not in the rate card"):
        usage_fee(Interval(shanghai(5, 10), shanghai(5, 11)), ITEMS_CARD, [ItemLine("gold", 1)])


def test_estimate_for_counts_rate_windows():
    booked = Interval(shanghai(5, 17), shanghai(5, 19))
    assert estimate_for(booked, OFF_PEAK) == D("450.00")
    assert estimate_for(booked, CARD) == D("650.00")


# -- no-show and late cancellation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("charge", "estimated", "line"),
    [
        (Charge.fixed(D("80.00")), D("650.00"), (D(1), D("80.00"), "80.00")),
        (Charge("fixed", D("80")), D("0.00"), (D(1), D("80"), "80.00")),
        (Charge.percent(D(50)), D("650.00"), (D("650.00"), D("0.5"), "325.00")),
        (Charge.percent(D(15)), D("0.10"), (D("0.10"), D("0.15"), "0.02")),  # 0.015 half-up
        (Charge.percent(D(100)), D("0.00"), (D("0.00"), D(1), "0.00")),
    ],
)
@pytest.mark.parametrize(
    ("field", "compute", "kind"),
    [
        ("no_show_fee", no_show_fee, "no_show"),
        ("late_cancellation_fee", late_cancellation_fee, "late_cancellation"),
    ],
)
def test_cancellation_type_fees(charge, estimated, line, field, compute, kind):
    statement = compute(estimated, card(**{field: charge}))
    quantity, unit_price, amount = line
    [fee_line] = statement.lines
    assert (fee_line.kind, fee_line.quantity, fee_line.unit_price) == (kind, quantity, unit_price)
    assert str(fee_line.amount) == str(statement.total) == amount
    assert fee_line.minutes is None
    assert (statement.actual_minutes, statement.billable_minutes) == (0, 0)


@pytest.mark.parametrize("compute", [no_show_fee, late_cancellation_fee])
def test_no_cancellation_type_fee_when_the_card_has_none(compute):
    assert compute(D("650.00"), CARD) is None


def test_the_two_charges_are_independent():
    rate_card = card(no_show_fee=Charge.fixed(D("100.00")))
    assert no_show_fee(D("650.00"), rate_card).total == D("100.00")
    assert late_cancellation_fee(D("650.00"), rate_card) is None


# -- guards ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"hourly_rate": D("-0.01")}, ValueError),
        ({"hourly_rate": D("NaN")}, ValueError),
        ({"hourly_rate": D("Infinity")}, ValueError),
        ({"hourly_rate": 300.0}, TypeError),
        ({"setup_fee": D("-1")}, ValueError),
        ({"min_charge_minutes": -1}, ValueError),
        ({"billing_increment_minutes": 0}, ValueError),
        ({"billing_increment_minutes": 1.5}, TypeError),
        ({"timezone": "Mars/Olympus_Mons"}, ValueError),
        ({"rate_windows": ((frozenset({7}), time(8), time(9), D(1)),)}, ValueError),
        ({"rate_windows": ((frozenset(), time(8), time(9), D(1)),)}, ValueError),
        ({"rate_windows": ((None, time(8), time(9), D(-1)),)}, ValueError),
        ({"rate_windows": ((None, time(8, tzinfo=UTC), time(9), D(1)),)}, ValueError),
        ({"items": {"x": ("X", D("-1"))}}, ValueError),
        ({"items": {"": ("X", D("1"))}}, ValueError),
        ({"no_show_fee": D("50")}, TypeError),
    ],
)
def test_impossible_rate_cards_cannot_be_built(overrides, error):
    with pytest.raises(error):
        RateCard(**{"hourly_rate": D("300.00"), **overrides})


@pytest.mark.parametrize(
    ("kind", "value", "error"),
    [
        ("fixed", D("-1"), ValueError),
        ("percent", D("100.01"), ValueError),
        ("percent", D("-5"), ValueError),
        ("share", D("5"), ValueError),
        ("fixed", 5.0, TypeError),
    ],
)
def test_impossible_charges_cannot_be_built(kind, value, error):
    with pytest.raises(error):
        Charge(kind, value)


def test_other_impossible_inputs_are_refused():
    with pytest.raises(ValueError):
        ItemLine("sample", D("-1"))
    with pytest.raises(ValueError):
        billable_minutes(-1, CARD)
    with pytest.raises(ValueError):
        usage_fee_between(shanghai(5, 11), shanghai(5, 10), CARD)
    with pytest.raises(ValueError):
        usage_fee_between(datetime(2026, 1, 5, 10), datetime(2026, 1, 5, 11), CARD)
    with pytest.raises(ValueError):
        no_show_fee(D("-1"), card(no_show_fee=Charge.fixed(D(1))))
    with pytest.raises(ValueError):
        FeeLine("time", "Machine time", D(1), D(1), D("0.005"))


def test_rate_cards_are_values():
    """Plain tuples and dicts are normalised; equal cards are equal and hash alike."""
    plain = card(
        rate_windows=[(None, time(18), time(8), D("60.00"))],
        items={"sample": ("Sample", D("25.00"))},
    )
    typed = card(
        rate_windows=(RateWindow(None, time(18), time(8), D("60.00")),),
        items={"sample": CatalogueItem("Sample", D("25.00"))},
    )
    assert plain == typed and hash(plain) == hash(typed)
    assert plain.items["sample"].unit_price == D("25.00")
    with pytest.raises(TypeError):
        plain.items["other"] = CatalogueItem("Other", D(1))


def test_defaults_keep_existing_callers_working():
    assert CARD.rate_windows == () and CARD.items == {} and CARD.timezone == "Asia/Shanghai"
    assert CARD.no_show_fee is None and CARD.late_cancellation_fee is None
    assert to_fen(D("0.005")) == D("0.01")
    assert usage_fee(
        Interval(shanghai(5, 10), shanghai(5, 10) + timedelta(hours=2)), CARD
    ).total == D("650.00")
