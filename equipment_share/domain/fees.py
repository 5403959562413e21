"""Fees from a rate card: exact Decimal arithmetic, CNY rounded half-up to the fen.

A fee is a statement of lines; its total is the exact sum of the lines, and each line is rounded
half-up to 0.01 on its own (a time line per rate, the setup fee, one line per catalogue item; or a
single no-show / late-cancellation line). Nothing here is ever negative: the rate card refuses
negative money at construction.

Rate windows (e.g. off-peak 18:00-08:00) are in the instrument's local wall-clock time, so they
stay at the same local time across midnight and daylight-saving changes, while usage is measured in
real elapsed minutes between two UTC instants.

`kind` is the stable key of a line (translate it for display); `description` is an English
fallback, or the catalogue label for item lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from types import MappingProxyType
from typing import Literal, NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from equipment_share.domain.availability import Interval, to_utc

FEN = Decimal("0.01")
HOURS_QUANTUM = Decimal("0.0001")
MINUTES_PER_HOUR = Decimal(60)
ONE_MINUTE = timedelta(minutes=1)
ONE_DAY = timedelta(days=1)
ZERO = Decimal("0.00")
DEFAULT_TIMEZONE = "Asia/Shanghai"

ChargeKind = Literal["fixed", "percent"]
LineKind = Literal["time", "setup", "item", "no_show", "late_cancellation"]
CHARGE_KINDS = frozenset({"fixed", "percent"})
LINE_KINDS = frozenset({"time", "setup", "item", "no_show", "late_cancellation"})


def _money(value: object, name: str) -> Decimal:
    """A finite, non-negative Decimal (ints are accepted); floats and bools are refused."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}: {value!r}")
    amount = Decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a finite amount of at least 0: {value!r}")
    return amount


def _whole(value: object, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, not {type(value).__name__}: {value!r}")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}: {value!r}")
    return value


@dataclass(frozen=True)
class Charge:
    """A cancellation-type fee: a fixed amount, or a percentage (0-100) of the estimated fee."""

    kind: ChargeKind
    value: Decimal

    def __post_init__(self) -> None:
        if self.kind not in CHARGE_KINDS:
            raise ValueError(f"charge kind must be 'fixed' or 'percent': {self.kind!r}")
        value = _money(self.value, "charge value")
        if self.kind == "percent" and value > 100:
            raise ValueError(f"a percentage must be within 0..100: {self.value!r}")
        object.__setattr__(self, "value", value)

    @classmethod
    def fixed(cls, amount: Decimal) -> Charge:
        return cls("fixed", amount)

    @classmethod
    def percent(cls, percentage: Decimal) -> Charge:
        return cls("percent", percentage)

    def line(self, kind: LineKind, description: str, estimated_fee: Decimal) -> FeeLine:
        if self.kind == "fixed":
            return FeeLine(kind, description, Decimal(1), self.value, to_fen(self.value))
        share = self.value / 100
        return FeeLine(kind, description, estimated_fee, share, to_fen(estimated_fee * share))


