"""Checks on single values, shared by every validator. Each returns a Message or None."""

from decimal import Decimal, InvalidOperation

from equipment_share.domain.errors import N_, Message

MAX_MONEY = Decimal("99999999.99")
REQUIRED = Message(N_("This field is required."))


def check_text(value: str | None, max_length: int, *, required: bool = False) -> Message | None:
    if value is None or value.strip() == "":
        return REQUIRED if required else None
    if len(value) > max_length:
        return Message(N_("At most %(max)d characters."), {"max": max_length})
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

    Floats are refused: 0.1 + 0.2 is how money goes wrong.
    """
    if isinstance(value, bool | float):
        return None
    try:
        amount = Decimal(str(value).strip())
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
