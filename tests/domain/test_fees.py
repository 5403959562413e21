from decimal import Decimal

import pytest

from equipment_share.domain.fees import RateCard, billable_minutes, estimate_fee

CARD = RateCard(
    hourly_rate=Decimal("300.00"),
    setup_fee=Decimal("50.00"),
    min_charge_minutes=60,
    billing_increment_minutes=30,
)


@pytest.mark.parametrize(
    ("actual", "billable"),
    [(1, 60), (59, 60), (60, 60), (61, 90), (90, 90), (91, 120), (240, 240)],
)
def test_billable_minutes_round_up_to_the_increment_and_the_minimum(actual, billable):
    assert billable_minutes(actual, CARD) == billable


@pytest.mark.parametrize(
    ("minutes", "fee"),
    [(60, "350.00"), (90, "500.00"), (120, "650.00"), (30, "350.00")],
)
def test_estimated_fee_is_time_charge_plus_setup(minutes, fee):
    assert estimate_fee(minutes, CARD) == Decimal(fee)


def test_fees_round_half_up_to_the_fen():
    # 10 minutes at 0.33/h = 0.055 -> 0.06 (half-up), not 0.05 (banker's rounding)
    card = RateCard(hourly_rate=Decimal("0.33"), billing_increment_minutes=10)
    assert estimate_fee(10, card) == Decimal("0.06")


def test_fees_are_exact_decimals():
    card = RateCard(hourly_rate=Decimal("0.10"), billing_increment_minutes=1)
    assert estimate_fee(60 * 3, card) == Decimal("0.30")
    assert isinstance(estimate_fee(1, card), Decimal)