@dataclass(frozen=True)
class RateWindow:
    """A local wall-clock period with its own hourly rate, e.g. off-peak 18:00-08:00.

    ``weekdays`` (Monday=0 ... Sunday=6; None for every day) are the local days an occurrence
    starts on; ``end_time <= start_time`` means it ends on the next local day (equal: 24 hours).
    """

    weekdays: frozenset[int] | None
    start_time: time
    end_time: time
    hourly_rate: Decimal

    def __post_init__(self) -> None:
        if self.weekdays is not None:
            weekdays = frozenset(self.weekdays)
            if not weekdays or not all(isinstance(day, int) and 0 <= day <= 6 for day in weekdays):
                raise ValueError(f"weekdays must be a non-empty set within 0..6: {self.weekdays}")
            object.__setattr__(self, "weekdays", weekdays)
        for name in ("start_time", "end_time"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise ValueError(f"{name} must be a naive local time: {value!r}")
        object.__setattr__(self, "hourly_rate", _money(self.hourly_rate, "window hourly_rate"))

    def applies_on(self, day: date) -> bool:
        return self.weekdays is None or day.weekday() in self.weekdays

    def occurrence(self, day: date, tz: ZoneInfo) -> tuple[datetime, datetime] | None:
        """The UTC span of the occurrence starting on this local day; None if DST erases it."""
        end_day = day + ONE_DAY if self.end_time <= self.start_time else day
        start = _local_instant(day, self.start_time, tz)
        end = _local_instant(end_day, self.end_time, tz)
        return (start, end) if start < end else None


class CatalogueItem(NamedTuple):
    """A per-sample or consumables price: ``(label, unit_price)``."""

    label: str
    unit_price: Decimal


@dataclass(frozen=True)
class RateCard:
    """What an instrument costs; frozen on a booking when it is made.

    Overlapping rate windows: the first listed wins. ``items`` maps a code to (label, unit price).
    The constructor is a guard against impossible cards, not user-input validation.
    """

    hourly_rate: Decimal
    setup_fee: Decimal = ZERO
    min_charge_minutes: int = 0
    billing_increment_minutes: int = 1
    rate_windows: tuple[RateWindow, ...] = ()
    timezone: str = DEFAULT_TIMEZONE
    items: Mapping[str, CatalogueItem] = field(default_factory=dict, hash=False)
    no_show_fee: Charge | None = None
    late_cancellation_fee: Charge | None = None

    def __post_init__(self) -> None:
        set_field = object.__setattr__
        set_field(self, "hourly_rate", _money(self.hourly_rate, "hourly_rate"))
        set_field(self, "setup_fee", _money(self.setup_fee, "setup_fee"))
        _whole(self.min_charge_minutes, "min_charge_minutes", 0)
        _whole(self.billing_increment_minutes, "billing_increment_minutes", 1)
        windows = tuple(
            window if isinstance(window, RateWindow) else RateWindow(*window)
            for window in self.rate_windows
        )
        set_field(self, "rate_windows", windows)
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as error:
            raise ValueError(f"unknown time zone: {self.timezone!r}") from error
        set_field(self, "items", MappingProxyType(_catalogue(self.items)))
        for name in ("no_show_fee", "late_cancellation_fee"):
            charge = getattr(self, name)
            if charge is not None and not isinstance(charge, Charge):
                raise TypeError(f"{name} must be a Charge or None: {charge!r}")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _catalogue(items: Mapping[str, tuple[str, Decimal]]) -> dict[str, CatalogueItem]:
    catalogue = {}
    for code, (label, unit_price) in items.items():
        if not isinstance(code, str) or not code or not isinstance(label, str):
            raise ValueError(f"an item needs a code and a label: {code!r} -> {label!r}")
        catalogue[code] = CatalogueItem(label, _money(unit_price, f"unit price of {code}"))
    return catalogue


@dataclass(frozen=True)
class ItemLine:
    """A recorded quantity of a catalogue item (samples, grams of a consumable ...)."""

    code: str
    quantity: Decimal

    def __post_init__(self) -> None:
        object.__setattr__(self, "quantity", _money(self.quantity, f"quantity of {self.code}"))


@dataclass(frozen=True)
class FeeLine:
    """One line of a statement; ``amount`` is already rounded half-up to the fen.

    Time lines: ``quantity`` is hours to 4 decimals, for display only; ``amount`` comes from the
    exact ``minutes``. Percentage lines: ``quantity`` is the estimated fee, ``unit_price`` the
    share (0.2 for 20%). Otherwise ``amount`` = to_fen(quantity x unit_price).
    """

    kind: LineKind
    description: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    minutes: int | None = None

    def __post_init__(self) -> None:
        if self.kind not in LINE_KINDS:
            raise ValueError(f"unknown fee line kind: {self.kind!r}")
        if self.amount < 0 or self.amount != to_fen(self.amount):
            raise ValueError(f"a line amount is a non-negative sum in fen: {self.amount!r}")


@dataclass(frozen=True)
class FeeStatement:
    lines: tuple[FeeLine, ...]
    billable_minutes: int = 0
    actual_minutes: int = 0

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)


def to_fen(amount: Decimal) -> Decimal:
    return amount.quantize(FEN, rounding=ROUND_HALF_UP)


