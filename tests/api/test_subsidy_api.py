"""The subsidy API: policies and their versions, invoices, and claims from draft to paid, with
who may do what, every line explaining itself, caps, and the audit chain and mail."""

from decimal import Decimal

import pytest

from equipment_share.domain.bookings import PurposeCategory
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Claim, ClaimedUsage, Invoice, OutboxMessage
from tests.conftest import count_rows
from tests.statement_helpers import RATE, SETUP
from tests.subsidy_helpers import make_policy, policy_values, use_on


@pytest.fixture
def finance_user(make_user):
    return make_user("finance")


@pytest.fixture
def sme_user(make_user, make_org):
    return make_user("sme", make_org("sme", tech_sme_certified=True))


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(platform_user.organization, hourly_rate=RATE, setup_fee=SETUP)


@pytest.fixture
def headers(api_headers):
    return api_headers


def json_policy(**changes) -> dict:
    values = policy_values(**changes)
    for name in ("valid_from", "valid_to"):
        if values.get(name) is not None:
            values[name] = values[name].isoformat()
    return values


def draft(client, headers, sme_user, period=("2026-03-01", "2026-03-31"), **extra):
    body = {"period_from": period[0], "period_to": period[1]} | extra
    return client.post("/api/v1/claims", json=body, headers=headers(sme_user))


# --- policies ----------------------------------------------------------------------------------


def test_finance_makes_a_policy_with_stacked_sources(client, headers, finance_user):
    response = client.post(
        "/api/v1/subsidy-policies", json=json_policy(), headers=headers(finance_user)
    )

    assert response.status_code == 201, response.json
    body = response.json
    assert [
        (s["name"], s["rate"], s["annual_cap"], s["per_claim_cap"]) for s in body["sources"]
    ] == [
        ("province", "0.30", "200000.00", None),
        ("city", "0.20", "100000.00", None),
    ]
    assert (body["version"], body["current"], body["in_use"]) == (1, True, False)
    assert body["family_id"] == body["id"]
    assert count_rows(AuditEntry, AuditEntry.object_type == "subsidy_policy") == 1


def test_the_shorthand_makes_one_source(client, headers, finance_user):
    body = json_policy(rate="0.40", annual_cap="50000.00", per_claim_cap="10000.00")
    del body["sources"]

    response = client.post("/api/v1/subsidy-policies", json=body, headers=headers(finance_user))

    assert response.status_code == 201, response.json
    (source,) = response.json["sources"]
    assert (source["rate"], source["annual_cap"], source["per_claim_cap"]) == (
        "0.40",
        "50000.00",
        "10000.00",
    )


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"sources": []}, "sources"),
        (
            {
                "sources": [
                    {"name": "a", "rate": "0.7", "annual_cap": "1.00"},
                    {"name": "b", "rate": "0.4", "annual_cap": "1.00"},
                ]
            },
            "sources",
        ),
        ({"sources": [{"name": "a", "rate": "1.5", "annual_cap": "1.00"}]}, "sources.0.rate"),
        ({"sources": [{"name": "a", "rate": "0.3", "annual_cap": "-1"}]}, "sources.0.annual_cap"),
        ({"eligible_categories": ["telescopes"]}, "eligible_categories"),
        ({"eligible_purposes": ["leisure"]}, "eligible_purposes"),
        ({"valid_to": "2025-01-01"}, "valid_to"),
        ({"name": ""}, "name"),
        ({"platform_reward_rate": "2"}, "platform_reward_rate"),
    ],
)
def test_a_bad_policy_is_refused_field_by_field(client, headers, finance_user, changes, field):
    response = client.post(
        "/api/v1/subsidy-policies", json=json_policy() | changes, headers=headers(finance_user)
    )

    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]["fields"]


def test_a_rate_as_json_number_is_a_bad_request(client, headers, finance_user):
    body = json_policy(sources=[{"name": "a", "rate": 0.3, "annual_cap": "1.00"}])

    response = client.post("/api/v1/subsidy-policies", json=body, headers=headers(finance_user))

    assert response.status_code == 400


@pytest.mark.parametrize("role", ["sme", "platform", "admin"])
def test_only_finance_makes_policies(client, headers, make_user, role):
    response = client.post(
        "/api/v1/subsidy-policies", json=json_policy(), headers=headers(make_user(role))
    )

    assert response.status_code == 403


