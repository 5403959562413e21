"""Checks on single values, shared by every validator. Each returns a Message or None."""

import re
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from equipment_share.domain.errors import N_, Message, ValidationFailed

MAX_MONEY = Decimal("99999999.99")
MONEY_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")  # [0-9], not \d: \d matches "１" too
REQUIRED = Message(N_("This field is required."))
# why a booking was rejected or cancelled, a fee disputed, waived or adjusted, a claim rejected
REASON_MAX_LENGTH = 2000


def check_text(value: str | None, max_length: int, *, required: bool = False) -> Message | None:
    if value is None or value.strip() == "":
        return REQUIRED if required else None
    if len(value) > max_length:
        return Message(N_("At most %(max)d characters."), {"max": max_length})
    return None


def clean_reason(reason: str | None) -> str:
    """The reason a change requires, stripped; ValidationFailed on "reason" when it is missing or
    too long."""
    if (message := check_text(reason, REASON_MAX_LENGTH, required=True)) is not None:
        raise ValidationFailed({"reason": message})
    return reason.strip()


def check_interval(
    start: datetime,
    end: datetime,
    *,
    max_days: int | None = None,
    too_long: str = N_("The window may span at most %(days)d days."),
) -> Message | None:
    """The problem of an interval, for its end's field: not after the start, or longer than
    `max_days` (said by `too_long`, a template with %(days)d)."""
    if end <= start:
        return Message(N_("The end must be after the start."))
    if max_days is not None and end - start > timedelta(days=max_days):
        return Message(too_long, {"days": max_days})
    return None


def check_int(value, minimum: int, maximum: int) -> Message | None:
    if value is None:
        return REQUIRED
    if isinstance(value, bool) or not isinstance(value, int):
        return Message(N_("A whole number is required."))
    if not minimum <= value <= maximum:
        return Message(N_("Must be between %(min)d and %(max)d."), {"min": minimum, "max": maximum})
    return None


def parse_money(value) -> Decimal | None:
    """A non-negative amount with at most two decimals, or None when it is not one.

    Floats are refused: 0.1 + 0.2 is how money goes wrong. Text must be plain ASCII digits
    (MONEY_TEXT): Decimal() itself would also read "1_000", full-width digits and padded
    spaces, which a person typing an amount does not mean and a client should not send.
    """
    if isinstance(value, bool | float):
        return None
    text = format(value, "f") if isinstance(value, Decimal) else value
    text = str(text) if isinstance(text, int) else text
    if not isinstance(text, str) or not MONEY_TEXT.fullmatch(text):
        return None
    try:
        amount = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        return None
    if amount.as_tuple().exponent < -2:
        return None
    return amount.quantize(Decimal("0.01"))


def check_money(value) -> Message | None:
    if value is None or str(value).strip() == "":
        return REQUIRED
    if parse_money(value) is None:
        return Message(N_("An amount of at least 0 with at most two decimals is required."))
    return None


def collect(checks: dict[str, Message | None]) -> dict[str, Message]:
    return {name: message for name, message in checks.items() if message is not None}
