"""Tokens, the error format, request parsing, CSRF exemption and the OpenAPI document."""

import pytest
from flask import Flask

from equipment_share.api import JsonApi
from equipment_share.config import DEFAULTS
from equipment_share.extensions import db
from equipment_share.models import Equipment, OrganizationStatus
from tests.conftest import count_rows

EQUIPMENT = {"name": "Gas chromatograph", "category": "chromatography", "hourly_rate": "360.00"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    return body["error"]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Bearer es_not-a-real-token"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic dXNlcjpwYXNz"},
    ],
    ids=["missing", "unknown", "empty", "wrong-scheme"],
)
def test_requests_without_a_valid_token_are_refused(client, headers):
    response = client.get("/api/v1/me", headers=headers)

    assert_error(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_token_is_refused_once_the_user_is_deactivated(client, make_user, api_headers):
    user = make_user("sme")
    headers = api_headers(user)
    assert client.get("/api/v1/me", headers=headers).status_code == 200

    user.active = False
    db.session.commit()

    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthenticated")


def test_token_of_a_pending_organisation_is_refused(client, make_org, make_user, api_headers):
    user = make_user("sme", make_org("sme", status=OrganizationStatus.PENDING))

    assert_error(client.get("/api/v1/me", headers=api_headers(user)), 401, "unauthenticated")


def test_refused_token_does_not_reach_the_endpoint(client, make_user):
    make_user("platform")

    response = client.post("/api/v1/equipment", json=EQUIPMENT)

    assert_error(response, 401, "unauthenticated")
    assert count_rows(Equipment) == 0


def test_the_api_neither_reads_nor_writes_the_cookie_session(client, make_user, login, api_headers):
    user = make_user("sme")
    login(user)

    cookie_only = client.get("/api/v1/me")
    with_token = client.get("/api/v1/me", headers=api_headers(user))

    assert_error(cookie_only, 401, "unauthenticated")  # a page's session is no API credential
    assert with_token.status_code == 200
    for response in (cookie_only, with_token):
        assert "Set-Cookie" not in response.headers
        assert "Cookie" not in response.headers.get("Vary", "")  # the answer ignores cookies
    assert client.get("/dashboard").status_code == 200  # and the page session is still there


def test_me_describes_the_token_user_and_organisation(client, make_org, make_user, api_headers):
    organization = make_org("sme", name="Jinzhong Ceramics")
    user = make_user("sme", organization, name="Wang Fang")

    response = client.get("/api/v1/me", headers=api_headers(user))

    assert response.status_code == 200
    assert response.get_json() == {
        "id": user.id,
        "email": user.email,
        "name": "Wang Fang",
        "role": "sme",
        "organization": {"id": organization.id, "name": "Jinzhong Ceramics", "kind": "sme"},
    }


def test_me_of_an_admin_has_no_organisation(client, make_user, api_headers):
    response = client.get("/api/v1/me", headers=api_headers(make_user("admin")))

    assert response.get_json()["role"] == "admin"
    assert response.get_json()["organization"] is None


def test_a_token_is_marked_as_used(client, make_user, api_headers):
    user = make_user("sme")
    headers = api_headers(user)

    client.get("/api/v1/me", headers=headers)

    assert user.tokens[0].last_used_at is not None


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"name": "GC",', "application/json"),
        ("not json at all", "application/json"),
        ('["a", "list"]', "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ('{"name": "GC"}', "text/plain"),
        (b"\xff\xfe\x00", "application/json"),
    ],
    ids=["truncated", "garbage", "list", "string", "null", "not-json-type", "not-utf8"],
)
def test_a_body_that_is_not_a_json_object_is_a_bad_request(
    client, make_user, api_headers, body, content_type
):
    headers = api_headers(make_user("platform"))

    response = client.post(
        "/api/v1/equipment", data=body, content_type=content_type, headers=headers
    )

    assert_error(response, 400, "bad_request")
    assert count_rows(Equipment) == 0


def test_unknown_api_path_answers_json_404(client, make_user, api_headers):
    response = client.get("/api/v1/no-such-thing", headers=api_headers(make_user("sme")))

    assert_error(response, 404, "not_found")


def test_wrong_method_answers_json_405(client, make_user, api_headers):
    response = client.delete("/api/v1/me", headers=api_headers(make_user("sme")))

    assert_error(response, 405, "method_not_allowed")


def test_html_pages_keep_html_errors(client):
    """flask-smorest's own error handler must not take over the site's pages."""
    response = client.get("/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_api_is_exempt_from_csrf_protection(app, client, make_user, api_headers):
    headers = api_headers(make_user("platform"))
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/api/v1/equipment", json=EQUIPMENT, headers=headers)

    assert response.status_code == 201
    assert count_rows(Equipment) == 1


def test_pages_are_still_csrf_protected(app, client, make_user):
    """The exemption covers the API blueprints only."""
    user = make_user("sme")
    app.config["WTF_CSRF_ENABLED"] = True

    response = client.post("/login", data={"email": user.email, "password": "x"})

    assert response.status_code == 400


# --- the OpenAPI document -------------------------------------------------------------------


@pytest.fixture
def openapi(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def test_openapi_document_needs_no_token_and_is_version_3_1(openapi):
    assert openapi["openapi"].startswith("3.1")
    assert openapi["info"]["version"] == "v1"


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/me", {"get"}),
        ("/api/v1/organizations", {"get", "post"}),
        ("/api/v1/organizations/{organization_id}", {"get", "patch"}),
        ("/api/v1/users", {"get", "post"}),
        ("/api/v1/equipment", {"get", "post"}),
        ("/api/v1/equipment/{equipment_id}", {"get", "patch"}),
        ("/api/v1/equipment/{equipment_id}/idle-windows", {"get", "post"}),
        ("/api/v1/equipment/{equipment_id}/idle-windows/{window_id}", {"delete"}),
        ("/api/v1/categories", {"get"}),
    ],
)
def test_openapi_document_lists_the_operations(openapi, path, methods):
    assert methods <= set(openapi["paths"][path])


def test_openapi_document_declares_bearer_security(openapi):
    schemes = openapi["components"]["securitySchemes"]
    (name,) = [name for name, scheme in schemes.items() if scheme.get("scheme") == "bearer"]
    assert schemes[name]["type"] == "http"
    assert {name: []} in openapi["security"]


def test_openapi_document_describes_money_as_string_and_errors_in_contract_format(openapi):
    schemas = openapi["components"]["schemas"]
    assert schemas["Equipment"]["properties"]["hourly_rate"]["type"] == "string"
    assert schemas["EquipmentCreate"]["additionalProperties"] is False
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "details"}
    post = openapi["paths"]["/api/v1/equipment"]["post"]
    assert {"201", "400", "401", "403", "422"} <= set(post["responses"])


def test_openapi_document_passes_an_openapi_3_1_validator(openapi):
    """Runs where openapi-spec-validator is installed (not a dependency yet)."""
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(openapi, cls=validator.OpenAPIV31SpecValidator)


def test_the_api_extension_registers_no_error_handler_of_its_own():
    """Whatever the order in create_app, errors.py alone answers errors, pages included."""
    bare = Flask(__name__)
    bare.config.update(DEFAULTS)

    JsonApi(bare)

    assert not bare.error_handler_spec.get(None)