def test_a_used_policy_is_versioned_not_edited(
    client, headers, finance_user, sme_user, platform_user, equipment
):
    policy = make_policy(finance_user)
    edited = client.patch(
        f"/api/v1/subsidy-policies/{policy.id}",
        json={"name": "Renamed before use"},
        headers=headers(finance_user),
    )
    assert edited.status_code == 200, edited.json
    use_on(platform_user, sme_user, equipment, 2)
    assert draft(client, headers, sme_user).status_code == 201

    refused = client.patch(
        f"/api/v1/subsidy-policies/{policy.id}",
        json={"min_claim_amount": "10.00"},
        headers=headers(finance_user),
    )
    version = client.post(
        f"/api/v1/subsidy-policies/{policy.id}/versions",
        json={"min_claim_amount": "10.00"},
        headers=headers(finance_user),
    )

    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "invalid_state"
    assert version.status_code == 201, version.json
    assert version.json["version"] == 2
    assert version.json["previous_version_id"] == policy.id
    assert version.json["name"] == "Renamed before use"
    assert version.json["min_claim_amount"] == "10.00"
    listed = client.get("/api/v1/subsidy-policies?current=true", headers=headers(sme_user))
    assert [item["id"] for item in listed.json["items"]] == [version.json["id"]]
    old = client.get(f"/api/v1/subsidy-policies/{policy.id}", headers=headers(sme_user))
    assert (old.json["current"], old.json["in_use"]) == (False, True)


# --- invoices ----------------------------------------------------------------------------------


def test_the_platform_records_an_invoice_whose_number_belongs_to_one_record(
    client, headers, platform_user, sme_user, equipment
):
    first = use_on(platform_user, sme_user, equipment, 2)
    second = use_on(platform_user, sme_user, equipment, 3)
    body = {"invoice_no": "14112026-0001", "invoice_date": "2026-03-05"}

    recorded = client.post(
        f"/api/v1/usage/{first.id}/invoice", json=body, headers=headers(platform_user)
    )
    reused = client.post(
        f"/api/v1/usage/{second.id}/invoice", json=body, headers=headers(platform_user)
    )
    replaced = client.post(
        f"/api/v1/usage/{first.id}/invoice",
        json=body | {"invoice_no": "14112026-0002"},
        headers=headers(platform_user),
    )

    assert recorded.status_code == 201, recorded.json
    assert recorded.json["invoice_no"] == "14112026-0001"
    assert reused.status_code == 409
    assert reused.json["error"]["code"] == "already_claimed"
    assert replaced.status_code == 200
    assert db.session.scalar(db.select(Invoice.invoice_no)) == "14112026-0002"
    assert count_rows(Invoice) == 1
    seen = client.get(f"/api/v1/usage/{first.id}/invoice", headers=headers(sme_user))
    assert seen.json["invoice_no"] == "14112026-0002"


def test_only_the_owning_platform_records_invoices(
    client, headers, make_user, platform_user, sme_user, equipment
):
    record = use_on(platform_user, sme_user, equipment, 2)
    body = {"invoice_no": "X-1", "invoice_date": "2026-03-05"}

    by_sme = client.post(f"/api/v1/usage/{record.id}/invoice", json=body, headers=headers(sme_user))
    by_other = client.post(
        f"/api/v1/usage/{record.id}/invoice", json=body, headers=headers(make_user("platform"))
    )

    assert by_sme.status_code == 403
    assert by_other.status_code == 404
    assert count_rows(Invoice) == 0


# --- claims ------------------------------------------------------------------------------------


def test_a_draft_lists_every_confirmed_record_with_its_reason(
    client, headers, finance_user, platform_user, sme_user, equipment, make_equipment
):
    make_policy(
        finance_user,
        eligible_purposes=["research", "product_testing"],
        eligible_categories=["chemical_analysis"],
    )
    eligible = use_on(platform_user, sme_user, equipment, 2)
    certification = use_on(platform_user, sme_user, equipment, 3)
    certification.booking.purpose_category = PurposeCategory.CERTIFICATION
    other = make_equipment(
        platform_user.organization, hourly_rate=RATE, setup_fee=SETUP, category="spectroscopy"
    )
    wrong_category = use_on(platform_user, sme_user, other, 4)
    db.session.commit()

    response = draft(client, headers, sme_user)

    assert response.status_code == 201, response.json
    claim = response.json
    lines = {line["usage_id"]: line for line in claim["lines"]}
    assert lines[eligible.id]["ineligible_reason"] is None
    assert lines[eligible.id]["subsidy"] == "180.00"  # 360.00 × (0.30 + 0.20)
    assert lines[eligible.id]["sources"] == [
        {"name": "province", "subsidy": "108.00"},
        {"name": "city", "subsidy": "72.00"},
    ]
    assert lines[certification.id]["ineligible_reason"] == "purpose"
    assert lines[wrong_category.id]["ineligible_reason"] == "category"
    assert lines[wrong_category.id]["ineligible_message"]
    assert claim["status"] == "draft"
    assert sum(Decimal(line["subsidy"]) for line in claim["lines"]) == Decimal(claim["subsidy"])
    assert sum(Decimal(line["fee"]) for line in claim["lines"]) == Decimal(claim["total_fee"])


