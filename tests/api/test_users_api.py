"""User accounts through the API (admin only)."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Role, User
from tests.conftest import count_rows


@pytest.fixture
def admin_headers(make_user, api_headers):
    return api_headers(make_user("admin"))


def test_admin_creates_a_user_without_exposing_the_password(client, admin_headers, make_org):
    platform = make_org("platform")

    response = client.post(
        "/api/v1/users",
        json={
            "email": "Zhang.Wei@Example.com",
            "password": "long-enough-secret",
            "role": "platform",
            "organization_id": platform.id,
            "name": "Zhang Wei",
        },
        headers=admin_headers,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["email"] == "zhang.wei@example.com"
    assert body["role"] == "platform"
    assert body["organization_id"] == platform.id
    assert not {"password", "password_hash"} & set(body)
    assert "long-enough-secret" not in response.get_data(as_text=True)
    user = db.session.get(User, body["id"])
    assert user.check_password("long-enough-secret")


def test_admin_creates_a_finance_user_without_organisation(client, admin_headers):
    response = client.post(
        "/api/v1/users",
        json={"email": "finance@example.com", "password": "long-enough-secret", "role": "finance"},
        headers=admin_headers,
    )

    assert response.status_code == 201
    assert response.get_json()["organization_id"] is None


@pytest.mark.parametrize("role", ["platform", "sme", "finance"])
def test_only_admins_create_users(client, make_user, api_headers, make_org, role):
    headers = api_headers(make_user(role))
    before = count_rows(User)

    response = client.post(
        "/api/v1/users",
        json={
            "email": "intruder@example.com",
            "password": "long-enough-secret",
            "role": "admin",
            "organization_id": None,
        },
        headers=headers,
    )

    assert response.status_code == 403
    assert count_rows(User) == before


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "superuser"}, "role"),
        ({"role": "sme"}, "organization_id"),  # an SME user in a platform
        ({"organization_id": 999_999}, "organization_id"),
        ({"organization_id": 2**31}, "organization_id"),  # beyond the INTEGER column
        ({"organization_id": 0}, "organization_id"),
    ],
)
def test_invalid_user_is_a_validation_error(client, admin_headers, make_org, overrides, field):
    values = {
        "email": "new@example.com",
        "password": "long-enough-secret",
        "role": "platform",
        "organization_id": make_org("platform").id,
    } | overrides
    before = count_rows(User)

    response = client.post("/api/v1/users", json=values, headers=admin_headers)

    assert response.status_code == 422
    assert field in response.get_json()["error"]["details"]["fields"]
    assert count_rows(User) == before


def test_duplicate_email_is_a_validation_error(client, admin_headers, make_user):
    existing = make_user("finance")

    response = client.post(
        "/api/v1/users",
        json={"email": existing.email.upper(), "password": "long-enough-secret", "role": "finance"},
        headers=admin_headers,
    )

    assert response.status_code == 422
    assert "email" in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [({"organization_id": "1"}, "organization_id"), ({"password": 12345678}, "password")],
)
def test_wrong_types_are_a_bad_request(client, admin_headers, overrides, field):
    values = {"email": "new@example.com", "password": "long-enough-secret", "role": "finance"}

    response = client.post("/api/v1/users", json=values | overrides, headers=admin_headers)

    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]


def test_admin_lists_users_without_passwords(client, make_user, api_headers):
    admin = make_user("admin")
    make_user("sme")

    response = client.get("/api/v1/users", headers=api_headers(admin))

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == count_rows(User)
    assert admin.id in [item["id"] for item in body["items"]]
    assert all("password_hash" not in item for item in body["items"])


@pytest.mark.parametrize("role", [Role.PLATFORM, Role.SME, Role.FINANCE])
def test_only_admins_list_users(client, make_user, api_headers, role):
    response = client.get("/api/v1/users", headers=api_headers(make_user(role)))

    assert response.status_code == 403


# --- editing and deactivating ---------------------------------------------------------------


def test_admin_edits_a_users_name_role_and_organisation(client, admin_headers, make_user, make_org):
    user = make_user("sme", name="张工")
    sme_id = user.organization_id
    platform = make_org("platform")

    response = client.patch(
        f"/api/v1/users/{user.id}",
        json={"name": "王主任", "role": "platform", "organization_id": platform.id},
        headers=admin_headers,
    )

    assert response.status_code == 200
    body = response.get_json()
    assert body == body | {
        "id": user.id,
        "name": "王主任",
        "role": "platform",
        "organization_id": platform.id,
        "active": True,
    }
    db.session.commit()
    assert db.session.get(User, user.id).role == Role.PLATFORM
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.object_type == "user"))
    assert entry.object_id == user.id and entry.action == "update"
    assert entry.changes["role"] == {"from": "sme", "to": "platform"}
    assert entry.changes["name"] == {"from": "张工", "to": "王主任"}
    assert entry.changes["organization_id"] == {"from": sme_id, "to": platform.id}
    assert "active" not in entry.changes


def test_omitted_fields_keep_their_value(client, admin_headers, make_user):
    user = make_user("sme", name="张工")

    response = client.patch(f"/api/v1/users/{user.id}", json={}, headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["name"] == "张工"
    assert response.get_json()["organization_id"] == user.organization_id


def test_a_deactivated_users_tokens_stop_working_at_once(
    client, admin_headers, make_user, api_headers
):
    user = make_user("sme")
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    response = client.patch(
        f"/api/v1/users/{user.id}", json={"active": False}, headers=admin_headers
    )

    assert response.status_code == 200
    assert response.get_json()["active"] is False
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    client.patch(f"/api/v1/users/{user.id}", json={"active": True}, headers=admin_headers)
    assert client.get("/api/v1/me", headers=headers).status_code == 200


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"role": "wizard"}, "role"),
        ({"role": "platform"}, "organization_id"),  # an SME's organisation is no platform
        ({"organization_id": 999999}, "organization_id"),
        ({"role": "finance", "organization_id": None, "name": "x" * 101}, "name"),
        ({"active": "maybe"}, "active"),
    ],
)
def test_bad_changes_are_refused_and_change_nothing(
    client, admin_headers, make_user, changes, field
):
    user = make_user("sme", name="张工")

    response = client.patch(f"/api/v1/users/{user.id}", json=changes, headers=admin_headers)

    assert response.status_code in (400, 422)
    if response.status_code == 422:
        assert field in response.get_json()["error"]["details"]["fields"]
    db.session.commit()
    unchanged = db.session.get(User, user.id)
    assert (unchanged.role, unchanged.name, unchanged.active) == (Role.SME, "张工", True)


@pytest.mark.parametrize("changes", [{"active": False}, {"role": "finance"}])
def test_an_admin_cannot_lock_themselves_out(client, make_user, api_headers, changes):
    admin = make_user("admin")

    response = client.patch(f"/api/v1/users/{admin.id}", json=changes, headers=api_headers(admin))

    assert response.status_code == 422
    assert client.get("/api/v1/me", headers=api_headers(admin)).get_json()["role"] == "admin"


@pytest.mark.parametrize("role", ["platform", "sme", "finance"])
def test_only_admins_edit_users(client, make_user, api_headers, role):
    user = make_user("sme")

    response = client.patch(
        f"/api/v1/users/{user.id}", json={"active": False}, headers=api_headers(make_user(role))
    )

    assert response.status_code == 403
    db.session.commit()
    assert db.session.get(User, user.id).active is True


def test_editing_an_unknown_user_is_not_found(client, admin_headers):
    assert client.patch("/api/v1/users/999999", json={}, headers=admin_headers).status_code == 404
    assert client.get("/api/v1/users/999999", headers=admin_headers).status_code == 404
