"""Budgets and pro rata: approved, unpaid claims of a year that ask a funding source for more
than its budget (less what was paid) are scaled to it exactly to the fen, lines still summing
to claims; a preview changes nothing; a second apply changes nothing."""

import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.domain.errors import Forbidden, InvalidState, ValidationFailed
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Budget, Claim, OutboxMessage
from equipment_share.services import budgets
from tests.conftest import count_rows
from tests.finance_helpers import YEAR, line_subsidies, make_claim, make_policy
from tests.statement_helpers import RATE, SETUP, confirmed_use, local


@pytest.fixture
def finance_user(make_user):
    return make_user("finance", None)


@pytest.fixture
def records(platform_user, sme_user, make_equipment):
    equipment = make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)
    return [
        confirmed_use(platform_user, sme_user, equipment, local(date(YEAR, 3, day), 9))
        for day in (2, 3, 4)
    ]


@pytest.fixture
def policy(app):
    return make_policy()


def budget(finance_user, amount, source="province", year=YEAR) -> Budget:
    made = budgets.create_budget(finance_user, year, source, amount)
    db.session.commit()
    return made


def reloaded(claim: Claim) -> Claim:
    db.session.expire_all()
    return db.session.get(Claim, claim.id)


def assert_sums_hold(claim: Claim) -> None:
    for line in claim.lines:
        assert line.subsidy == sum(part.subsidy for part in line.sources)
    for source in claim.sources:
        assert source.subsidy == sum(
            part.subsidy
            for line in claim.lines
            for part in line.sources
            if part.source_id == source.source_id
        )
    assert claim.subsidy == sum(source.subsidy for source in claim.sources)
    assert claim.subsidy == sum(line.subsidy for line in claim.lines)


def test_finance_creates_one_budget_per_year_and_source(finance_user, sme_user):
    made = budget(finance_user, "300000.00")

    assert (made.year, made.source, made.amount) == (YEAR, "province", Decimal("300000.00"))
    with pytest.raises(InvalidState):
        budgets.create_budget(finance_user, YEAR, " province ", "1.00")
    db.session.rollback()
    with pytest.raises(Forbidden):
        budgets.create_budget(sme_user, YEAR, "city", "1.00")
    with pytest.raises(ValidationFailed) as refused:
        budgets.create_budget(finance_user, 1999, "", "-1")
    assert set(refused.value.fields) == {"year", "source", "amount"}
    db.session.rollback()
    assert count_rows(Budget) == 1
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.object_type == "budget")).one()
    assert (entry.object_id, entry.action) == (made.id, "create")


def test_a_preview_shows_the_scaling_and_changes_nothing(finance_user, sme_user, records, policy):
    first = make_claim(sme_user, policy, [(records[0], {"province": "100.00", "city": "30.00"})])
    second = make_claim(
        sme_user,
        policy,
        [(records[1], {"province": "150.00"}), (records[2], {"province": "50.01"})],
    )
    province = budget(finance_user, "200.00")

    preview = budgets.prorate(finance_user, province, apply=False)
    db.session.commit()

    assert not preview.applied
    assert preview.total_before == Decimal("300.01")
    assert preview.total_after == Decimal("200.00")
    assert preview.factor == Decimal("0.666644")
    assert [(scaling.claim.id, scaling.before) for scaling in preview.claims] == [
        (first.id, Decimal("100.00")),
        (second.id, Decimal("200.01")),
    ]
    assert sum(scaling.after for scaling in preview.claims) == Decimal("200.00")
    assert reloaded(second).subsidy == Decimal("200.01")
    assert count_rows(AuditEntry, AuditEntry.action == "prorate") == 0