def test_reasons_are_told_in_the_readers_language(
    client, api_headers, finance_user, platform_user, make_user, make_org, equipment
):
    uncertified = make_user("sme", make_org("sme", tech_sme_certified=False))
    make_policy(finance_user)
    use_on(platform_user, uncertified, equipment, 2)

    english = client.post(
        "/api/v1/claims",
        json={"period_from": "2026-03-01", "period_to": "2026-03-31"},
        headers=api_headers(uncertified) | {"Accept-Language": "en"},
    )

    (line,) = english.json["lines"]
    assert line["ineligible_reason"] == "not_tech_sme"
    assert line["ineligible_message"] == "The enterprise is not a certified tech SME."
    assert english.json["subsidy"] == "0.00"


def test_a_claim_needs_a_period_within_one_year_and_a_policy(client, headers, sme_user):
    across = draft(client, headers, sme_user, ("2026-12-01", "2027-01-31"))
    backwards = draft(client, headers, sme_user, ("2026-03-31", "2026-03-01"))
    no_policy = draft(client, headers, sme_user)

    assert across.status_code == backwards.status_code == no_policy.status_code == 422
    assert "period_to" in across.json["error"]["details"]["fields"]
    assert "policy_id" in no_policy.json["error"]["details"]["fields"]
    assert count_rows(Claim) == 0


def test_the_whole_loop_from_draft_to_paid(
    client, headers, finance_user, platform_user, sme_user, equipment
):
    make_policy(finance_user)
    record = use_on(platform_user, sme_user, equipment, 2)
    claim_id = draft(client, headers, sme_user).json["id"]

    submitted = client.post(f"/api/v1/claims/{claim_id}/submit", headers=headers(sme_user))
    early_pay = client.post(
        f"/api/v1/claims/{claim_id}/pay",
        json={"paid_on": "2026-05-01", "payment_reference": "PAY-1"},
        headers=headers(finance_user),
    )
    approved = client.post(f"/api/v1/claims/{claim_id}/approve", headers=headers(finance_user))
    noticed = client.post(
        f"/api/v1/claims/{claim_id}/notice",
        json={"notice_from": "2026-04-10", "notice_to": "2026-04-17"},
        headers=headers(finance_user),
    )
    paid = client.post(
        f"/api/v1/claims/{claim_id}/pay",
        json={"paid_on": "2026-05-01", "payment_reference": "PAY-1"},
        headers=headers(finance_user),
    )

    assert submitted.status_code == 200, submitted.json
    assert submitted.json["status"] == "submitted"
    assert submitted.json["submitted_at"] is not None
    assert early_pay.status_code == 409
    assert approved.json["status"] == "approved"
    assert (noticed.json["notice_from"], noticed.json["notice_to"]) == ("2026-04-10", "2026-04-17")
    assert paid.status_code == 200, paid.json
    assert (paid.json["status"], paid.json["paid_on"], paid.json["payment_reference"]) == (
        "paid",
        "2026-05-01",
        "PAY-1",
    )
    assert db.session.get(ClaimedUsage, record.id).claim_id == claim_id
    actions = db.session.scalars(
        db.select(AuditEntry.action)
        .where(AuditEntry.object_type == "claim", AuditEntry.object_id == claim_id)
        .order_by(AuditEntry.position)
    ).all()
    assert actions == ["create", "submit", "approve", "notice", "pay"]
    mails = db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.recipient == sme_user.email)
    ).all()
    assert [mail.subject.split(" / ")[1] for mail in mails if "Subsidy" in mail.subject] == [
        f"Subsidy claim submitted no. {claim_id}",
        f"Subsidy claim approved no. {claim_id}",
        f"Subsidy claim in public notice no. {claim_id}",
        f"Subsidy paid no. {claim_id}",
    ]


