"""Subsidy policy pages: read in plain words by everyone signed in; finance publishes a policy
with several funding sources from a form that needs no JavaScript, edits it while no claim uses
it, and makes a new version once one does."""

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import FundingSource, SubsidyPolicy
from equipment_share.services import claims
from tests.conftest import count_rows
from tests.subsidy_helpers import MARCH, make_policy
from tests.web.conftest import page_text


@pytest.fixture
def finance_user(make_user):
    return make_user("finance")


def form_data(**changes) -> dict:
    return {
        "name": "吕梁市科研仪器共享补贴 2026",
        "valid_from": "2026-01-01",
        "valid_to": "2026-12-31",
        "sources-0-name": "省级专项资金",
        "sources-0-rate_percent": "30",
        "sources-0-annual_cap": "200000.00",
        "sources-0-per_claim_cap": "",
        "sources-1-name": "市级配套资金",
        "sources-1-rate_percent": "20",
        "sources-1-annual_cap": "100000.00",
        "sources-1-per_claim_cap": "50000.00",
        "sources-2-name": "",
        "sources-2-rate_percent": "",
        "sources-2-annual_cap": "",
        "sources-2-per_claim_cap": "",
        "min_claim_amount": "500.00",
        "eligible_purposes": ["research", "product_testing"],
        "require_tech_sme": "y",
        "exclude_related_parties": "y",
        "platform_reward_percent": "10",
    } | changes


def test_finance_publishes_a_policy_with_two_sources_from_three_rows(
    client, login, english, finance_user
):
    login(finance_user)
    form = client.get("/subsidy/policies/new")
    assert form.status_code == 200
    assert page_text(form).count('name="sources-') == 12  # three rows of four fields

    response = client.post("/subsidy/policies/new", data=form_data())

    assert response.status_code == 302
    policy = db.session.scalar(select(SubsidyPolicy))
    assert response.headers["Location"] == f"/subsidy/policies/{policy.id}"
    assert [(s.name, s.rate, s.annual_cap, s.per_claim_cap) for s in policy.sources] == [
        ("省级专项资金", Decimal("0.3"), Decimal("200000.00"), None),
        ("市级配套资金", Decimal("0.2"), Decimal("100000.00"), Decimal("50000.00")),
    ]
    assert sorted(policy.eligible_purposes) == ["product_testing", "research"]
    assert policy.eligible_categories is None
    assert policy.platform_reward_rate == Decimal("0.1")
    assert policy.group_caps is False


def test_a_policy_reads_in_plain_words(client, login, english, finance_user, sme_user):
    policy = make_policy(
        finance_user,
        sources=[
            {"name": "provincial fund", "rate": "0.30", "annual_cap": "200000.00"},
            {
                "name": "city fund",
                "rate": "0.20",
                "annual_cap": "100000.00",
                "per_claim_cap": "50000.00",
            },
        ],
        eligible_purposes=["research"],
        min_claim_amount="500.00",
    )
    login(sme_user)

    text = page_text(client.get(f"/subsidy/policies/{policy.id}"))

    assert (
        "provincial fund: 30% of eligible fees, at most ¥200,000.00 per enterprise per year."
        in text
    )
    assert (
        "city fund: 20% of eligible fees, at most ¥100,000.00 per enterprise per year and ¥50,000.00 per claim."
        in text
    )
    assert "Only these kinds of use count: research and development." in text
    assert "A claim earning less than ¥500.00 is not paid." in text
    assert "Only certified tech SMEs may claim." in text
    assert 'id="edit-policy"' not in text  # an SME reads, finance edits