def billable_minutes(actual_minutes: int, rate_card: RateCard) -> int:
    """Actual minutes rounded up to the billing increment, and at least the minimum charge."""
    _whole(actual_minutes, "actual_minutes", 0)
    increment = rate_card.billing_increment_minutes
    rounded_up = -(-actual_minutes // increment) * increment
    return max(rounded_up, rate_card.min_charge_minutes)


def time_charge(minutes: int, rate_card: RateCard) -> Decimal:
    """Minutes at the card's base hourly rate, rounded half-up to the fen."""
    return _at_rate(minutes, rate_card.hourly_rate)


def estimate_for(interval: Interval, rate_card: RateCard) -> Decimal:
    """What the booked interval costs if used exactly as booked, rate windows included."""
    return usage_fee(interval, rate_card).total


def usage_fee(
    actual: Interval, rate_card: RateCard, items: Sequence[ItemLine] = ()
) -> FeeStatement:
    """The statement for recorded usage: time lines per rate, then setup fee, then items."""
    return usage_fee_between(actual.start, actual.end, rate_card, items)


def usage_fee_between(
    start: datetime, end: datetime, rate_card: RateCard, items: Sequence[ItemLine] = ()
) -> FeeStatement:
    """As `usage_fee`, but also for zero-length usage (start == end: charged the minimum)."""
    start, end = to_utc(start), to_utc(end)
    if end < start:
        raise ValueError(f"usage must not end before it starts: {start} > {end}")
    actual = _minutes_until(start, end)
    billable = billable_minutes(actual, rate_card)
    lines = [
        FeeLine("time", "Machine time", _hours(minutes), rate, _at_rate(minutes, rate), minutes)
        for rate, minutes in _minutes_per_rate(start, actual, billable, rate_card).items()
        if minutes > 0
    ]
    if rate_card.setup_fee > 0:
        setup = rate_card.setup_fee
        lines.append(FeeLine("setup", "Setup fee", Decimal(1), setup, to_fen(setup)))
    lines.extend(_item_lines(items, rate_card))
    return FeeStatement(tuple(lines), billable_minutes=billable, actual_minutes=actual)


def no_show_fee(estimated_fee: Decimal, rate_card: RateCard) -> FeeStatement | None:
    """The no-show charge of the card, or None when it has none."""
    return _charge_statement(rate_card.no_show_fee, "no_show", "No-show fee", estimated_fee)


def late_cancellation_fee(estimated_fee: Decimal, rate_card: RateCard) -> FeeStatement | None:
    """The late-cancellation charge of the card, or None when it has none."""
    return _charge_statement(
        rate_card.late_cancellation_fee, "late_cancellation", "Late cancellation fee", estimated_fee
    )


def _charge_statement(
    charge: Charge | None, kind: LineKind, description: str, estimated_fee: Decimal
) -> FeeStatement | None:
    estimated = _money(estimated_fee, "estimated_fee")
    if charge is None:
        return None
    return FeeStatement((charge.line(kind, description, estimated),))


def _at_rate(minutes: int, hourly_rate: Decimal) -> Decimal:
    # Multiply first: 2 min at 1.65/h is 0.055 -> 0.06; 2/60 first gives 0.0549... -> 0.05.
    return to_fen(Decimal(minutes) * hourly_rate / MINUTES_PER_HOUR)


def _hours(minutes: int) -> Decimal:
    return (Decimal(minutes) / MINUTES_PER_HOUR).quantize(HOURS_QUANTUM, rounding=ROUND_HALF_UP)


def _minutes_until(start: datetime, instant: datetime) -> int:
    """Whole minutes from start that begin before the instant: elapsed minutes rounded up."""
    return -(-(instant - start) // ONE_MINUTE)


def _minutes_per_rate(
    start: datetime, actual: int, billable: int, rate_card: RateCard
) -> dict[Decimal, int]:
    """Billable minutes per hourly rate, in the order the rates are first used.

    Used minute k is [start + k min, start + (k+1) min) and is charged at the rate in force at its
    first instant; the minutes billed beyond those used (rounding up to the increment, or the
    minimum charge) are charged at the rate of the last minute used (at the start's rate when
    nothing was used), never at a rate the instrument was not used at.
    """
    span_end = start + actual * ONE_MINUTE
    occurrences = _occurrences(start, span_end, rate_card)
    cuts = sorted(
        {start} | {bound for span in occurrences for bound in span[:2] if start < bound < span_end}
    )
    per_rate: dict[Decimal, int] = {}
    last_rate = _rate_at(start, occurrences, rate_card)
    for cut, next_cut in zip(cuts, [*cuts[1:], span_end], strict=True):
        minutes = _minutes_until(start, next_cut) - _minutes_until(start, cut)
        if minutes > 0:
            last_rate = _rate_at(cut, occurrences, rate_card)
            per_rate[last_rate] = per_rate.get(last_rate, 0) + minutes
    per_rate[last_rate] = per_rate.get(last_rate, 0) + billable - actual
    return per_rate


def _occurrences(
    start: datetime, end: datetime, rate_card: RateCard
) -> list[tuple[datetime, datetime, Decimal]]:
    """Rate-window occurrences that may cover [start, end], in priority order, in UTC."""
    if not rate_card.rate_windows:
        return []
    tz = rate_card.zone
    first = start.astimezone(tz).date() - ONE_DAY  # an overnight window reaches into this day
    days = [
        first + offset * ONE_DAY for offset in range((end.astimezone(tz).date() - first).days + 1)
    ]
    return [
        (*span, window.hourly_rate)
        for window in rate_card.rate_windows
        for day in days
        if window.applies_on(day) and (span := window.occurrence(day, tz)) is not None
    ]


def _rate_at(
    instant: datetime, occurrences: Iterable[tuple[datetime, datetime, Decimal]], card: RateCard
) -> Decimal:
    return next(
        (rate for start, end, rate in occurrences if start <= instant < end), card.hourly_rate
    )


def _item_lines(items: Sequence[ItemLine], rate_card: RateCard) -> list[FeeLine]:
    lines = []
    for item in items:
        entry = rate_card.items.get(item.code)
        if entry is None:
            raise ValueError(f"item {item.code!r} is not in the rate card")
        amount = to_fen(item.quantity * entry.unit_price)
        lines.append(FeeLine("item", entry.label, item.quantity, entry.unit_price, amount))
    return lines


def _local_instant(day: date, wall_time: time, tz: ZoneInfo) -> datetime:
    # As in availability: nonexistent/ambiguous wall times take fold=0 (the pre-transition offset).
    return datetime.combine(day, wall_time.replace(fold=0), tzinfo=tz).astimezone(UTC)
