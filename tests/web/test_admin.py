"""The operator's pages: approving organisations, related parties and user accounts."""

import re

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Organization, OrganizationStatus, Role, User
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

    client.post(
        f"/admin/organizations/{organization.id}/status",
        data={"status": "rejected", "reason": "营业执照已吊销"},
    )

    db.session.expire_all()
    assert organization.status == OrganizationStatus.REJECTED
    (entry,) = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "organization")
    ).all()
    assert (entry.action, entry.from_state, entry.to_state) == ("reject", "approved", "rejected")
    assert entry.reason == "营业执照已吊销"
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "must approve your organisation" in page_text(response)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_changes_nothing_and_says_why(client, admin, make_org, reason):
    pending = make_org("sme", status=OrganizationStatus.PENDING, name="无理由企业")

    response = client.post(
        f"/admin/organizations/{pending.id}/status",
        data={"status": "rejected", "reason": reason},
        headers={"Referer": "/admin/organizations"},
        follow_redirects=True,
    )

    assert "Reason: Say why the organisation is rejected." in page_text(response)
    db.session.expire_all()
    assert pending.status == OrganizationStatus.PENDING
    assert count_rows(AuditEntry) == 0


def test_the_reject_button_asks_for_a_reason_and_a_confirmation(client, admin, make_org):
    pending = make_org("sme", status=OrganizationStatus.PENDING, name="待定企业")

    for path in ("/admin/organizations", f"/admin/organizations/{pending.id}"):
        text = page_text(client.get(path))
        form = re.search(
            r'<form[^>]*class="[^"]*reject-organization-form[^>]*>(.*?)</form>', text, re.S
        )
        assert form, path
        assert 'data-confirm="Reject 待定企业? Its users can no longer sign in."' in form.group(0)
        assert re.search(r'<input type="text" name="reason" required', form.group(1))
        assert "approve-organization-form" in text


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
        ({"password": "short"}, "The password needs 10 to 200 characters."),
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


def test_the_kind_of_an_organisation_cannot_change(client, admin, make_org):
    organization = make_org("sme", address="旧地址")

    response = client.post(
        f"/admin/organizations/{organization.id}",
        data=organization_form(organization, kind="platform", address="新地址"),
    )

    assert "cannot change once it is made" in page_text(response)
    db.session.expire_all()
    assert (organization.kind, organization.address) == ("sme", "旧地址")
    form = page_text(client.get(f"/admin/organizations/{organization.id}"))
    assert re.search(
        r'<select[^>]*disabled[^>]*name="kind"|<select[^>]*name="kind"[^>]*disabled', form
    )


# --- editing and deactivating accounts ------------------------------------------------------


def user_form(user: User, **changes) -> dict:
    """What the account form sends back, with some fields changed (an unticked box is absent)."""
    data = {
        "name": user.name,
        "role": user.role.value,
        "organization_id": str(user.organization_id or 0),
    }
    if user.active:
        data["active"] = "y"
    return data | changes


def test_the_user_list_links_to_each_account(client, admin, make_user):
    user = make_user("sme", name="张工")

    text = client.get("/admin/users").text

    assert f'href="/admin/users/{user.id}"' in text
    form = page_text(client.get(f"/admin/users/{user.id}"))
    assert 'value="张工"' in form
    assert '<input checked id="active" name="active" type="checkbox" value="y">' in form


def test_admin_edits_an_account(client, admin, make_user, make_org):
    user = make_user("sme", name="张工")
    platform = make_org("platform", name="煤炭平台")

    response = client.post(
        f"/admin/users/{user.id}",
        data=user_form(user, name="王主任", role="platform", organization_id=str(platform.id)),
    )

    assert response.status_code == 302
    db.session.commit()
    edited = db.session.get(User, user.id)
    assert (edited.name, edited.role, edited.organization) == ("王主任", Role.PLATFORM, platform)


def test_a_deactivated_users_session_ends_at_once(app, client, admin, make_user):
    user = make_user("sme")
    their_browser = app.test_client()
    their_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert their_browser.get("/bookings").status_code == 200

    response = client.post(f"/admin/users/{user.id}", data=user_form(user, active=""))

    assert response.status_code == 302
    assert "deactivated" in page_text(client.get("/admin/users"))
    refused = their_browser.get("/bookings")
    assert refused.status_code == 302
    assert refused.headers["Location"].startswith("/login")
    signed_in_again = their_browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert signed_in_again.status_code == 200  # the form again, with its error


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"role": "platform"}, "A platform user needs an organisation of that kind."),
        ({"organization_id": "99999"}, "Unknown organisation."),
        ({"name": "x" * 101}, "100"),
    ],
)
def test_bad_account_edit_is_shown_and_changes_nothing(client, admin, make_user, changes, message):
    user = make_user("sme", name="张工")

    response = client.post(f"/admin/users/{user.id}", data=user_form(user, **changes))

    assert response.status_code == 422
    assert message in page_text(response)
    db.session.commit()
    unchanged = db.session.get(User, user.id)
    assert (unchanged.name, unchanged.role) == ("张工", Role.SME)


def test_an_admin_cannot_deactivate_their_own_account(client, admin):
    response = client.post(f"/admin/users/{admin.id}", data=user_form(admin, active=""))

    assert response.status_code == 422
    assert "You cannot deactivate your own account" in page_text(response)
    db.session.commit()
    assert db.session.get(User, admin.id).active is True


@pytest.mark.parametrize("role", ["platform", "sme", "finance"])
def test_only_admins_edit_accounts(client, login, make_user, role):
    user = make_user("sme")
    login(make_user(role))

    assert client.get(f"/admin/users/{user.id}").status_code == 403
    assert (
        client.post(f"/admin/users/{user.id}", data=user_form(user, active="")).status_code == 403
    )
    db.session.commit()
    assert db.session.get(User, user.id).active is True


def test_a_persons_name_and_an_organisations_name_are_told_apart_in_chinese(
    client, admin, make_user
):
    """English says "Name" for both; translators get one string per meaning (pgettext)."""
    client.set_cookie("language", "zh_CN")
    make_user("sme")

    users = page_text(client.get("/admin/users"))
    organizations = page_text(client.get("/admin/organizations"))

    assert "<th>姓名</th>" in users
    assert "<th>机构名称</th>" in organizations
    assert "<th>姓名</th>" not in organizations
