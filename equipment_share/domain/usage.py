"""Usage records: their states, what recorded times must satisfy, and fee lines as stored data.

A record is opened by a check-in (in progress) or written whole from entered times (recorded);
the SME confirms or disputes it; the platform corrects a recorded or disputed one, or waives
its charge. Only confirmed records count for subsidy claims.
"""

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from equipment_share.domain.availability import Interval
from equipment_share.domain.errors import N_, InvalidState, Message, ValidationFailed
from equipment_share.domain.fees import FeeLine, FeeStatement, ItemLine, RateCard
from equipment_share.domain.fields import check_interval


class UsageStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    RECORDED = "recorded"
    DISPUTED = "disputed"
    CONFIRMED = "confirmed"


class UsageKind(enum.StrEnum):
    USAGE = "usage"
    NO_SHOW = "no_show"
    LATE_CANCELLATION = "late_cancellation"


class UsageAction(enum.StrEnum):
    CHECK_OUT = "check_out"
    CONFIRM = "confirm"
    DISPUTE = "dispute"
    CORRECT = "correct"
    WAIVE = "waive"


OPEN_FOR_CHANGE = frozenset({UsageStatus.RECORDED, UsageStatus.DISPUTED})
TRANSITIONS: dict[UsageAction, tuple[frozenset[UsageStatus], UsageStatus]] = {
    UsageAction.CHECK_OUT: (frozenset({UsageStatus.IN_PROGRESS}), UsageStatus.RECORDED),
    # a disputed record waits for the platform's correction (or waiver), then is confirmed
    UsageAction.CONFIRM: (frozenset({UsageStatus.RECORDED}), UsageStatus.CONFIRMED),
    UsageAction.DISPUTE: (frozenset({UsageStatus.RECORDED}), UsageStatus.DISPUTED),
    UsageAction.CORRECT: (OPEN_FOR_CHANGE, UsageStatus.RECORDED),
    UsageAction.WAIVE: (OPEN_FOR_CHANGE, UsageStatus.RECORDED),
}

# Check-in may come a little before the booked start (the SME arrives early).
EARLY_CHECK_IN = timedelta(hours=1)
# Entered end times may be a moment ahead of the server clock.
CLOCK_TOLERANCE = timedelta(minutes=1)
MAX_QUANTITY = Decimal("1000000")


def next_status(current: UsageStatus, action: UsageAction) -> UsageStatus:
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidState(
            N_("A usage record in this state cannot be changed that way."),
            details={"status": current.value, "action": action.value},
        )
    return target


def can_transition(current: UsageStatus, action: UsageAction) -> bool:
    return current in TRANSITIONS[action][0]


def may_check_in_at(booked: Interval, now: datetime) -> bool:
    return booked.start - EARLY_CHECK_IN <= now < booked.end


def check_actual_times(
    actual_start: datetime | None, actual_end: datetime | None, booked: Interval, now: datetime
) -> Interval:
    """Entered times: start within the booking (or an hour early), end after start and not in
    the future. An end beyond the booked end is allowed; `is_overrun` flags it."""
    errors: dict[str, Message] = {}
    for name, value in (("actual_start", actual_start), ("actual_end", actual_end)):
        if not isinstance(value, datetime) or value.tzinfo is None:
            errors[name] = Message(N_("A date and time is required."))
    if errors:
        raise ValidationFailed(errors)
    if not booked.start - EARLY_CHECK_IN <= actual_start < booked.end:
        errors["actual_start"] = Message(
            N_("Use must start within the booked time (at most an hour early).")
        )
    if (problem := check_interval(actual_start, actual_end)) is not None:
        errors["actual_end"] = problem
    elif actual_end > now + CLOCK_TOLERANCE:
        errors["actual_end"] = Message(N_("Use cannot be recorded for the future."))
    if errors:
        raise ValidationFailed(errors)
    return Interval(actual_start, actual_end)


def is_overrun(actual_end: datetime, booked: Interval) -> bool:
    return actual_end > booked.end


def parse_items(entries: Sequence[Mapping] | None, rate_card: RateCard) -> list[ItemLine]:
    """Recorded quantities of the card's items ({code, quantity}); zero quantities are dropped."""
    errors: dict[str, Message] = {}
    lines = []
    for index, entry in enumerate(entries or ()):
        code = entry.get("code") if isinstance(entry, Mapping) else None
        if code not in rate_card.items:
            errors[f"items.{index}.code"] = Message(N_("Not an item of this rate card."))
            continue
        quantity = _quantity(entry.get("quantity"))
        if quantity is None:
            errors[f"items.{index}.quantity"] = Message(
                N_("A quantity of at least 0 with at most three decimals is required.")
            )
        elif quantity:
            lines.append(ItemLine(code, quantity))
    if errors:
        raise ValidationFailed(errors)
    return lines


def _quantity(value) -> Decimal | None:
    if isinstance(value, bool | float) or value is None:
        return None
    try:
        quantity = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not quantity.is_finite() or not 0 <= quantity <= MAX_QUANTITY:
        return None
    return quantity if quantity.as_tuple().exponent >= -3 else None


def lines_as_data(statement: FeeStatement) -> list[dict]:
    return [
        {
            "kind": line.kind,
            "description": line.description,
            "quantity": str(line.quantity),
            "unit_price": str(line.unit_price),
            "amount": str(line.amount),
            "minutes": line.minutes,
        }
        for line in statement.lines
    ]


def lines_from_data(lines: Sequence[Mapping]) -> list[FeeLine]:
    return [
        FeeLine(
            line["kind"],
            line["description"],
            Decimal(line["quantity"]),
            Decimal(line["unit_price"]),
            Decimal(line["amount"]),
            line.get("minutes"),
        )
        for line in lines
    ]
