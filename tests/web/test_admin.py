"""The operator's pages: approving organisations, related parties and user accounts."""

import re

import pytest

from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationStatus, Role, User
from equipment_share.services.organizations import organization_values
from tests.conftest import PASSWORD, count_rows, valid_uscc
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    login(user)
    return user


def organization_form(organization: Organization, **changes) -> dict:
    """What the edit form sends back for an organisation, with some fields changed."""
    data = {}
    for name, value in organization_values(organization).items():
        if isinstance(value, bool):
            if value:
                data[name] = "y"
        else:
            data[name] = value or ""
    data["related_organization_ids"] = [
        str(other.id) for other in organization.related_organizations
    ]
    return data | changes


def test_admin_approves_a_pending_organisation_and_its_user_can_sign_in(
    client, admin, make_org, make_user
):
    pending = make_org("sme", status=OrganizationStatus.PENDING, name="待审核企业")
    user = make_user("sme", pending)
    listing = page_text(client.get("/admin/organizations"))
    assert listing.index("待审核企业") < listing.index("Approve")  # pending ones come first

    response = client.post(
        f"/admin/organizations/{pending.id}/status",
        data={"status": "approved"},
        follow_redirects=True,
    )

    assert response.status_code == 200
    assert "待审核企业 is now approved." in page_text(response)
    db.session.expire_all()
    assert pending.status == OrganizationStatus.APPROVED
    client.post("/logout")
    assert (
        client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    )
    assert client.get("/settings").status_code == 200


def test_admin_rejects_an_organisation_and_its_user_cannot_sign_in(
    client, admin, make_org, make_user
):
    organization = make_org("sme")
    user = make_user("sme", organization)

    client.post(f"/admin/organizations/{organization.id}/status", data={"status": "rejected"})

    db.session.expire_all()
    assert organization.status == OrganizationStatus.REJECTED
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "must approve your organisation" in page_text(response)


@pytest.mark.parametrize("status", ["", "deleted", "APPROVED"])
def test_unknown_status_changes_nothing(client, admin, make_org, status):
    pending = make_org("sme", status=OrganizationStatus.PENDING)

    response = client.post(
        f"/admin/organizations/{pending.id}/status",
        data={"status": status},
        follow_redirects=True,
    )

    assert "Unknown status." in page_text(response)
    db.session.expire_all()
    assert pending.status == OrganizationStatus.PENDING


def test_admin_edits_related_parties(client, admin, make_org):
    first, second, third = make_org("sme"), make_org("sme"), make_org("sme")

    response = client.post(
        f"/admin/organizations/{first.id}",
        data=organization_form(first, related_organization_ids=[str(second.id), str(third.id)]),
    )

    assert response.status_code == 302
    db.session.expire_all()
    assert first.related_organizations == [second, third]
    assert second.related_organizations == [first]  # symmetric
    assert third.related_organizations == [first]

    # edited from the other side, the list is replaced, not added to
    client.post(
        f"/admin/organizations/{second.id}",
        data=organization_form(second, related_organization_ids=[str(third.id)]),
    )

    db.session.expire_all()
    assert first.related_organizations == [third]
    assert second.related_organizations == [third]
    assert third.related_organizations == [first, second]

    client.post(
        f"/admin/organizations/{third.id}",
        data=organization_form(third, related_organization_ids=[]),
    )

    db.session.expire_all()
    assert [org.related_organizations for org in (first, second, third)] == [[], [], []]


def test_edit_form_shows_the_related_parties(client, admin, make_org):
    first, second = make_org("sme"), make_org("sme", name="关联企业")
    client.post(
        f"/admin/organizations/{first.id}",
        data=organization_form(first, related_organization_ids=[str(second.id)]),
    )

    text = page_text(client.get(f"/admin/organizations/{first.id}"))

    assert re.search(rf'<option (selected value="{second.id}"|value="{second.id}" selected)>', text)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"uscc": "911411000000000000"}, "Not a valid Unified Social Credit Code"),
        ({"name": ""}, "This field is required."),
        ({"tech_sme_certified": "y", "tech_sme_cert_no": ""}, "needs its certificate number"),
        ({"related_organization_ids": ["99999"]}, "is not a valid choice"),
    ],
)
def test_bad_organisation_edit_changes_nothing(client, admin, make_org, changes, message):
    organization, related = make_org("sme", name="原名称"), make_org("sme")
    client.post(
        f"/admin/organizations/{organization.id}",
        data=organization_form(organization, related_organization_ids=[str(related.id)]),
    )
    db.session.expire_all()
    before = organization_form(organization)

    response = client.post(
        f"/admin/organizations/{organization.id}",
        data=organization_form(organization, address="新地址", related_organization_ids=[])
        | changes,
    )

    assert response.status_code in (200, 422)
    assert message in page_text(response)
    db.session.expire_all()
    assert organization_form(organization) == before


def test_admin_creates_an_approved_organisation(client, admin):
    uscc = valid_uscc()

    response = client.post(
        "/admin/organizations/new",
        data={"name": "新平台", "kind": "platform", "uscc": uscc.lower()},
    )

    assert response.status_code == 302
    organization = db.session.scalar(db.select(Organization).where(Organization.name == "新平台"))
    assert organization.kind == "platform"
    assert organization.status == OrganizationStatus.APPROVED
    assert organization.uscc == uscc  # stored in its compact upper-case form


def test_admin_creates_a_user_who_can_sign_in(client, admin, make_org):
    platform = make_org("platform")

    response = client.post(
        "/admin/users",
        data={
            "email": "New.Manager@Platform.example",
            "name": "李经理",
            "password": "a-good-password",
            "role": "platform",
            "organization_id": str(platform.id),
        },
    )

    assert response.status_code == 302
    user = db.session.scalar(db.select(User).where(User.name == "李经理"))
    assert user.email == "new.manager@platform.example"
    assert user.role == Role.PLATFORM
    assert user.organization == platform
    assert "new.manager@platform.example" in page_text(client.get("/admin/users"))
    client.post("/logout")
    response = client.post(
        "/login", data={"email": "new.manager@platform.example", "password": "a-good-password"}
    )
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"email": "not an address"}, "Not a valid e-mail address."),
        ({"email": "taken@test.example"}, "already registered"),
        ({"email": "TAKEN@test.example"}, "already registered"),
        ({"password": "short"}, "The password needs 8 to 200 characters."),
        ({"organization_id": "0"}, "A platform user needs an organisation of that kind."),
        ({"organization_id": "sme"}, "A platform user needs an organisation of that kind."),
        ({"organization_id": "99999"}, "Unknown organisation."),
        ({"role": "superuser"}, "Not a valid choice"),
    ],
)
def test_bad_new_user_is_refused_and_writes_nothing(
    client, admin, make_org, make_user, changes, message
):
    make_user("finance", email="taken@test.example")
    platform, sme = make_org("platform"), make_org("sme")
    if changes.get("organization_id") == "sme":
        changes["organization_id"] = str(sme.id)
    before = count_rows(User)

    response = client.post(
        "/admin/users",
        data={
            "email": "someone@test.example",
            "password": "a-good-password",
            "role": "platform",
            "organization_id": str(platform.id),
        }
        | changes,
    )

    assert response.status_code in (200, 422)
    assert message in page_text(response)
    assert count_rows(User) == before