def test_a_record_is_in_one_live_claim_and_withdrawing_releases_it(
    client, headers, finance_user, platform_user, sme_user, equipment
):
    make_policy(finance_user)
    use_on(platform_user, sme_user, equipment, 2)
    first = draft(client, headers, sme_user).json["id"]
    second = draft(client, headers, sme_user).json["id"]

    accepted = client.post(f"/api/v1/claims/{first}/submit", headers=headers(sme_user))
    refused = client.post(f"/api/v1/claims/{second}/submit", headers=headers(sme_user))
    later_draft = draft(client, headers, sme_user)
    withdrawn = client.post(f"/api/v1/claims/{first}/withdraw", headers=headers(sme_user))
    accepted_now = client.post(f"/api/v1/claims/{second}/submit", headers=headers(sme_user))

    assert accepted.status_code == 200
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "already_claimed"
    assert later_draft.json["lines"] == []
    assert withdrawn.json["status"] == "withdrawn"
    assert accepted_now.status_code == 200, accepted_now.json
    assert accepted_now.json["subsidy"] == "180.00"


def test_a_rejected_claim_releases_its_records(
    client, headers, finance_user, platform_user, sme_user, equipment
):
    make_policy(finance_user)
    use_on(platform_user, sme_user, equipment, 2)
    claim_id = draft(client, headers, sme_user).json["id"]
    client.post(f"/api/v1/claims/{claim_id}/submit", headers=headers(sme_user))

    no_reason = client.post(
        f"/api/v1/claims/{claim_id}/reject", json={}, headers=headers(finance_user)
    )
    rejected = client.post(
        f"/api/v1/claims/{claim_id}/reject",
        json={"reason": "Invoices missing"},
        headers=headers(finance_user),
    )

    assert no_reason.status_code == 422
    assert rejected.json["status"] == "rejected"
    assert rejected.json["status_reason"] == "Invoices missing"
    assert count_rows(ClaimedUsage) == 0
    assert len(draft(client, headers, sme_user).json["lines"]) == 1


def test_the_annual_cap_counts_submitted_claims_of_the_year(
    client, headers, finance_user, platform_user, sme_user, equipment
):
    make_policy(finance_user, sources=[{"name": "city", "rate": "0.50", "annual_cap": "250.00"}])
    use_on(platform_user, sme_user, equipment, 2)  # 360.00 → 180.00
    use_on(platform_user, sme_user, equipment, 20)  # 360.00 → 180.00, but only 70.00 left
    first = draft(client, headers, sme_user, ("2026-03-01", "2026-03-10")).json["id"]
    client.post(f"/api/v1/claims/{first}/submit", headers=headers(sme_user))

    second = draft(client, headers, sme_user, ("2026-03-11", "2026-03-31")).json
    submitted = client.post(f"/api/v1/claims/{second['id']}/submit", headers=headers(sme_user))

    assert second["subsidy"] == "70.00"
    assert submitted.json["subsidy"] == "70.00"


def test_caps_count_related_enterprises_as_one_when_the_policy_says_so(
    client, headers, finance_user, platform_user, make_user, make_org, equipment
):
    from equipment_share.models import organization_relations

    one = make_user("sme", make_org("sme", tech_sme_certified=True))
    two = make_user("sme", make_org("sme", tech_sme_certified=True))
    db.session.execute(
        organization_relations.insert().values(
            organization_id=one.organization_id, related_id=two.organization_id
        )
    )
    db.session.commit()
    make_policy(
        finance_user,
        group_caps=True,
        sources=[{"name": "city", "rate": "0.50", "annual_cap": "250.00"}],
    )
    use_on(platform_user, one, equipment, 2)
    use_on(platform_user, two, equipment, 3)
    first = draft(client, headers, one).json["id"]
    client.post(f"/api/v1/claims/{first}/submit", headers=headers(one))

    second = draft(client, headers, two).json

    assert second["subsidy"] == "70.00"
    assert second["lines"][0]["subsidy"] == "70.00"


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("approve", None),
        ("reject", {"reason": "no"}),
        ("pay", {"paid_on": "2026-05-01", "payment_reference": "P"}),
    ],
)
def test_only_finance_decides(
    client, headers, finance_user, platform_user, sme_user, make_user, equipment, action, body
):
    make_policy(finance_user)
    use_on(platform_user, sme_user, equipment, 2)
    claim_id = draft(client, headers, sme_user).json["id"]
    client.post(f"/api/v1/claims/{claim_id}/submit", headers=headers(sme_user))

    by_sme = client.post(
        f"/api/v1/claims/{claim_id}/{action}", json=body, headers=headers(sme_user)
    )
    by_admin = client.post(
        f"/api/v1/claims/{claim_id}/{action}", json=body, headers=headers(make_user("admin"))
    )

    assert by_sme.status_code == by_admin.status_code == 403
    assert db.session.get(Claim, claim_id).status == "submitted"


