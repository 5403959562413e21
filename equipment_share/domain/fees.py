"""Fees from a rate card: exact Decimal arithmetic, CNY rounded half-up to the fen."""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

FEN = Decimal("0.01")
MINUTES_PER_HOUR = Decimal(60)


@dataclass(frozen=True)
class RateCard:
    hourly_rate: Decimal
    setup_fee: Decimal = Decimal("0.00")
    min_charge_minutes: int = 0
    billing_increment_minutes: int = 1


def to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def billable_minutes(actual_minutes: int, rate_card: RateCard) -> int:
    """Actual minutes rounded up to the billing increment, and at least the minimum charge."""
    increment = max(rate_card.billing_increment_minutes, 1)
    rounded_up = -(-actual_minutes // increment) * increment
    return max(rounded_up, rate_card.min_charge_minutes)


def time_charge(minutes: int, rate_card: RateCard) -> Decimal:
    return to_fen(Decimal(minutes) / MINUTES_PER_HOUR * rate_card.hourly_rate)


def estimate_fee(booked_minutes: int, rate_card: RateCard) -> Decimal:
    """What a booking of this length costs if used as booked."""
    minutes = billable_minutes(booked_minutes, rate_card)
    return time_charge(minutes, rate_card) + to_fen(rate_card.setup_fee)
