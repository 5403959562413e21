"""Subsidy claim pages: the SME's wizard (period → lines with reasons → totals by fund →
submit), withdrawing, the SME's list; finance's queue with its filters and budget totals, and
approve / reject / public notice / pay, each confirmed on its own page; the XLSX export and the
printable claim form; who may see and do what; bad input changes nothing."""

import io
from datetime import date
from decimal import Decimal
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from equipment_share.domain.bookings import PurposeCategory
from equipment_share.domain.subsidy_states import ClaimStatus
from equipment_share.extensions import db
from equipment_share.models import Budget, Claim, ClaimedUsage
from equipment_share.services import claims
from tests.conftest import count_rows
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import MARCH, make_policy, use_on
from tests.web.conftest import page_text


@pytest.fixture
def world(make_user, make_org, make_equipment):
    finance = make_user("finance")
    platform = make_user("platform", make_org("platform", name="煤炭检测平台"))
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", tech_sme_certified=True))
    equipment = make_equipment(platform.organization, hourly_rate=RATE, setup_fee=SETUP)
    policy = make_policy(finance, eligible_purposes=["research", "product_testing"])
    research = use_on(platform, sme, equipment, 2)  # 360.00: 108.00 + 72.00
    certification = use_on(platform, sme, equipment, 3)
    certification.booking.purpose_category = PurposeCategory.CERTIFICATION
    db.session.commit()
    return SimpleNamespace(
        finance=finance,
        platform=platform,
        sme=sme,
        equipment=equipment,
        policy=policy,
        research=research,
        certification=certification,
    )


def drafted(world) -> Claim:
    claim = claims.draft_claim(world.sme, *MARCH)
    db.session.commit()
    return claim


def submitted(world) -> Claim:
    claim = drafted(world)
    claims.submit(world.sme, claim.id)
    db.session.commit()
    return claim


def reload(claim: Claim) -> Claim:
    db.session.commit()  # end this test's read transaction, to see what the app wrote
    return claims.load_claim(claim.id)


# --- the SME's wizard ------------------------------------------------------------------------


def test_the_wizard_drafts_a_claim_whose_every_line_explains_itself(client, login, english, world):
    login(world.sme)
    start = page_text(client.get("/claims/new"))
    assert 'name="period_from"' in start and "The policy in force for the period" in start

    response = client.post(
        "/claims/new",
        data={"period_from": "2026-03-01", "period_to": "2026-03-31", "policy_id": "0"},
    )

    assert response.status_code == 302
    claim = db.session.scalar(select(Claim))
    assert response.headers["Location"] == f"/claims/{claim.id}"
    assert claim.status == ClaimStatus.DRAFT
    text = page_text(client.get(response.headers["Location"]))
    assert "The policy does not cover this purpose of use." in text
    assert "eligible" in text
    assert "¥108.00" in text and "¥72.00" in text  # province and city
    assert "¥180.00" in text
    assert "nothing is reserved yet" in text
    assert 'id="action-submit"' in text and 'id="action-approve"' not in text


def test_submitting_is_confirmed_first_then_reserves(client, login, english, world):
    claim = drafted(world)
    login(world.sme)

    confirm = page_text(client.get(f"/claims/{claim.id}/submit"))
    assert f"Submit claim {claim.id} for ¥180.00?" in confirm
    assert reload(claim).status == ClaimStatus.DRAFT  # asking changes nothing

    response = client.post(f"/claims/{claim.id}/submit", follow_redirects=True)

    assert "The claim is submitted: ¥180.00 is reserved" in page_text(response)
    assert reload(claim).status == ClaimStatus.SUBMITTED
    assert count_rows(ClaimedUsage) == 2


def test_the_sme_withdraws_and_the_records_are_free_again(client, login, english, world):
    claim = submitted(world)
    login(world.sme)

    response = client.post(f"/claims/{claim.id}/withdraw", follow_redirects=True)

    assert "The claim is withdrawn" in page_text(response)
    assert reload(claim).status == ClaimStatus.WITHDRAWN
    assert count_rows(ClaimedUsage) == 0
    listing = page_text(client.get("/claims"))
    assert f"Claim {claim.id}" in listing and "withdrawn" in listing


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"period_from": "2026-03-31", "period_to": "2026-03-01"}, "Must not be before"),
        ({"period_from": "2026-12-01", "period_to": "2027-01-31"}, "one year"),
        ({"period_from": "2026-03-01"}, "This field is required."),
        ({"period_from": "March", "period_to": "2026-03-31"}, "Not a valid date value."),
        ({"period_from": "2031-03-01", "period_to": "2031-03-31"}, "No subsidy policy covers"),
    ],
    ids=["reversed", "two-years", "missing-end", "not-a-date", "no-policy"],
)
def test_a_bad_period_is_shown_and_no_claim_is_made(client, login, english, world, data, message):
    login(world.sme)

    response = client.post("/claims/new", data=data | {"policy_id": "0"})

    assert response.status_code == 422
    assert message in page_text(response)
    db.session.commit()
    assert count_rows(Claim) == 0


