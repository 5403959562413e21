"""The subsidy rules, case by case: each policy parameter alone and combined, caps, the
minimum claim amount, adjustments, the largest-remainder split and pro rata."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from equipment_share.domain.errors import InvalidState
from equipment_share.domain.subsidy import (
    BELOW_MINIMUM,
    ClaimAction,
    Claimant,
    ClaimLineKind,
    ClaimStatus,
    IneligibleReason,
    LineInput,
    Policy,
    Source,
    cap_key,
    compute_claim,
    line_reason,
    next_claim_status,
    prorate,
    reason_message,
    split_by_largest_remainder,
)

D = Decimal
PLATFORM, RELATED_PLATFORM = 100, 200
SME = Claimant(organization_id=1, tech_sme=True, related_ids=frozenset({RELATED_PLATFORM}))
PROVINCE = Source("province", D("0.3000"), D("200000.00"))
CITY = Source("city", D("0.2000"), D("100000.00"), per_claim_cap=D("50000.00"))
POLICY = Policy(
    valid_from=date(2026, 1, 1),
    valid_to=date(2026, 12, 31),
    sources=(PROVINCE,),
)


def line(key=1, fee="1000.00", **values) -> LineInput:
    fields = {
        "key": key,
        "fee": D(fee),
        "day": date(2026, 3, 2),
        "platform_id": PLATFORM,
        "category": "spectroscopy",
        "purpose": "research",
        "confirmed": True,
        "has_invoice": True,
    } | values
    return LineInput(**fields)


# --- each parameter alone, then combined ---------------------------------------------------------

CASES = [
    # (policy changes, claimant changes, line changes, expected reason)
    ({}, {}, {}, None),
    ({}, {}, {"confirmed": False}, IneligibleReason.NOT_CONFIRMED),
    ({}, {}, {"day": date(2025, 12, 31)}, IneligibleReason.OUTSIDE_POLICY),
    ({}, {}, {"day": date(2027, 1, 1)}, IneligibleReason.OUTSIDE_POLICY),
    ({"valid_to": None}, {}, {"day": date(2030, 1, 1)}, None),
    ({}, {}, {"day": date(2026, 12, 31)}, None),
    ({}, {"tech_sme": False}, {}, IneligibleReason.NOT_TECH_SME),
    ({"require_tech_sme": False}, {"tech_sme": False}, {}, None),
    ({}, {}, {"platform_id": RELATED_PLATFORM}, IneligibleReason.RELATED_PARTY),
    ({"exclude_related_parties": False}, {}, {"platform_id": RELATED_PLATFORM}, None),
    ({"eligible_categories": frozenset({"chromatography"})}, {}, {}, IneligibleReason.CATEGORY),
    ({"eligible_categories": frozenset({"spectroscopy"})}, {}, {}, None),
    (
        {"eligible_purposes": frozenset({"research"})},
        {},
        {"purpose": "certification"},
        IneligibleReason.PURPOSE,
    ),
    ({"eligible_purposes": None}, {}, {"purpose": "certification"}, None),
    ({"require_invoice": True}, {}, {"has_invoice": False}, IneligibleReason.NO_INVOICE),
    ({"require_invoice": False}, {}, {"has_invoice": False}, None),
    ({"require_invoice": True}, {}, {"has_invoice": True}, None),
    # combined: the first broken rule is the reason
    (
        {"require_invoice": True, "eligible_purposes": frozenset({"research"})},
        {"tech_sme": False},
        {"has_invoice": False, "purpose": "training"},
        IneligibleReason.NOT_TECH_SME,
    ),
    (
        {"require_invoice": True, "eligible_purposes": frozenset({"research"})},
        {},
        {"has_invoice": False, "purpose": "training"},
        IneligibleReason.PURPOSE,
    ),
    (
        {"eligible_categories": frozenset({"x"})},
        {},
        {"platform_id": RELATED_PLATFORM},
        IneligibleReason.RELATED_PARTY,
    ),
    ({}, {"tech_sme": False}, {"confirmed": False}, IneligibleReason.NOT_CONFIRMED),
]


@pytest.mark.parametrize(("policy_changes", "claimant_changes", "line_changes", "expected"), CASES)
def test_line_eligibility(policy_changes, claimant_changes, line_changes, expected):
    policy = replace(POLICY, **policy_changes)
    claimant = replace(SME, **claimant_changes)

    assert line_reason(line(**line_changes), policy, claimant) == expected
    result = compute_claim([line(**line_changes)], policy, claimant)
    assert result.lines[0].reason == expected
    assert result.lines[0].eligible_fee == (D("1000.00") if expected is None else D("0.00"))
    assert result.subsidy == (D("300.00") if expected is None else D("0.00"))


def test_an_adjustment_needs_no_invoice_of_its_own():
    adjustment = line(fee="-100.00", has_invoice=False, kind=ClaimLineKind.ADJUSTMENT)
    policy = replace(POLICY, require_invoice=True)

    assert line_reason(adjustment, policy, SME) is None


def test_every_reason_has_a_sentence():
    for reason in IneligibleReason:
        assert str(reason_message(reason))
    assert reason_message(None) is None


# --- rates, sources and caps ---------------------------------------------------------------------


def test_stacked_sources_each_pay_their_rate():
    policy = replace(POLICY, sources=(PROVINCE, CITY))

    result = compute_claim([line(1, "600.00"), line(2, "400.00")], policy, SME)

    assert result.sources == (D("300.00"), D("200.00"))
    assert result.subsidy == D("500.00")
    assert [item.sources for item in result.lines] == [
        (D("180.00"), D("120.00")),
        (D("120.00"), D("80.00")),
    ]
    assert result.total_fee == result.eligible_fee == D("1000.00")


def test_the_per_claim_cap_limits_one_source_only():
    policy = replace(POLICY, sources=(PROVINCE, replace(CITY, per_claim_cap=D("50.00"))))

    result = compute_claim([line(fee="1000.00")], policy, SME)

    assert result.sources == (D("300.00"), D("50.00"))
    assert result.capped_by == (None, "per_claim")


def test_the_annual_cap_counts_what_is_already_reserved_this_year():
    policy = replace(POLICY, sources=(replace(PROVINCE, annual_cap=D("1000.00")),))

    result = compute_claim([line(fee="5000.00")], policy, SME, reserved=[D("800.00")])

    assert result.subsidy == D("200.00")
    assert result.capped_by == ("annual",)


def test_a_used_up_annual_cap_leaves_eligible_lines_with_cap_reached():
    policy = replace(POLICY, sources=(replace(PROVINCE, annual_cap=D("1000.00")),))

    result = compute_claim([line(1), line(2)], policy, SME, reserved=[D("1000.00")])

    assert result.subsidy == D("0.00")
    assert [item.reason for item in result.lines] == [IneligibleReason.CAP_REACHED] * 2
    assert [item.eligible_fee for item in result.lines] == [D("1000.00")] * 2


def test_over_reserved_caps_never_pay_negative():
    policy = replace(POLICY, sources=(replace(PROVINCE, annual_cap=D("1000.00")),))

    result = compute_claim([line()], policy, SME, reserved=[D("1500.00")])

    assert result.subsidy == D("0.00")


def test_rounding_is_half_up_to_the_fen():
    policy = replace(POLICY, sources=(replace(PROVINCE, rate=D("0.1250")),))

    # 0.05 × 0.125 = 0.00625 → 0.01; 0.03 × 0.125 = 0.00375 → 0.00; together 0.08 → 0.01
    assert compute_claim([line(fee="0.05")], policy, SME).subsidy == D("0.01")
    assert compute_claim([line(fee="0.03")], policy, SME).subsidy == D("0.00")
    both = compute_claim([line(1, "0.05"), line(2, "0.03")], policy, SME)
    assert both.subsidy == D("0.01")
    assert [item.subsidy for item in both.lines] == [D("0.01"), D("0.00")]


# --- minimum claim amount --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fee", "expected", "note"),
    [
        ("300.00", "0.00", BELOW_MINIMUM),  # 90.00 < 100.00
        ("333.34", "100.00", ""),  # 100.002 → 100.00, exactly the minimum
        ("1000.00", "300.00", ""),
    ],
)
def test_below_the_minimum_claim_amount_the_claim_earns_nothing(fee, expected, note):
    policy = replace(POLICY, min_claim_amount=D("100.00"))

    result = compute_claim([line(fee=fee)], policy, SME)

    assert (result.subsidy, result.note) == (D(expected), note)
    assert sum(item.subsidy for item in result.lines) == result.subsidy
    assert result.lines[0].reason is None


def test_an_empty_claim_earns_nothing_and_has_no_note():
    result = compute_claim([], replace(POLICY, min_claim_amount=D("100.00")), SME)

    assert (result.subsidy, result.note, result.lines) == (D("0.00"), "", ())


# --- adjustments -------------------------------------------------------------------------------


def adjustment(key, fee_delta, **values):
    return line(key, fee_delta, kind=ClaimLineKind.ADJUSTMENT, **values)


def test_a_negative_adjustment_reduces_the_claim():
    result = compute_claim([line(1, "1000.00"), adjustment(2, "-200.00")], POLICY, SME)

    assert result.subsidy == D("240.00")
    assert [item.subsidy for item in result.lines] == [D("300.00"), D("-60.00")]


def test_a_positive_adjustment_adds_to_the_claim():
    result = compute_claim([line(1, "1000.00"), adjustment(2, "100.00")], POLICY, SME)

    assert result.subsidy == D("330.00")


def test_an_adjustment_never_makes_a_source_negative():
    result = compute_claim([line(1, "100.00"), adjustment(2, "-500.00")], POLICY, SME)

    assert result.subsidy == D("0.00")
    assert result.sources == (D("0.00"),)
    assert all(item.subsidy == 0 for item in result.lines)


def test_an_ineligible_adjustment_counts_nothing():
    result = compute_claim(
        [line(1, "1000.00"), adjustment(2, "-200.00", category="other")],
        replace(POLICY, eligible_categories=frozenset({"spectroscopy"})),
        SME,
    )

    assert result.subsidy == D("300.00")
    assert result.lines[1].reason == IneligibleReason.CATEGORY


# --- the split and pro rata ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights", "expected"),
    [
        (100, [1, 1, 1], [34, 33, 33]),
        (2, [1, 1, 1], [1, 1, 0]),
        (10, [3, 0, 7], [3, 0, 7]),
        (0, [5, 5], [0, 0]),
        (7, [2, 1], [5, 2]),  # 4.67 and 2.33: the larger remainder gets the fen
        (30, [100, -50], [60, -30]),
        (0, [], []),
    ],
)
def test_largest_remainder(total, weights, expected):
    assert split_by_largest_remainder(total, weights) == expected


def test_prorate_scales_claims_then_lines_to_the_budget():
    result = prorate([[500, 500], [1000]], 1001)

    assert result.total_before == 2000 and result.total_after == 1001
    assert [sum(claim) for claim in result.claims] == [501, 500]
    assert result.claims[0] in ((251, 250), (250, 251))
    assert result.factor == D("0.500500")


def test_prorate_within_the_budget_changes_nothing():
    result = prorate([[300, 200], [100]], 600)

    assert result.claims == ((300, 200), (100,))
    assert result.factor == 1


def test_prorate_keeps_an_empty_claim_empty():
    assert prorate([[0], [100]], 50).claims == ((0,), (50,))


# --- cap keys and states ------------------------------------------------------------------------


def test_cap_keys():
    assert cap_key(5, frozenset({3, 9}), group_caps=False) == "org:5"
    assert cap_key(5, frozenset({3, 9}), group_caps=True) == "group:3"
    assert cap_key(5, frozenset(), group_caps=True) == "org:5"


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (ClaimStatus.DRAFT, ClaimAction.SUBMIT, ClaimStatus.SUBMITTED),
        (ClaimStatus.DRAFT, ClaimAction.WITHDRAW, ClaimStatus.WITHDRAWN),
        (ClaimStatus.SUBMITTED, ClaimAction.WITHDRAW, ClaimStatus.WITHDRAWN),
        (ClaimStatus.SUBMITTED, ClaimAction.APPROVE, ClaimStatus.APPROVED),
        (ClaimStatus.SUBMITTED, ClaimAction.REJECT, ClaimStatus.REJECTED),
        (ClaimStatus.APPROVED, ClaimAction.NOTICE, ClaimStatus.APPROVED),
        (ClaimStatus.APPROVED, ClaimAction.PAY, ClaimStatus.PAID),
    ],
)
def test_claim_transitions(status, action, expected):
    assert next_claim_status(status, action) == expected


@pytest.mark.parametrize(
    ("status", "action"),
    [
        (ClaimStatus.DRAFT, ClaimAction.APPROVE),
        (ClaimStatus.APPROVED, ClaimAction.WITHDRAW),
        (ClaimStatus.SUBMITTED, ClaimAction.PAY),
        (ClaimStatus.PAID, ClaimAction.PAY),
        (ClaimStatus.REJECTED, ClaimAction.SUBMIT),
        (ClaimStatus.WITHDRAWN, ClaimAction.SUBMIT),
    ],
)
def test_claim_transitions_refused(status, action):
    with pytest.raises(InvalidState):
        next_claim_status(status, action)
