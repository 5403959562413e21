"""Properties of claims and pro rata over generated policies and lines (Hypothesis): lines sum
to totals, nothing is above a cap, nothing is negative, pro rata never exceeds the budget.

Derandomised and without an example database, so a CI run is reproducible and writes nothing.
"""

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from equipment_share.domain.subsidy import (
    Claimant,
    ClaimLineKind,
    LineInput,
    Policy,
    Source,
    compute_claim,
    prorate,
    split_by_largest_remainder,
    to_fen,
)

PROPERTIES = settings(max_examples=200, deadline=None, derandomize=True, database=None)
START = date(2026, 1, 1)

money = st.decimals(min_value=0, max_value=Decimal("50000"), places=2)
rates = st.decimals(min_value=0, max_value=Decimal("0.5"), places=4)


@st.composite
def sources(draw):
    count = draw(st.integers(1, 3))
    return tuple(
        Source(
            name=f"source {index}",
            rate=draw(rates),
            annual_cap=draw(money),
            per_claim_cap=draw(st.none() | money),
        )
        for index in range(count)
    )


@st.composite
def policies(draw):
    return Policy(
        valid_from=START,
        valid_to=draw(st.none() | st.just(date(2026, 6, 30))),
        sources=draw(sources()),
        min_claim_amount=draw(st.sampled_from([Decimal("0.00"), Decimal("50.00")])),
        eligible_categories=draw(st.none() | st.just(frozenset({"a"}))),
        eligible_purposes=draw(st.none() | st.just(frozenset({"research"}))),
        require_tech_sme=draw(st.booleans()),
        exclude_related_parties=draw(st.booleans()),
        require_invoice=draw(st.booleans()),
    )


@st.composite
def lines(draw):
    count = draw(st.integers(0, 12))
    result = []
    for key in range(count):
        is_adjustment = draw(st.integers(0, 5)) == 0
        fee = draw(money)
        if is_adjustment and draw(st.booleans()):
            fee = -fee
        result.append(
            LineInput(
                key=key,
                fee=fee,
                day=START + timedelta(days=draw(st.integers(0, 364))),
                platform_id=draw(st.sampled_from([10, 11])),
                category=draw(st.sampled_from(["a", "b"])),
                purpose=draw(st.sampled_from(["research", "certification"])),
                confirmed=draw(st.integers(0, 9)) > 0,
                has_invoice=draw(st.booleans()),
                kind=ClaimLineKind.ADJUSTMENT if is_adjustment else ClaimLineKind.USAGE,
            )
        )
    return result


claimants = st.builds(
    Claimant,
    organization_id=st.just(1),
    tech_sme=st.booleans(),
    related_ids=st.sampled_from([frozenset(), frozenset({11})]),
)


@PROPERTIES
@given(policies(), lines(), claimants, st.data())
def test_claims_add_up_and_stay_under_every_cap(policy, claim_lines, claimant, data):
    reserved = [data.draw(money) for _ in policy.sources]

    result = compute_claim(claim_lines, policy, claimant, reserved)

    assert sum(item.subsidy for item in result.lines) == result.subsidy
    assert sum(result.sources) == result.subsidy
    assert sum(item.fee for item in result.lines) == result.total_fee
    assert sum(item.eligible_fee for item in result.lines) == result.eligible_fee
    for index, source in enumerate(policy.sources):
        paid = result.sources[index]
        assert sum(item.sources[index] for item in result.lines) == paid
        assert paid >= 0
        assert paid <= max(Decimal(0), source.annual_cap - reserved[index])
        if source.per_claim_cap is not None:
            assert paid <= source.per_claim_cap
        eligible_times_rate = to_fen(max(result.eligible_fee, Decimal(0)) * source.rate)
        assert to_fen(paid) <= eligible_times_rate
    assert result.subsidy == 0 or result.subsidy >= policy.min_claim_amount
    for item in result.lines:
        assert item.subsidy == sum(item.sources)
        if item.reason is not None:
            assert item.subsidy == 0
        if item.kind == ClaimLineKind.USAGE:
            assert item.subsidy >= 0


@PROPERTIES
@given(
    st.lists(st.integers(0, 10**6), min_size=1, max_size=20),
    st.integers(0, 10**8),
)
def test_largest_remainder_sums_exactly_and_stays_close(weights, total):
    if sum(weights) == 0:
        total = 0
    shares = split_by_largest_remainder(total, weights)

    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact = Decimal(total * weight) / Decimal(sum(weights) or 1)
        assert abs(share - exact) < 1
        assert share >= 0


@PROPERTIES
@given(
    st.lists(st.lists(st.integers(0, 10**7), min_size=1, max_size=8), min_size=1, max_size=15),
    st.integers(0, 10**8),
)
def test_prorate_never_exceeds_the_budget_and_lines_sum_to_claims(claims, budget):
    result = prorate(claims, budget)

    totals = [sum(claim) for claim in result.claims]
    assert sum(totals) <= budget or sum(totals) == sum(map(sum, claims))
    assert sum(totals) == min(budget, sum(map(sum, claims)))
    for before, after in zip(claims, result.claims, strict=True):
        assert len(after) == len(before)
        assert all(0 <= new <= old for new, old in zip(after, before, strict=True))
        assert sum(after) <= sum(before)
