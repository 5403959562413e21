"""The subsidy rules: which claim lines are eligible and why not, what each funding source pays
under its caps, how a total is split over lines to the fen, and pro-rata scaling to a budget.

Pure functions over plain dataclasses; amounts are computed in integer fen and handed back as
Decimal. The order of the rules:

1. Each line is eligible or carries one reason (`IneligibleReason`): not confirmed, outside the
   policy's dates, SME not a certified tech SME, the platform is a related party, instrument
   category or booking purpose not covered, no invoice.
2. Per funding source: eligible fee × rate, rounded half-up to the fen, then at most the
   per-claim cap and what is left of the annual cap this year (never below zero). Adjustment
   lines count with their sign; a source's total never goes below zero.
3. Below the policy's minimum claim amount the claim earns nothing (`subsidy_note`).
4. Each source's total is split over the lines in proportion to their eligible fee by largest
   remainder, so lines sum exactly to the source total; a line's subsidy is the sum of its
   sources'. An eligible line the caps left with nothing is marked `cap_reached`.
"""

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from equipment_share.domain.errors import N_, InvalidState, Message
from equipment_share.domain.subsidy_states import (
    LIVE_STATUSES,
    ClaimLineKind,
    ClaimStatus,
    IneligibleReason,
)

__all__ = [
    "LIVE_STATUSES",
    "ClaimLineKind",
    "ClaimStatus",
    "IneligibleReason",
]

BELOW_MINIMUM = "below_minimum"

REASON_MESSAGES: dict[IneligibleReason, str] = {
    IneligibleReason.NOT_TECH_SME: N_("The enterprise is not a certified tech SME."),
    IneligibleReason.RELATED_PARTY: N_("The platform is a related party of the enterprise."),
    IneligibleReason.CATEGORY: N_("The policy does not cover this category of instrument."),
    IneligibleReason.PURPOSE: N_("The policy does not cover this purpose of use."),
    IneligibleReason.OUTSIDE_POLICY: N_("The use falls outside the policy's dates."),
    IneligibleReason.NO_INVOICE: N_("No invoice has been recorded for this fee."),
    IneligibleReason.CAP_REACHED: N_("The subsidy cap has been reached."),
    IneligibleReason.NOT_CONFIRMED: N_("The usage record is not confirmed."),
}
NOTE_MESSAGES = {
    BELOW_MINIMUM: N_("The subsidy is below the policy's minimum claim amount."),
}


def reason_message(reason: IneligibleReason | str | None) -> Message | None:
    """The sentence that explains a line's reason code (translate it at the edge)."""
    if reason is None:
        return None
    return Message(REASON_MESSAGES[IneligibleReason(reason)])


def note_message(note: str) -> Message | None:
    return Message(NOTE_MESSAGES[note]) if note in NOTE_MESSAGES else None


# --- money in fen ----------------------------------------------------------------------------


def to_fen(amount: Decimal) -> int:
    scaled = Decimal(amount).scaleb(2)
    if scaled == scaled.to_integral_value():
        return int(scaled)
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def from_fen(fen: int) -> Decimal:
    return Decimal(fen).scaleb(-2)


