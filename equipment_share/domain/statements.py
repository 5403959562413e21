"""Fee statements: what an SME owes its platforms, or what a platform earned from SMEs, in a period.

A statement lists the usage records whose `occurred_at` falls in [start, end), in time order,
and groups them: an SME's by platform, then by instrument; a platform's by SME. Every total is
the exact Decimal sum of the line fees it covers, so the lines, the group subtotals, the status
subtotals and the statement total always agree to the fen. Records still in progress have no fee
yet and are not on the statement; it only says how many there are.

A period given as days runs from local midnight of the first day to local midnight after the
last day, in the deployment's time zone.
"""

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from equipment_share.domain.errors import N_, Message, ValidationFailed
from equipment_share.domain.fields import check_interval
from equipment_share.domain.usage import UsageKind, UsageStatus

ZERO = Decimal("0.00")
# A statement covers at most a (leap) year: it is one page and one spreadsheet, never paged.
MAX_PERIOD_DAYS = 366
# The statuses a statement shows subtotals for, in the order a record passes through them.
SETTLEMENT_STATUSES = (UsageStatus.RECORDED, UsageStatus.DISPUTED, UsageStatus.CONFIRMED)


class Party(enum.StrEnum):
    """Whose statement: an SME's (fees owed) or a platform's (fees earned)."""

    SME = "sme"
    PLATFORM = "platform"


@dataclass(frozen=True)
class Period:
    """[start, end) as UTC instants."""

    start: datetime
    end: datetime

    def days(self, zone: ZoneInfo) -> tuple[date, date] | None:
        """The first and last local day, when both ends are local midnights; else None."""
        start, end = self.start.astimezone(zone), self.end.astimezone(zone)
        if start.time() != time(0) or end.time() != time(0):
            return None
        return start.date(), end.date() - timedelta(days=1)


@dataclass(frozen=True)
class StatementLine:
    """One usage record as the statement shows it; the counterparty is the other side: the
    platform on an SME's statement, the SME on a platform's."""

    usage_id: int
    booking_id: int
    kind: UsageKind
    status: UsageStatus
    occurred_at: datetime
    actual_start: datetime | None
    actual_end: datetime | None
    billable_minutes: int
    fee: Decimal
    equipment_id: int
    equipment_name: str
    counterparty_id: int
    counterparty_name: str


@dataclass(frozen=True)
class LineGroup:
    """Lines of one counterparty (or of one instrument within it), with their subtotal."""

    id: int
    name: str
    lines: tuple[StatementLine, ...]
    # an SME's platform group holds one subgroup per instrument; other groups hold none
    subgroups: tuple["LineGroup", ...] = ()

    @property
    def subtotal(self) -> Decimal:
        return fee_sum(self.lines)


@dataclass(frozen=True)
class Statement:
    organization_id: int
    organization_name: str
    party: Party
    period: Period
    lines: tuple[StatementLine, ...]
    groups: tuple[LineGroup, ...]
    # records in the period still in progress: not on the statement until they have a fee
    in_progress: int = 0

    @property
    def total(self) -> Decimal:
        return fee_sum(self.lines)

    @property
    def totals_by_status(self) -> dict[UsageStatus, Decimal]:
        return {
            status: fee_sum(line for line in self.lines if line.status == status)
            for status in SETTLEMENT_STATUSES
        }


def fee_sum(lines: Iterable[StatementLine]) -> Decimal:
    return sum((line.fee for line in lines), ZERO)


def build_statement(
    organization_id: int,
    organization_name: str,
    party: Party,
    period: Period,
    lines: Iterable[StatementLine],
) -> Statement:
    """The statement of these records (any order): in-progress ones counted and left out, the
    rest in time order and grouped as the party's statement is."""
    records = list(lines)
    shown = tuple(
        sorted(
            (line for line in records if line.status != UsageStatus.IN_PROGRESS),
            key=lambda line: (line.occurred_at, line.usage_id),
        )
    )
    return Statement(
        organization_id=organization_id,
        organization_name=organization_name,
        party=party,
        period=period,
        lines=shown,
        groups=group_lines(party, shown),
        in_progress=len(records) - len(shown),
    )


def group_lines(party: Party, lines: tuple[StatementLine, ...]) -> tuple[LineGroup, ...]:
    """An SME's lines by platform, then instrument; a platform's by SME. Groups by name (then
    id, for two of the same name); lines keep their order within a group."""
    by_counterparty = _groups(lines, lambda line: (line.counterparty_id, line.counterparty_name))
    if party == Party.PLATFORM:
        return by_counterparty
    return tuple(
        LineGroup(
            group.id,
            group.name,
            group.lines,
            _groups(group.lines, lambda line: (line.equipment_id, line.equipment_name)),
        )
        for group in by_counterparty
    )


def _groups(
    lines: tuple[StatementLine, ...], key: Callable[[StatementLine], tuple[int, str]]
) -> tuple[LineGroup, ...]:
    members: dict[tuple[int, str], list[StatementLine]] = {}
    for line in lines:
        members.setdefault(key(line), []).append(line)
    ordered = sorted(members.items(), key=lambda item: (item[0][1], item[0][0]))
    return tuple(LineGroup(group_id, name, tuple(group)) for (group_id, name), group in ordered)


# --- periods ---


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def month_of(day: date) -> tuple[date, date]:
    """The first and last day of the day's month."""
    first = day.replace(day=1)
    next_first = (first + timedelta(days=32)).replace(day=1)
    return first, next_first - timedelta(days=1)


def period_of_days(first_day: date, last_day: date, zone: ZoneInfo) -> Period:
    """Whole local days, the last one included; names the fields `from` and `to` in errors."""
    if last_day < first_day:
        raise ValidationFailed({"to": Message(N_("The last day must not be before the first."))})
    try:
        return check_period(
            local_midnight(first_day, zone), local_midnight(last_day + timedelta(days=1), zone)
        )
    except OverflowError:
        raise ValidationFailed({"to": Message(N_("The date is out of range."))}) from None


def check_period(start: datetime, end: datetime) -> Period:
    """A statement period: the end after the start, and at most MAX_PERIOD_DAYS long."""
    too_long = N_("A statement covers at most %(days)d days.")
    if (
        problem := check_interval(start, end, max_days=MAX_PERIOD_DAYS, too_long=too_long)
    ) is not None:
        raise ValidationFailed({"to": problem})
    return Period(start.astimezone(UTC), end.astimezone(UTC))