def test_who_sees_which_claims(
    client, headers, finance_user, platform_user, sme_user, make_user, make_org, equipment
):
    make_policy(finance_user)
    other_sme = make_user("sme", make_org("sme", tech_sme_certified=True))
    use_on(platform_user, sme_user, equipment, 2)
    mine = draft(client, headers, sme_user).json["id"]
    theirs = draft(client, headers, other_sme).json["id"]

    own_list = client.get("/api/v1/claims", headers=headers(sme_user))
    finance_list = client.get(
        f"/api/v1/claims?organization_id={other_sme.organization_id}&year=2026&status=draft",
        headers=headers(finance_user),
    )
    admin_one = client.get(f"/api/v1/claims/{mine}", headers=headers(make_user("admin")))
    hidden = client.get(f"/api/v1/claims/{theirs}", headers=headers(sme_user))
    hidden_action = client.post(f"/api/v1/claims/{theirs}/submit", headers=headers(sme_user))
    platform_list = client.get("/api/v1/claims", headers=headers(platform_user))
    bad_status = client.get("/api/v1/claims?status=lost", headers=headers(finance_user))

    assert [item["id"] for item in own_list.json["items"]] == [mine]
    assert [item["id"] for item in finance_list.json["items"]] == [theirs]
    assert admin_one.status_code == 200
    assert hidden.status_code == hidden_action.status_code == 404
    assert platform_list.status_code == 403
    assert bad_status.status_code == 422


def test_the_openapi_document_lists_the_subsidy_operations(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]

    assert {"get", "post"} <= set(paths["/api/v1/subsidy-policies"])
    assert {"get", "patch"} <= set(paths["/api/v1/subsidy-policies/{policy_id}"])
    assert {"get", "post"} <= set(paths["/api/v1/claims"])
    for action in ("submit", "withdraw", "approve", "reject", "notice", "pay"):
        assert "post" in paths[f"/api/v1/claims/{{claim_id}}/{action}"]
    assert "post" in paths["/api/v1/usage/{usage_id}/invoice"]


def test_drafting_for_every_sme_at_once_gives_each_the_draft_it_would_make(
    client, headers, runner, finance_user, platform_user, make_user, make_org, equipment
):
    from equipment_share.models import ClaimLine, organization_relations

    make_policy(
        finance_user,
        group_caps=True,
        eligible_purposes=["research"],
        sources=[
            {"name": "province", "rate": "0.30", "annual_cap": "150.00"},
            {"name": "city", "rate": "0.1250", "annual_cap": "1000.00", "per_claim_cap": "20.00"},
        ],
    )
    smes = [make_user("sme", make_org("sme", tech_sme_certified=n != 2)) for n in range(4)]
    db.session.execute(
        organization_relations.insert().values(
            organization_id=smes[0].organization_id, related_id=smes[1].organization_id
        )
    )
    db.session.commit()
    for n, sme in enumerate(smes):
        for day in range(2, 4 + n):
            record = use_on(platform_user, sme, equipment, day)
            if day == 3:
                record.booking.purpose_category = PurposeCategory.TRAINING
    db.session.commit()
    one = draft(client, headers, smes[0]).json
    client.post(f"/api/v1/claims/{one['id']}/submit", headers=headers(smes[0]))
    by_hand = {sme.organization_id: draft(client, headers, sme).json for sme in smes[1:]}
    db.session.execute(
        db.delete(ClaimLine).where(
            ClaimLine.claim_id.in_([claim["id"] for claim in by_hand.values()])
        )
    )
    for claim in by_hand.values():
        db.session.execute(db.delete(Claim).where(Claim.id == claim["id"]))
    db.session.commit()

    result = runner.invoke(args=["draft-claims", "--from", "2026-03-01", "--to", "2026-03-31"])

    assert result.exit_code == 0, result.output
    assert "3 draft claim(s) made." in result.output
    batch = {
        claim.organization_id: client.get(
            f"/api/v1/claims/{claim.id}", headers=headers(finance_user)
        ).json
        for claim in db.session.scalars(db.select(Claim).where(Claim.status == "draft"))
    }
    fields = ("total_fee", "eligible_fee", "subsidy", "sources", "subsidy_note")
    for organization_id, expected in by_hand.items():
        got = batch[organization_id]
        assert {name: got[name] for name in fields} == {name: expected[name] for name in fields}
        assert [
            {key: line[key] for key in ("usage_id", "subsidy", "sources", "ineligible_reason")}
            for line in got["lines"]
        ] == [
            {key: line[key] for key in ("usage_id", "subsidy", "sources", "ineligible_reason")}
            for line in expected["lines"]
        ]
    assert batch[smes[1].organization_id]["subsidy"] != "0.00"