def test_submitting_twice_says_it_cannot_and_changes_nothing(client, login, english, world):
    claim = submitted(world)
    login(world.sme)

    response = client.post(f"/claims/{claim.id}/submit", follow_redirects=True)

    assert response.status_code == 200
    assert 'class="flash flash-error"' in page_text(response)
    assert reload(claim).status == ClaimStatus.SUBMITTED


def test_another_enterprise_neither_sees_nor_touches_a_claim(
    client, login, world, make_user, make_org
):
    claim = drafted(world)
    login(make_user("sme", make_org("sme", tech_sme_certified=True)))

    assert client.get(f"/claims/{claim.id}").status_code == 404
    assert client.get(f"/claims/{claim.id}/form").status_code == 404
    assert client.post(f"/claims/{claim.id}/submit").status_code == 404
    assert f"Claim {claim.id}" not in page_text(client.get("/claims"))
    assert reload(claim).status == ClaimStatus.DRAFT


def test_a_platform_has_no_claim_pages(client, login, world):
    login(world.platform)
    assert client.get("/claims").status_code == 403
    assert client.get("/claims/new").status_code == 403
    assert client.get("/finance/claims").status_code == 403


# --- finance --------------------------------------------------------------------------------


def test_the_queue_filters_and_totals_against_the_budget(
    client, login, english, world, make_user, make_org
):
    waiting = submitted(world)
    other = make_user("sme", make_org("sme", name="另一家企业", tech_sme_certified=True))
    use_on(world.platform, other, world.equipment, 9)
    other_claim = claims.draft_claim(other, *MARCH)
    db.session.add(Budget(year=2026, source="province", amount=Decimal("100.00")))
    db.session.commit()
    login(world.finance)

    everything = page_text(client.get("/finance/claims?year=2026"))
    only_submitted = page_text(client.get("/finance/claims?status=submitted&year=2026"))
    only_other = page_text(client.get(f"/finance/claims?organization_id={other.organization_id}"))

    assert f'id="claim-{waiting.id}"' in everything and f'id="claim-{other_claim.id}"' in everything
    assert f'id="claim-{other_claim.id}"' not in only_submitted
    assert f'id="claim-{waiting.id}"' not in only_other
    budget = everything[everything.index('id="budget-totals"') :]
    assert "province" in budget and "¥100.00" in budget
    assert "¥108.00" in budget  # the submitted claim's province share
    assert "-¥8.00" in budget or "¥-8.00" in budget
    assert "over budget" in budget


def test_bad_filters_show_everything_rather_than_fail(client, login, world):
    submitted(world)
    login(world.finance)
    response = client.get("/finance/claims?status=lost&year=abc&platform_id=-4&organization_id=x")
    assert response.status_code == 200


def test_finance_approves_records_the_notice_and_pays(client, login, english, world):
    claim = submitted(world)
    login(world.finance)

    confirm = page_text(client.get(f"/claims/{claim.id}/approve"))
    assert "Approve claim" in confirm and "¥180.00" in confirm
    client.post(f"/claims/{claim.id}/approve")
    assert reload(claim).status == ClaimStatus.APPROVED
    client.post(
        f"/claims/{claim.id}/notice",
        data={"notice_from": "2026-04-10", "notice_to": "2026-04-16"},
    )
    response = client.post(
        f"/claims/{claim.id}/pay",
        data={"paid_on": "2026-04-30", "payment_reference": "吕财拨〔2026〕12号"},
        follow_redirects=True,
    )

    assert "The payment is recorded: the claim is paid." in page_text(response)
    paid = reload(claim)
    assert paid.status == ClaimStatus.PAID
    assert (paid.notice_from, paid.notice_to) == (date(2026, 4, 10), date(2026, 4, 16))
    assert (paid.paid_on, paid.payment_reference) == (date(2026, 4, 30), "吕财拨〔2026〕12号")


