"""Organisations through the API: admins create and edit; everyone sees what access allows."""

import pytest

from equipment_share.api.schemas import (
    OrganizationCreateSchema,
    OrganizationSchema,
    OrganizationUpdateSchema,
)
from equipment_share.domain.organizations import uscc_with_check_character
from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationStatus
from equipment_share.services.access import can_see_organization
from equipment_share.services.organizations import EDITABLE_FIELDS
from tests.conftest import count_rows, valid_uscc


def new_organization(**overrides) -> dict:
    return {
        "name": "Taiyuan Materials Testing Centre",
        "kind": "platform",
        "uscc": valid_uscc(),
        "tech_sme_certified": False,
        "tech_sme_cert_no": "",
    } | overrides


@pytest.fixture
def admin_headers(make_user, api_headers):
    return api_headers(make_user("admin"))


@pytest.mark.parametrize(
    "schema", [OrganizationCreateSchema, OrganizationUpdateSchema, OrganizationSchema]
)
def test_the_api_speaks_every_editable_organisation_field(schema):
    fixed = {"kind"} if schema is OrganizationUpdateSchema else set()
    assert set(EDITABLE_FIELDS) - fixed <= set(schema().fields)


def test_admin_creates_an_approved_organisation(client, admin_headers):
    uscc = uscc_with_check_character("91140100MA0K12345")

    response = client.post(
        "/api/v1/organizations",
        json=new_organization(uscc=uscc, industry="Testing", description="ISO 17025"),
        headers=admin_headers,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "approved"
    assert body["kind"] == "platform"
    assert body["uscc"] == uscc
    assert body["industry"] == "Testing"
    assert body["related_organization_ids"] == []
    assert body["created_at"].endswith("+08:00")
    stored = db.session.get(Organization, body["id"])
    assert stored.status == OrganizationStatus.APPROVED


@pytest.mark.parametrize("role", ["platform", "sme", "finance"])
def test_only_admins_create_organisations(client, make_user, api_headers, role):
    headers = api_headers(make_user(role))
    before = count_rows(Organization)

    response = client.post("/api/v1/organizations", json=new_organization(), headers=headers)

    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "forbidden"
    assert count_rows(Organization) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"uscc": "91140100MA0K12345X"}, "uscc"),  # wrong check character
        ({"uscc": "123"}, "uscc"),
        ({"uscc": ""}, "uscc"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "university"}, "kind"),
        ({"tech_sme_certified": True, "tech_sme_cert_no": ""}, "tech_sme_cert_no"),
    ],
)
def test_invalid_organisation_is_a_validation_error_and_writes_nothing(
    client, admin_headers, overrides, field
):
    before = count_rows(Organization)

    response = client.post(
        "/api/v1/organizations", json=new_organization(**overrides), headers=admin_headers
    )

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]
    assert count_rows(Organization) == before


def test_missing_required_fields_are_a_validation_error(client, admin_headers):
    response = client.post("/api/v1/organizations", json={}, headers=admin_headers)

    assert response.status_code == 422
    assert {"name", "kind", "uscc"} <= set(response.get_json()["error"]["details"]["fields"])


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"tech_sme_certified": "yes"}, "tech_sme_certified"),
        ({"tech_sme_certified": 1}, "tech_sme_certified"),
        ({"name": 42}, "name"),
        ({"uscc": None}, "uscc"),
        ({"website": "https://example.com"}, "website"),
    ],
)
def test_wrong_types_and_unknown_fields_are_a_bad_request(client, admin_headers, overrides, field):
    before = count_rows(Organization)

    response = client.post(
        "/api/v1/organizations", json=new_organization(**overrides), headers=admin_headers
    )

    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_request"
    assert field in error["details"]["fields"]
    assert count_rows(Organization) == before