def times_rate(fen: int, rate: Decimal) -> int:
    """fen × rate, rounded half-up (away from zero) to the fen."""
    return int((Decimal(fen) * rate).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def split_by_largest_remainder(total: int, weights: Sequence[int]) -> list[int]:
    """`total` fen in proportion to `weights`, in whole fen summing exactly to `total`.

    Each share is first rounded down; the fen left over go one each to the largest
    remainders (ties: the earlier share). Weights may be negative (adjustments) as long as
    they sum to more than zero; with no positive sum there is nothing to share and all are 0.
    """
    weight_sum = sum(weights)
    if total == 0 or weight_sum <= 0:
        if total != 0:
            raise ValueError("cannot split a non-zero total over weights summing to zero or less")
        return [0] * len(weights)
    shares, remainders = [], []
    for weight in weights:
        share, remainder = divmod(total * weight, weight_sum)
        shares.append(share)
        remainders.append(remainder)
    left = total - sum(shares)
    for index in sorted(range(len(weights)), key=lambda i: (-remainders[i], i))[:left]:
        shares[index] += 1
    return shares


# --- inputs and results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """A funding source of a policy: its rate of the eligible fee and its caps."""

    name: str
    rate: Decimal
    annual_cap: Decimal
    per_claim_cap: Decimal | None = None


@dataclass(frozen=True)
class Policy:
    valid_from: date
    valid_to: date | None
    sources: tuple[Source, ...]
    min_claim_amount: Decimal = Decimal("0.00")
    # None: every category / purpose
    eligible_categories: frozenset[str] | None = None
    eligible_purposes: frozenset[str] | None = None
    require_tech_sme: bool = True
    exclude_related_parties: bool = True
    require_invoice: bool = False


@dataclass(frozen=True)
class Claimant:
    """The SME that claims: whether it is certified, and its related parties' ids."""

    organization_id: int
    tech_sme: bool
    related_ids: frozenset[int] = frozenset()


class LineInput(NamedTuple):
    """A usage record of the period, or an adjustment to one (`fee` is then its fee delta).

    A named tuple, not a dataclass: a claim may have thousands of lines."""

    key: int
    fee: Decimal
    day: date
    platform_id: int
    category: str
    purpose: str
    confirmed: bool = True
    has_invoice: bool = False
    kind: ClaimLineKind = ClaimLineKind.USAGE


class LineResult(NamedTuple):
    """A line's amounts in integer fen (what the database stores), and as Decimal yuan."""

    key: int
    kind: ClaimLineKind
    platform_id: int
    fee_fen: int
    eligible_fen: int
    subsidy_fen: int
    # the subsidy from each of the policy's sources, in the policy's order
    source_fens: tuple[int, ...]
    reason: IneligibleReason | None

    @property
    def fee(self) -> Decimal:
        return from_fen(self.fee_fen)

    @property
    def eligible_fee(self) -> Decimal:
        return from_fen(self.eligible_fen)

    @property
    def subsidy(self) -> Decimal:
        return from_fen(self.subsidy_fen)

    @property
    def sources(self) -> tuple[Decimal, ...]:
        return tuple(map(from_fen, self.source_fens))


@dataclass(frozen=True)
class ClaimResult:
    lines: tuple[LineResult, ...]
    total_fee: Decimal
    eligible_fee: Decimal
    subsidy: Decimal
    sources: tuple[Decimal, ...]
    # "" or BELOW_MINIMUM
    note: str = ""
    # per source: which cap bound it ("per_claim", "annual") or None
    capped_by: tuple[str | None, ...] = field(default=())


# --- the rules -------------------------------------------------------------------------------


def line_reason(line: LineInput, policy: Policy, claimant: Claimant) -> IneligibleReason | None:
    """Why a line earns no subsidy, the first rule it breaks, or None when it is eligible."""
    if not line.confirmed:
        return IneligibleReason.NOT_CONFIRMED
    if line.day < policy.valid_from or (policy.valid_to is not None and line.day > policy.valid_to):
        return IneligibleReason.OUTSIDE_POLICY
    if policy.require_tech_sme and not claimant.tech_sme:
        return IneligibleReason.NOT_TECH_SME
    if policy.exclude_related_parties and line.platform_id in claimant.related_ids:
        return IneligibleReason.RELATED_PARTY
    if policy.eligible_categories is not None and line.category not in policy.eligible_categories:
        return IneligibleReason.CATEGORY
    if policy.eligible_purposes is not None and line.purpose not in policy.eligible_purposes:
        return IneligibleReason.PURPOSE
    if policy.require_invoice and not line.has_invoice and line.kind == ClaimLineKind.USAGE:
        return IneligibleReason.NO_INVOICE
    return None


def source_total(eligible_fen: int, source: Source, reserved_fen: int) -> tuple[int, str | None]:
    """What one source pays on the claim's eligible fee, and which cap (if any) bound it.

    `reserved_fen` is what this source already pays the claimant (or its group) this year in
    live claims.
    """
    amount = max(0, times_rate(eligible_fen, source.rate))
    capped_by = None
    if source.per_claim_cap is not None and amount > to_fen(source.per_claim_cap):
        amount, capped_by = to_fen(source.per_claim_cap), "per_claim"
    annual_left = max(0, to_fen(source.annual_cap) - reserved_fen)
    if amount > annual_left:
        amount, capped_by = annual_left, "annual"
    return amount, capped_by


def compute_claim(
    lines: Sequence[LineInput],
    policy: Policy,
    claimant: Claimant,
    reserved: Sequence[Decimal] | None = None,
) -> ClaimResult:
    """Every line with its eligibility and subsidy, the totals per source and of the claim.

    `reserved[i]` is what the policy's i-th source already pays this claimant (or its cap
    group) this year in other live claims; none given means nothing yet.
    """
    reserved_fen = (
        [to_fen(amount) for amount in reserved] if reserved else [0] * len(policy.sources)
    )
    reasons = [line_reason(line, policy, claimant) for line in lines]
    fees = [to_fen(line.fee) for line in lines]
    eligible = [fee if reason is None else 0 for fee, reason in zip(fees, reasons, strict=True)]
    eligible_sum = sum(eligible)

    totals, capped_by = [], []
    for source, already in zip(policy.sources, reserved_fen, strict=True):
        amount, cap = source_total(eligible_sum, source, already)
        totals.append(amount)
        capped_by.append(cap)
    note = ""
    if 0 < sum(totals) < to_fen(policy.min_claim_amount):
        totals, note = [0] * len(totals), BELOW_MINIMUM

    per_source = [
        split_by_largest_remainder(total, eligible) if eligible_sum > 0 else [0] * len(lines)
        for total in totals
    ]
    results = []
    line_shares = zip(*per_source, strict=True) if per_source else ((),) * len(lines)
    for line, fee, eligible_fee, reason, shares in zip(
        lines, fees, eligible, reasons, line_shares, strict=True
    ):
        subsidy = sum(shares)
        if reason is None and eligible_fee > 0 and subsidy == 0 and not note:
            uncapped = sum(times_rate(eligible_fee, source.rate) for source in policy.sources)
            if uncapped > 0:
                reason = IneligibleReason.CAP_REACHED
        results.append(
            LineResult(
                line.key, line.kind, line.platform_id, fee, eligible_fee, subsidy, shares, reason
            )
        )
    return ClaimResult(
        lines=tuple(results),
        total_fee=from_fen(sum(fees)),
        eligible_fee=from_fen(eligible_sum),
        subsidy=from_fen(sum(totals)),
        sources=tuple(from_fen(total) for total in totals),
        note=note,
        capped_by=tuple(capped_by),
    )


def cap_key(organization_id: int, group_ids: frozenset[int], group_caps: bool) -> str:
    """The key an SME's subsidy counts under for the annual caps: the SME itself, or, when the
    policy counts related enterprises as one, its group (named by the smallest id in it)."""
    if group_caps and group_ids:
        return f"group:{min(group_ids | {organization_id})}"
    return f"org:{organization_id}"


# --- pro rata --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Prorated:
    factor: Decimal
    total_before: int
    total_after: int
    # per claim: its lines scaled (fen), summing to the claim's new total
    claims: tuple[tuple[int, ...], ...]


def prorate(claims_in_fen: Sequence[Sequence[int]], budget_fen: int) -> Prorated:
    """Scale claims (each a sequence of line amounts in fen) down to a budget, exact to the fen.

    Claims are scaled by budget ÷ total with largest remainder at claim level, so the new
    totals sum exactly to the budget; then each claim's new total is split over its lines the
    same way. Within the budget nothing changes (factor 1).
    """
    if budget_fen < 0:
        raise ValueError("a budget is never negative")
    claim_totals = [sum(lines) for lines in claims_in_fen]
    total = sum(claim_totals)
    if any(claim_total < 0 for claim_total in claim_totals):
        raise ValueError("a claim total is never negative")
    if total <= budget_fen:
        return Prorated(Decimal(1), total, total, tuple(tuple(lines) for lines in claims_in_fen))
    scaled_totals = split_by_largest_remainder(budget_fen, claim_totals)
    scaled = []
    for lines, new_total in zip(claims_in_fen, scaled_totals, strict=True):
        if sum(lines) == 0:
            scaled.append(tuple(lines))
        else:
            scaled.append(tuple(split_by_largest_remainder(new_total, list(lines))))
    factor = (Decimal(budget_fen) / Decimal(total)).quantize(Decimal("0.000001"))
    return Prorated(factor, total, budget_fen, tuple(scaled))


# --- the claim's states ------------------------------------------------------------------------


class ClaimAction(enum.StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    APPROVE = "approve"
    REJECT = "reject"
    NOTICE = "notice"
    PAY = "pay"


TRANSITIONS: dict[ClaimAction, tuple[frozenset[ClaimStatus], ClaimStatus | None]] = {
    ClaimAction.SUBMIT: (frozenset({ClaimStatus.DRAFT}), ClaimStatus.SUBMITTED),
    ClaimAction.WITHDRAW: (
        frozenset({ClaimStatus.DRAFT, ClaimStatus.SUBMITTED}),
        ClaimStatus.WITHDRAWN,
    ),
    ClaimAction.APPROVE: (frozenset({ClaimStatus.SUBMITTED}), ClaimStatus.APPROVED),
    ClaimAction.REJECT: (frozenset({ClaimStatus.SUBMITTED}), ClaimStatus.REJECTED),
    # the public notice is recorded on an approved claim; the state stays
    ClaimAction.NOTICE: (frozenset({ClaimStatus.APPROVED}), None),
    ClaimAction.PAY: (frozenset({ClaimStatus.APPROVED}), ClaimStatus.PAID),
}


def can_transition(current: ClaimStatus, action: ClaimAction) -> bool:
    return current in TRANSITIONS[action][0]


def next_claim_status(current: ClaimStatus, action: ClaimAction) -> ClaimStatus:
    allowed_from, target = TRANSITIONS[action]
    if current not in allowed_from:
        raise InvalidState(
            N_("A claim in this state cannot be changed that way."),
            details={"status": current.value, "action": action.value},
        )
    return target or current
