"""The OpenAPI document says what the server does: real requests and answers validate against
the schemas it lists (OpenAPI 3.1 = JSON Schema 2020-12), and what the server requires the
document marks required, so that a generated client or a schema fuzzer works."""

import pytest
from openapi_schema_validator import OAS31Validator

from tests.api.test_bookings_api import TUESDAY, at

pytestmark = pytest.mark.usefixtures("app")


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def schema_of(document: dict, reference: dict) -> dict:
    """A schema of the document that can resolve the document's own $refs."""
    return {**reference, "components": document["components"]}


def request_schema(document: dict, path: str, method: str) -> dict:
    body = document["paths"][path][method]["requestBody"]
    return schema_of(document, body["content"]["application/json"]["schema"])


def response_schema(document: dict, path: str, method: str, status: int) -> dict:
    answer = document["paths"][path][method]["responses"][str(status)]
    if "$ref" in answer:  # a shared answer, e.g. every 422
        answer = document["components"]["responses"][answer["$ref"].rsplit("/", 1)[1]]
    return schema_of(document, answer["content"]["application/json"]["schema"])


def assert_valid(schema: dict, instance) -> None:
    errors = [error.message for error in OAS31Validator(schema).iter_errors(instance)]
    assert not errors, errors


def assert_invalid(schema: dict, instance) -> None:
    assert list(OAS31Validator(schema).iter_errors(instance)), instance


def parameter(document: dict, path: str, method: str, name: str) -> dict:
    (found,) = [p for p in document["paths"][path][method]["parameters"] if p["name"] == name]
    return found


@pytest.fixture
def booked(client, make_equipment, platform_user, sme_user, api_headers):
    equipment = make_equipment(platform_user.organization, requires_approval=True)
    body = {
        "equipment_id": equipment.id,
        "start": at(TUESDAY, 10),
        "end": at(TUESDAY, 12),
        "purpose": "XRD of slag samples",
    }
    headers = {"sme": api_headers(sme_user), "platform": api_headers(platform_user)}
    response = client.post("/api/v1/bookings", json=body, headers=headers["sme"])
    assert response.status_code == 201, response.get_json()
    return body, response.get_json(), headers


def test_a_booking_request_and_its_answers_match_the_document(client, document, booked):
    body, created, headers = booked

    assert_valid(request_schema(document, "/api/v1/bookings", "post"), body)
    assert_valid(response_schema(document, "/api/v1/bookings", "post", 201), created)
    listed = client.get("/api/v1/bookings", headers=headers["sme"]).get_json()
    assert_valid(response_schema(document, "/api/v1/bookings", "get", 200), listed)

    path = "/api/v1/bookings/{booking_id}/reject"
    reason = {"reason": "the furnace is being relined"}
    assert_valid(request_schema(document, path, "post"), reason)
    rejected = client.post(
        f"/api/v1/bookings/{created['id']}/reject", json=reason, headers=headers["platform"]
    )
    assert rejected.status_code == 200
    assert_valid(response_schema(document, path, "post", 200), rejected.get_json())
    assert (
        rejected.get_json()["status"]
        in (document["components"]["schemas"]["Booking"]["properties"]["status"]["enum"])
    )


def test_me_equipment_and_errors_match_the_document(client, document, booked, make_user):
    _, _, headers = booked
    me = client.get("/api/v1/me", headers=headers["sme"]).get_json()
    assert_valid(response_schema(document, "/api/v1/me", "get", 200), me)
    catalogue = client.get("/api/v1/equipment", headers=headers["sme"]).get_json()
    assert_valid(response_schema(document, "/api/v1/equipment", "get", 200), catalogue)

    refused = client.post("/api/v1/bookings", json={}, headers=headers["sme"])
    assert refused.status_code == 422
    assert_valid(response_schema(document, "/api/v1/bookings", "post", 422), refused.get_json())


def test_a_statement_matches_the_document(client, document, sme_user, api_headers):
    query = {"organization_id": sme_user.organization_id, "from": "2026-03-01", "to": "2026-04-01"}
    response = client.get("/api/v1/statements", query_string=query, headers=api_headers(sme_user))

    assert response.status_code == 200
    assert_valid(response_schema(document, "/api/v1/statements", "get", 200), response.get_json())
    for name in query:
        assert parameter(document, "/api/v1/statements", "get", name)["required"] is True


@pytest.mark.parametrize(
    ("path", "missing"),
    [
        ("/api/v1/bookings/{booking_id}/cancel", "reason"),
        ("/api/v1/bookings/{booking_id}/reject", "reason"),
        ("/api/v1/usage/{usage_id}/dispute", "reason"),
        ("/api/v1/usage/{usage_id}/waive", "reason"),
        ("/api/v1/usage/{usage_id}/correct", "reason"),
        ("/api/v1/usage/{usage_id}/correct", "actual_start"),
        ("/api/v1/bookings/{booking_id}/usage", "actual_end"),
        ("/api/v1/bookings", "start"),
        ("/api/v1/bookings", "equipment_id"),
        ("/api/v1/equipment", "category"),
        ("/api/v1/organizations", "kind"),
        ("/api/v1/users", "role"),
    ],
)
def test_the_document_requires_what_the_server_requires(document, path, missing):
    reference = request_schema(document, path, "post")["$ref"]
    name = reference.removeprefix("#/components/schemas/")

    assert missing in document["components"]["schemas"][name]["required"]


@pytest.mark.parametrize(
    ("schema_name", "field"),
    [
        ("EquipmentCreate", "category"),
        ("Equipment", "category"),
        ("Booking", "status"),
        ("UsageRecord", "status"),
        ("UserCreate", "role"),
        ("Me", "role"),
        ("OrganizationCreate", "kind"),
    ],
)
def test_the_document_lists_the_allowed_values(document, schema_name, field):
    assert document["components"]["schemas"][schema_name]["properties"][field]["enum"]


def test_a_client_sending_a_wrong_body_is_told_so_by_the_document(document):
    """The document is strict enough to catch a client's mistakes before it sends them."""
    schema = request_schema(document, "/api/v1/bookings", "post")

    assert_invalid(schema, {"equipment_id": 1, "start": "2026-12-01T09:00:00+08:00"})
    assert_invalid(schema, {"equipment_id": "1", "start": "x", "end": "y"})
    assert_invalid(schema, {"equipment_id": 1, "start": "x", "end": "y", "colour": "red"})
