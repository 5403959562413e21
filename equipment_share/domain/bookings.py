"""Booking rules: states and their transitions, and what makes a requested slot acceptable."""

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from equipment_share.domain.availability import Interval
from equipment_share.domain.errors import N_, InvalidState, Message, RuleViolation, ValidationFailed


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    COMPLETED = "completed"
    REJECTED = "rejected"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class PurposeCategory(enum.StrEnum):
    """What the SME books the instrument for; subsidy policies may count only some of them."""

    RESEARCH = "research"
    PRODUCT_TESTING = "product_testing"
    CERTIFICATION = "certification"
    TRAINING = "training"
    OTHER = "other"


PURPOSE_CATEGORIES = [category.value for category in PurposeCategory]


def parse_purpose_category(value: str | None) -> PurposeCategory:
    """The booking's purpose category from its wire value; none given means research."""
    if value is None or value == "":
        return PurposeCategory.RESEARCH
    try:
        return PurposeCategory(value)
    except ValueError:
        raise ValidationFailed(
            {
                "purpose_category": Message(
                    N_("Choose one of: %(choices)s."), {"choices": ", ".join(PURPOSE_CATEGORIES)}
                )
            }
        ) from None


# Active bookings hold their slot; no two of one instrument may overlap.
ACTIVE_STATUSES = frozenset({BookingStatus.PENDING, BookingStatus.CONFIRMED})


class BookingAction(enum.StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    CANCEL = "cancel"
    NO_SHOW = "no_show"
    COMPLETE = "complete"


TRANSITIONS: dict[BookingAction, tuple[frozenset[BookingStatus], BookingStatus]] = {
    BookingAction.APPROVE: (frozenset({BookingStatus.PENDING}), BookingStatus.CONFIRMED),
    BookingAction.REJECT: (frozenset({BookingStatus.PENDING}), BookingStatus.REJECTED),
    BookingAction.CANCEL: (ACTIVE_STATUSES, BookingStatus.CANCELLED),
    BookingAction.NO_SHOW: (frozenset({BookingStatus.CONFIRMED}), BookingStatus.NO_SHOW),
    # a no-show corrected to actual use completes too
    BookingAction.COMPLETE: (
        frozenset({BookingStatus.CONFIRMED, BookingStatus.NO_SHOW}),
        BookingStatus.COMPLETED,
    ),
}


# Words for messages (translated where they are shown, like the pages' labels): a message
# never shows a reader the raw code.
STATUS_WORDS = {
    BookingStatus.PENDING: N_("pending approval"),
    BookingStatus.CONFIRMED: N_("confirmed"),
    BookingStatus.COMPLETED: N_("completed"),
    BookingStatus.REJECTED: N_("rejected"),
    BookingStatus.CANCELLED: N_("cancelled"),
    BookingStatus.NO_SHOW: N_("no-show"),
}
ACTION_WORDS = {
    BookingAction.APPROVE: N_("approve"),
    BookingAction.REJECT: N_("reject"),
    BookingAction.CANCEL: N_("cancel"),
    BookingAction.NO_SHOW: N_("mark as no-show"),
    BookingAction.COMPLETE: N_("complete"),
}


def next_status(current: BookingStatus, action: BookingAction) -> BookingStatus:
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidState(
            N_("The booking is %(status)s: it cannot be changed that way (%(action)s)."),
            details={"status": current.value, "action": action.value},
            status=Message(STATUS_WORDS[current]),
            action=Message(ACTION_WORDS[action]),
        )
    return target


def can_transition(current: BookingStatus, action: BookingAction) -> bool:
    return current in TRANSITIONS[action][0]


@dataclass(frozen=True)
class BookingRules:
    slot_minutes: int
    min_booking_minutes: int
    max_booking_minutes: int
    lead_time_hours: int
    horizon_days: int
    timezone: str = "Asia/Shanghai"


def _violation(rule: str, message: str, **params) -> RuleViolation:
    return RuleViolation(message, details={"rule": rule}, **params)


def check_booking_rules(candidate: Interval, rules: BookingRules, now: datetime) -> None:
    """Raise RuleViolation naming the first rule the requested slot breaks."""
    if candidate.start < now:
        raise _violation("past", N_("The requested time is in the past."))
    if not _on_slot_grid(candidate, rules):
        raise _violation(
            "slot_granularity",
            N_("Start and end must fall on the %(slot)d-minute slot grid."),
            slot=rules.slot_minutes,
        )
    minutes = candidate.minutes
    if minutes < rules.min_booking_minutes:
        raise _violation(
            "min_duration",
            N_("A booking lasts at least %(minutes)d minutes."),
            minutes=rules.min_booking_minutes,
        )
    if minutes > rules.max_booking_minutes:
        raise _violation(
            "max_duration",
            N_("A booking lasts at most %(minutes)d minutes."),
            minutes=rules.max_booking_minutes,
        )
    if candidate.start < now + timedelta(hours=rules.lead_time_hours):
        raise _violation(
            "lead_time",
            N_("Book at least %(hours)d hours ahead."),
            hours=rules.lead_time_hours,
        )
    if candidate.end > now + timedelta(days=rules.horizon_days):
        raise _violation(
            "horizon",
            N_("Book at most %(days)d days ahead."),
            days=rules.horizon_days,
        )


def _on_slot_grid(candidate: Interval, rules: BookingRules) -> bool:
    """Slots count from local midnight, so a 30-minute grid means :00 and :30 local time."""
    zone = ZoneInfo(rules.timezone)
    for instant in (candidate.start, candidate.end):
        local = instant.astimezone(zone)
        if (
            local.second
            or local.microsecond
            or (local.hour * 60 + local.minute) % rules.slot_minutes
        ):
            return False
    return True


def is_late_cancellation(start: datetime, now: datetime, deadline_hours: int) -> bool:
    return now > start - timedelta(hours=deadline_hours)