def test_applying_scales_each_claim_and_its_lines_exactly_and_once(
    finance_user, sme_user, records, policy
):
    first = make_claim(sme_user, policy, [(records[0], {"province": "100.00", "city": "30.00"})])
    second = make_claim(
        sme_user,
        policy,
        [(records[1], {"province": "150.00"}), (records[2], {"province": "50.01"})],
    )
    province = budget(finance_user, "200.00")

    applied = budgets.prorate(finance_user, province, apply=True)
    db.session.commit()

    assert applied.applied
    first, second = reloaded(first), reloaded(second)
    afters = {scaling.claim.id: scaling.after for scaling in applied.claims}
    # 20000 fen × 10000/30001 = 6666.44, × 20001/30001 = 13333.55: the fen left over goes to
    # the larger remainder
    assert afters == {first.id: Decimal("66.66"), second.id: Decimal("133.34")}
    assert line_subsidies(first, "province") == [Decimal("66.66")]
    assert line_subsidies(first, "city") == [Decimal("30.00")]  # another source: untouched
    # 13334 fen × 15000/20001 and × 5001/20001 are 10000 and 3334 fen exactly
    assert line_subsidies(second, "province") == [Decimal("100.00"), Decimal("33.34")]
    assert first.subsidy == Decimal("96.66")
    for claim in (first, second):
        assert_sums_hold(claim)
    claim_entries = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "claim", AuditEntry.action == "prorate")
    ).all()
    assert {entry.object_id for entry in claim_entries} == {first.id, second.id}
    mails = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.subject.contains("scaled to the budget"))
    ).all()
    assert [mail.recipient for mail in mails] == [sme_user.email] * 2
    assert "¥130.00 → ¥96.66" in mails[0].body  # the whole claim: province and city

    again = budgets.prorate(finance_user, db.session.get(Budget, province.id), apply=True)
    db.session.commit()

    assert not again.applied
    assert again.factor == Decimal(1)
    assert again.total_before == again.total_after == Decimal("200.00")
    assert reloaded(second).subsidy == Decimal("133.34")
    assert count_rows(AuditEntry, AuditEntry.action == "prorate") == 3  # two claims, one budget


def test_paid_claims_use_the_budget_and_others_are_left_alone(
    finance_user, sme_user, records, policy
):
    make_claim(sme_user, policy, [(records[0], {"province": "60.00"})], status=ClaimStatus.PAID)
    submitted = make_claim(
        sme_user, policy, [(records[1], {"province": "500.00"})], status=ClaimStatus.SUBMITTED
    )
    last_year = make_claim(sme_user, policy, [(records[1], {"province": "500.00"})], year=YEAR - 1)
    approved = make_claim(sme_user, policy, [(records[2], {"province": "80.00"})])
    province = budget(finance_user, "100.00")

    applied = budgets.prorate(finance_user, province, apply=True)
    db.session.commit()

    assert applied.available == Decimal("40.00")
    assert [scaling.claim.id for scaling in applied.claims] == [approved.id]
    assert reloaded(approved).subsidy == Decimal("40.00")
    assert reloaded(submitted).subsidy == Decimal("500.00")
    assert reloaded(last_year).subsidy == Decimal("500.00")


def test_claims_within_the_budget_are_not_scaled(finance_user, sme_user, records, policy):
    claim = make_claim(sme_user, policy, [(records[0], {"province": "99.99"})])
    province = budget(finance_user, "100.00")

    result = budgets.prorate(finance_user, province, apply=True)

    assert (result.applied, result.factor, result.total_after) == (
        False,
        Decimal(1),
        Decimal("99.99"),
    )
    assert reloaded(claim).subsidy == Decimal("99.99")


def test_only_finance_prorates(finance_user, platform_user, sme_user, policy):
    province = budget(finance_user, "100.00")
    for actor in (platform_user, sme_user):
        with pytest.raises(Forbidden):
            budgets.prorate(actor, province, apply=False)


def test_the_audit_log_tells_the_factor_and_budget_in_the_readers_language(
    client, login, finance_user, sme_user, records, policy
):
    claim = make_claim(sme_user, policy, [(records[0], {"province": "100.00"})])
    budgets.prorate(finance_user, budget(finance_user, "50.00"), apply=True)
    db.session.commit()
    login(finance_user)
    client.set_cookie("language", "zh_CN")

    claim_row = audit_row(client.get(f"/audit?object_type=claim&object_id={claim.id}"), "claim")
    budget_row = audit_row(client.get("/audit?object_type=budget"), "budget")

    assert f"预算 年度: {YEAR}, 资金来源: province" in claim_row
    assert "调整系数 0.5" in claim_row and "调整系数 0.5" in budget_row
    assert "factor" not in claim_row + budget_row and "budget" not in claim_row


def audit_row(response, object_type: str) -> str:
    """The text of the row of the newest pro-rata entry of this type of object on the page."""
    entry = db.session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action == "prorate", AuditEntry.object_type == object_type)
        .order_by(AuditEntry.position.desc())
    ).first()
    text = response.get_data(as_text=True)
    start = re.search(rf'<td class="num"[^>]*>{entry.position}</td>', text).start()
    end = text.find('<td class="num"', start + 1)
    return " ".join(re.sub(r"<[^>]+>", " ", text[start:end]).split())
