"""Which operations need a body, as the OpenAPI document says and as the server behaves: where
every field is optional (PATCH, pro-rata preview, a policy's next version, check-out) the body
may be left out and counts as {}; where a field is required, the body is required too."""

import pytest

OPTIONAL = {
    ("patch", "/api/v1/equipment/{equipment_id}"),
    ("patch", "/api/v1/organizations/{organization_id}"),
    ("patch", "/api/v1/users/{user_id}"),
    ("patch", "/api/v1/subsidy-policies/{policy_id}"),
    ("post", "/api/v1/subsidy-policies/{policy_id}/versions"),
    ("post", "/api/v1/budgets/{budget_id}/prorate"),
    ("post", "/api/v1/usage/{usage_id}/check-out"),
}


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def test_only_bodies_of_optional_fields_are_optional(document):
    optional = {
        (method, path)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        and "requestBody" in operation
        and not operation["requestBody"].get("required")
    }
    assert optional == OPTIONAL


def test_a_patch_without_a_body_changes_nothing(client, make_user, api_headers):
    admin, user = make_user("admin"), make_user("sme", name="张三")

    response = client.patch(f"/api/v1/users/{user.id}", headers=api_headers(admin))

    assert response.status_code == 200
    assert response.get_json()["name"] == "张三"


def test_a_body_with_a_required_field_is_required(client, make_user, api_headers):
    response = client.post("/api/v1/claims", headers=api_headers(make_user("sme")))

    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "validation_error"


def test_a_user_is_deactivated_only_by_false_itself(client, make_user, api_headers):
    """The document says boolean: 0 is a wrong type (400), and the user stays active."""
    admin, user = make_user("admin"), make_user("sme")

    response = client.patch(
        f"/api/v1/users/{user.id}", json={"active": 0}, headers=api_headers(admin)
    )

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"
    assert client.get(f"/api/v1/users/{user.id}", headers=api_headers(admin)).get_json()["active"]