def test_the_policy_reads_in_chinese_too(client, login, finance_user):
    policy = make_policy(finance_user, eligible_purposes=["research"])
    login(finance_user)

    text = page_text(client.get(f"/subsidy/policies/{policy.id}"))

    assert "province：符合条件费用的 30%" in text
    assert "研究开发" in text


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"sources-0-rate_percent": "thirty"}, "sources-0-rate_percent"),
        (
            {
                "sources-0-name": "",
                "sources-0-rate_percent": "",
                "sources-0-annual_cap": "",
                "sources-1-name": "",
                "sources-1-rate_percent": "",
                "sources-1-annual_cap": "",
                "sources-1-per_claim_cap": "",
            },
            "At least one funding source is required.",
        ),
        ({"sources-1-name": "省级专项资金"}, "Each funding source needs its own name."),
        ({"valid_to": "2025-01-01"}, "Must not be before the start date."),
        ({"valid_from": "someday"}, "Not a valid date value."),
    ],
    ids=[
        "no-name",
        "rate-not-a-number",
        "no-source",
        "same-source-twice",
        "ends-first",
        "bad-date",
    ],
)
def test_bad_input_is_shown_and_nothing_is_published(
    client, login, english, finance_user, changes, message
):
    login(finance_user)

    response = client.post("/subsidy/policies/new", data=form_data(**changes))

    assert response.status_code == 422
    text = page_text(response)
    if message.startswith("sources-"):  # the rate's message stands under the rate field
        position = text.index(f'id="{message}"')
        assert 'class="error"' in text[position : position + 400]
    else:
        assert message in text
    db.session.commit()
    assert count_rows(SubsidyPolicy) == 0
    assert count_rows(FundingSource) == 0


@pytest.mark.parametrize("role", ["sme", "platform", "admin"])
def test_only_finance_publishes_policies(client, login, make_user, role):
    login(make_user(role))

    assert client.get("/subsidy/policies/new").status_code == 403
    assert client.post("/subsidy/policies/new", data=form_data()).status_code == 403
    db.session.commit()
    assert count_rows(SubsidyPolicy) == 0


def test_an_unused_policy_is_edited_in_place(client, login, english, finance_user):
    policy = make_policy(finance_user)
    login(finance_user)
    form = page_text(client.get(f"/subsidy/policies/{policy.id}/edit"))
    assert 'value="province"' in form  # the form starts from the policy
    rate_input = form[form.index('name="sources-0-rate_percent"') :].split(">")[0]
    assert 'value="30"' in rate_input  # per cent, as the policy prints it

    response = client.post(
        f"/subsidy/policies/{policy.id}/edit", data=form_data(name="改名后的政策")
    )

    assert response.status_code == 302
    db.session.commit()
    assert count_rows(SubsidyPolicy) == 1
    assert db.session.get(SubsidyPolicy, policy.id).name == "改名后的政策"


def test_a_used_policy_gets_a_new_version_and_keeps_the_old(
    client, login, english, finance_user, make_user, make_org
):
    policy = make_policy(finance_user)
    sme = make_user("sme", make_org("sme", tech_sme_certified=True))
    claims.draft_claim(sme, *MARCH, policy_id=policy.id)
    db.session.commit()
    login(finance_user)
    assert "Make a new version" in page_text(client.get(f"/subsidy/policies/{policy.id}"))

    response = client.post(
        f"/subsidy/policies/{policy.id}/edit",
        data=form_data(**{"sources-0-rate_percent": "40"}),
        follow_redirects=True,
    )

    assert "Version 2 of the policy is published." in page_text(response)
    db.session.commit()
    old, new = db.session.scalars(select(SubsidyPolicy).order_by(SubsidyPolicy.id)).all()
    assert (old.version, old.sources[0].rate) == (1, Decimal("0.3"))
    assert (new.version, new.family_id, new.sources[0].rate) == (2, old.id, Decimal("0.4"))
    old_page = page_text(client.get(f"/subsidy/policies/{old.id}"))
    assert "A later version replaces this one for new claims." in old_page
    assert 'id="edit-policy"' not in old_page


def test_the_list_shows_current_versions_only(client, login, english, finance_user):
    first = make_policy(finance_user, name="Old scheme", valid_to=date(2026, 6, 30))
    make_policy(finance_user, name="Second scheme")
    login(finance_user)

    text = page_text(client.get("/subsidy/policies"))

    assert "Old scheme" in text and "Second scheme" in text
    assert f'id="policy-{first.id}"' in text


def test_an_unknown_policy_is_not_found(client, login, finance_user):
    login(finance_user)
    assert client.get("/subsidy/policies/999").status_code == 404
    assert client.get("/subsidy/policies/999/edit").status_code == 404