@pytest.mark.parametrize(
    ("action", "data", "message"),
    [
        ("reject", {"reason": "  "}, "required"),
        ("pay", {"paid_on": "2026-04-30", "payment_reference": ""}, "required"),
        ("pay", {"paid_on": "", "payment_reference": "X-1"}, "This field is required."),
        ("notice", {"notice_from": "2026-04-16", "notice_to": "2026-04-10"}, "Must not be before"),
    ],
    ids=["reject-without-reason", "pay-without-reference", "pay-without-date", "notice-reversed"],
)
def test_a_decision_with_bad_input_is_shown_and_changes_nothing(
    client, login, english, world, action, data, message
):
    claim = submitted(world)
    if action in ("pay", "notice"):
        claims.approve(world.finance, claim.id)
        db.session.commit()
    before = reload(claim).status
    login(world.finance)

    response = client.post(f"/claims/{claim.id}/{action}", data=data)

    assert response.status_code == 422
    assert message in page_text(response)
    after = reload(claim)
    assert after.status == before
    assert (after.paid_on, after.notice_from, after.status_reason) == (None, None, "")


def test_finance_rejects_with_a_reason_the_sme_reads(client, login, english, world):
    claim = submitted(world)
    login(world.finance)

    client.post(f"/claims/{claim.id}/reject", data={"reason": "发票与使用记录不符"})

    assert reload(claim).status == ClaimStatus.REJECTED
    assert count_rows(ClaimedUsage) == 0
    login(world.sme)
    assert "发票与使用记录不符" in page_text(client.get(f"/claims/{claim.id}"))


def test_an_sme_cannot_decide_its_own_claim(client, login, english, world):
    claim = submitted(world)
    login(world.sme)

    response = client.post(f"/claims/{claim.id}/approve", follow_redirects=True)

    assert 'class="flash flash-error"' in page_text(response)
    assert reload(claim).status == ClaimStatus.SUBMITTED


# --- exports --------------------------------------------------------------------------------


def test_the_queue_downloads_as_xlsx_with_a_column_per_fund(client, login, world):
    claim = submitted(world)
    login(world.finance)

    response = client.get("/finance/claims.xlsx?year=2026")

    assert response.status_code == 200
    assert "claims-2026.xlsx" in response.headers["Content-Disposition"]
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows(min_row=4)]
    header, line, total = rows[0], rows[1], rows[-1]
    assert header[:2] == ["申报编号", "企业名称"]
    assert "province（元）" in header and "city（元）" in header
    assert line[0] == claim.id and line[1] == "华晟煤化科技" and line[5] == "已提交"
    assert line[header.index("province（元）")] == Decimal("108.00")
    assert total[0] == "合计"
    assert total[header.index("补贴合计（元）")] == Decimal("180.00")


def test_only_finance_and_the_operator_export(client, login, world):
    login(world.sme)
    assert client.get("/finance/claims.xlsx").status_code == 403


def test_the_claim_form_prints_in_chinese_with_signature_and_stamp_boxes(
    client, login, english, world
):
    claim = submitted(world)
    login(world.sme)

    text = page_text(client.get(f"/claims/{claim.id}/form"))

    assert "补贴申报表" in text
    assert "申报企业（盖章）" in text and "法定代表人（签字）" in text
    assert "该政策不覆盖此使用目的。" in text  # the reason in Chinese on an English page
    assert "css/claim_form.css" in text
    assert "180.00" in text


def test_the_operator_reads_the_queue_and_claims_without_buttons(
    client, login, english, world, make_user
):
    claim = submitted(world)
    login(make_user("admin"))

    queue = page_text(client.get("/finance/claims"))
    page = page_text(client.get(f"/claims/{claim.id}"))
    response = client.post(f"/claims/{claim.id}/approve", follow_redirects=True)

    assert f'id="claim-{claim.id}"' in queue
    assert 'id="action-' not in page
    assert 'class="flash flash-error"' in page_text(response)
    assert reload(claim).status == ClaimStatus.SUBMITTED


def test_each_line_links_to_its_booking(client, login, english, world):
    claim = drafted(world)
    login(world.finance)

    text = page_text(client.get(f"/claims/{claim.id}"))

    assert f'href="/bookings/{world.research.booking_id}"' in text