def test_duplicate_uscc_is_a_validation_error(client, admin_headers, make_org):
    existing = make_org("sme")
    before = count_rows(Organization)

    response = client.post(
        "/api/v1/organizations",
        json=new_organization(uscc=existing.uscc),
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "uscc" in response.get_json()["error"]["details"]["fields"]
    assert count_rows(Organization) == before


def test_related_organisations_round_trip_symmetrically(client, admin_headers, make_org):
    first, second, third = make_org("sme"), make_org("sme"), make_org("platform")

    response = client.patch(
        f"/api/v1/organizations/{first.id}",
        json={"related_organization_ids": [second.id, third.id]},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.get_json()["related_organization_ids"] == [second.id, third.id]
    seen_from_second = client.get(f"/api/v1/organizations/{second.id}", headers=admin_headers)
    assert seen_from_second.get_json()["related_organization_ids"] == [first.id]

    response = client.patch(
        f"/api/v1/organizations/{second.id}",
        json={"related_organization_ids": []},
        headers=admin_headers,
    )

    assert response.get_json()["related_organization_ids"] == []
    seen_from_first = client.get(f"/api/v1/organizations/{first.id}", headers=admin_headers)
    assert seen_from_first.get_json()["related_organization_ids"] == [third.id]


@pytest.mark.parametrize("unknown_id", [999_999, 2**31, 0])
def test_unknown_related_organisation_changes_nothing(client, admin_headers, make_org, unknown_id):
    first, second = make_org("sme"), make_org("sme")

    response = client.patch(
        f"/api/v1/organizations/{first.id}",
        json={"related_organization_ids": [second.id, unknown_id], "name": "Renamed"},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "related_organization_ids" in response.get_json()["error"]["details"]["fields"]
    db.session.expire_all()
    assert first.related_organizations == []
    assert first.name != "Renamed"


def test_patch_changes_only_the_given_fields(client, admin_headers, make_org):
    organization = make_org("sme", industry="Ceramics", contact_name="Li Lei")

    response = client.patch(
        f"/api/v1/organizations/{organization.id}",
        json={"contact_name": "Han Meimei"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.get_json()["contact_name"] == "Han Meimei"
    assert response.get_json()["industry"] == "Ceramics"


def test_patch_status_approves_a_pending_organisation(client, admin_headers, make_org):
    organization = make_org("sme", status=OrganizationStatus.PENDING)

    response = client.patch(
        f"/api/v1/organizations/{organization.id}",
        json={"status": "approved"},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "approved"
    db.session.expire_all()
    assert organization.status == OrganizationStatus.APPROVED


def test_patch_with_an_unknown_status_changes_nothing(client, admin_headers, make_org):
    organization = make_org("sme", status=OrganizationStatus.PENDING, industry="Ceramics")

    response = client.patch(
        f"/api/v1/organizations/{organization.id}",
        json={"status": "archived", "industry": "Glass"},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "status" in response.get_json()["error"]["details"]["fields"]
    db.session.expire_all()
    assert organization.status == OrganizationStatus.PENDING
    assert organization.industry == "Ceramics"


def test_patch_with_a_duplicate_uscc_is_a_validation_error(client, admin_headers, make_org):
    first, second = make_org("sme"), make_org("sme")

    response = client.patch(
        f"/api/v1/organizations/{first.id}", json={"uscc": second.uscc}, headers=admin_headers
    )

    assert response.status_code == 422
    assert "uscc" in response.get_json()["error"]["details"]["fields"]


def test_non_admin_cannot_patch_even_their_own_organisation(client, make_user, api_headers):
    user = make_user("sme")

    response = client.patch(
        f"/api/v1/organizations/{user.organization_id}",
        json={"name": "Taken over"},
        headers=api_headers(user),
    )

    assert response.status_code == 403
    db.session.expire_all()
    assert user.organization.name != "Taken over"


def test_non_admin_patching_an_invisible_organisation_gets_404(
    client, make_user, make_org, api_headers
):
    other_sme = make_org("sme")

    response = client.patch(
        f"/api/v1/organizations/{other_sme.id}",
        json={},
        headers=api_headers(make_user("sme")),
    )

    assert response.status_code == 404


def test_sme_sees_itself_and_approved_platforms_only(client, make_org, make_user, api_headers):
    own = make_org("sme")
    platform = make_org("platform")
    make_org("platform", status=OrganizationStatus.PENDING)
    make_org("sme")
    user = make_user("sme", own)

    response = client.get("/api/v1/organizations", headers=api_headers(user))

    assert response.status_code == 200
    assert [item["id"] for item in response.get_json()["items"]] == [own.id, platform.id]
    assert response.get_json()["total"] == 2


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admin_and_finance_see_every_organisation(client, make_org, make_user, api_headers, role):
    make_org("platform", status=OrganizationStatus.PENDING)
    make_org("sme", status=OrganizationStatus.REJECTED)
    headers = api_headers(make_user(role))

    response = client.get("/api/v1/organizations", headers=headers)

    assert response.get_json()["total"] == count_rows(Organization)


@pytest.mark.parametrize("role", ["admin", "finance", "platform", "sme"])
def test_list_agrees_with_the_single_object_access_rule(
    client, make_org, make_user, api_headers, role
):
    for kind in ("platform", "sme"):
        for status in OrganizationStatus:
            make_org(kind, status=status)
    user = make_user(role)

    listed = client.get("/api/v1/organizations?per_page=200", headers=api_headers(user))

    everything = db.session.scalars(db.select(Organization).order_by(Organization.id))
    expected = [org.id for org in everything if can_see_organization(user, org)]
    assert [item["id"] for item in listed.get_json()["items"]] == expected


def test_invisible_organisation_is_not_found(client, make_org, make_user, api_headers):
    other_sme = make_org("sme")
    pending_platform = make_org("platform", status=OrganizationStatus.PENDING)
    headers = api_headers(make_user("sme"))

    for organization in (other_sme, pending_platform):
        response = client.get(f"/api/v1/organizations/{organization.id}", headers=headers)
        assert response.status_code == 404
        assert response.get_json()["error"]["code"] == "not_found"
    for unknown_id in (999_999, 2**31, 0):
        response = client.get(f"/api/v1/organizations/{unknown_id}", headers=headers)
        assert response.status_code == 404


@pytest.mark.parametrize("kind", ["platform", "sme"])
def test_patch_cannot_change_the_kind(client, admin_headers, make_org, make_user, kind):
    """An SME turned platform kept its users' role sme and showed its private profile to all."""
    organization = make_org("sme", industry="Ceramics")
    make_user("sme", organization)

    response = client.patch(
        f"/api/v1/organizations/{organization.id}",
        json={"kind": kind, "industry": "Glass"},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "kind" in response.get_json()["error"]["details"]["fields"]
    db.session.expire_all()
    assert (organization.kind, organization.industry) == ("sme", "Ceramics")


def test_the_documented_update_has_no_kind(client):
    document = client.get("/api/v1/openapi.json").get_json()
    update = document["components"]["schemas"]["OrganizationUpdate"]

    assert "kind" not in update["properties"]
    assert "kind" in document["components"]["schemas"]["OrganizationCreate"]["properties"]
