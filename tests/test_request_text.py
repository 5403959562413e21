"""Text the database cannot store (NUL, lone surrogates) and JSON nested too deeply are refused
at the edge with 400, on pages and in the API alike, and write nothing. Run with DATABASE_URL
set too: PostgreSQL used to answer these with 500."""

import io

import pytest
from flask import request

from equipment_share.extensions import db
from equipment_share.models import Booking, Equipment, ProductionRun
from equipment_share.request_text import FORM_TYPES, MAX_JSON_DEPTH, request_texts
from tests.api.test_production_calendar_api import ICS, ics_file, in_days, local
from tests.conftest import count_rows

JSON = {"Content-Type": "application/json"}


def assert_bad_request(response) -> None:
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_request"


def new_equipment(name: str) -> dict:
    return {"name": name, "category": "spectroscopy", "hourly_rate": "300.00"}


@pytest.fixture
def platform_headers(api_headers, platform_user):
    return api_headers(platform_user)


@pytest.mark.parametrize(
    "query",
    ["q=%00", "q=a%00b", "category=%00", "%00=x", "free_from=2026-12-01T09:00:00%00"],
)
def test_nul_in_a_query_string_is_a_bad_request(client, platform_headers, query):
    assert_bad_request(client.get(f"/api/v1/equipment?{query}", headers=platform_headers))


@pytest.mark.parametrize(
    "body",
    [
        '{"name": "Spectrometer\\u0000", "category": "spectroscopy", "hourly_rate": "300.00"}',
        '{"name": "\\ud800", "category": "spectroscopy", "hourly_rate": "300.00"}',
        '{"name": "x\\udfffy", "category": "spectroscopy", "hourly_rate": "300.00"}',
        '{"name": "x", "category": "spectroscopy", "hourly_rate": "300.00", "mod\\u0000el": ""}',
        '{"name": "x", "category": "spectroscopy", "hourly_rate": "300.00", "items": ["\\u0000"]}',
    ],
)
def test_unstorable_text_in_json_is_a_bad_request(client, platform_headers, body):
    response = client.post("/api/v1/equipment", data=body, headers=platform_headers | JSON)

    assert_bad_request(response)
    assert count_rows(Equipment) == 0


def test_an_escaped_backslash_before_u0000_is_plain_text(client, platform_headers):
    body = '{"name": "C:\\\\u0000", "category": "spectroscopy", "hourly_rate": "300.00"}'

    response = client.post("/api/v1/equipment", data=body, headers=platform_headers | JSON)

    assert response.status_code == 201
    assert response.get_json()["name"] == "C:\\u0000"


def test_a_surrogate_pair_is_a_character_like_any_other(client, platform_headers):
    response = client.post(
        "/api/v1/equipment", json=new_equipment("显微镜 \U0001f52c"), headers=platform_headers
    )

    assert response.status_code == 201
    assert response.get_json()["name"] == "显微镜 \U0001f52c"


def test_nul_in_a_booking_purpose_is_a_bad_request(client, api_headers, sme_user, make_equipment):
    equipment, day = make_equipment(), in_days(3)
    body = {
        "equipment_id": equipment.id,
        "start": local(day, 10).isoformat(),
        "end": local(day, 11).isoformat(),
        "purpose": "\x00",
    }

    assert_bad_request(client.post("/api/v1/bookings", json=body, headers=api_headers(sme_user)))
    assert count_rows(Booking) == 0


def test_nul_in_an_ics_summary_is_a_bad_request(client, api_headers, make_user, make_org):
    platform = make_org("platform")
    equipment = db.session.get(Equipment, _owned_equipment(platform).id)
    day = in_days(3)
    upload = ics_file((local(day, 9), local(day, 10))).replace(b"Production", b"Pro\x00duction")

    response = client.post(
        f"/api/v1/equipment/{equipment.id}/production-calendar",
        data=upload,
        headers=api_headers(make_user("platform", platform)) | ICS,
    )

    assert_bad_request(response)
    assert count_rows(ProductionRun) == 0


def _owned_equipment(platform) -> Equipment:
    equipment = Equipment(
        platform=platform, name="Kiln", category="thermal_analysis", hourly_rate="100.00"
    )
    db.session.add(equipment)
    db.session.commit()
    return equipment


def test_nul_in_the_authorization_header_is_a_bad_request(client):
    assert_bad_request(client.get("/api/v1/me", headers={"Authorization": "Bearer es_\x00"}))


@pytest.mark.parametrize(
    "body",
    [
        "[" * 50_000,
        "[" * 50_000 + "]" * 50_000,
        '{"a": ' * 10_000 + "1" + "}" * 10_000,
        "[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1),
    ],
    ids=["unclosed", "closed", "objects", "one-too-deep"],
)
def test_json_nested_too_deeply_is_a_bad_request(client, platform_headers, body):
    response = client.post("/api/v1/equipment", data=body, headers=platform_headers | JSON)

    assert_bad_request(response)
    assert count_rows(Equipment) == 0


# --- pages ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/?q=%00", "/?category=%00", "/equipment/1%00", "/calendar/feed/%00.ics"]
)
def test_pages_refuse_nul_with_a_400_page(client, path):
    response = client.get(path)

    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_the_audit_page_refuses_nul_in_its_filters(client, make_user, login):
    login(make_user("admin"))

    assert client.get("/audit?object_type=%00").status_code == 400


def test_nul_in_the_login_e_mail_is_a_400_page(client, make_user):
    user = make_user("sme")
    email = user.email.replace("@", "\x00@")

    response = client.post("/login", data={"email": email, "password": "x"})

    assert response.status_code == 400
    assert response.mimetype == "text/html"


def test_nul_in_an_uploaded_ics_is_a_form_error(client, make_user, make_org, login):
    platform = make_org("platform")
    equipment = _owned_equipment(platform)
    login(make_user("platform", platform))
    day = in_days(3)
    upload = ics_file((local(day, 9), local(day, 10))).replace(b"Production", b"Pro\x00duction")

    response = client.post(
        f"/manage/equipment/{equipment.id}/production-calendar",
        data={"production-calendar": (io.BytesIO(upload), "plan.ics")},
    )

    assert response.status_code == 422
    assert count_rows(ProductionRun) == 0


def test_nul_in_a_form_field_is_a_400_page(client, make_user, login):
    login(make_user("platform"))

    response = client.post("/manage/equipment/new", data=new_equipment("Spectrometer\x00"))

    assert response.status_code == 400
    assert count_rows(Equipment) == 0


def test_nul_in_a_cookie_value_is_a_bad_request(app):
    # the Cookie header holds a backslash and digits; the decoded cookie holds the NUL
    client = app.test_client(use_cookies=False)  # the client's own cookies replace the header

    response = client.get("/", headers={"Cookie": 'locale="\\000"'})

    assert response.status_code == 400


# --- the texts searched, against the way they were first gathered -------------------------


def texts_one_generator_step_each():
    """The first version of request_texts: every source read, a generator step per string."""
    yield request.path
    for source in (request.args, request.cookies):
        for name, value in source.items(multi=True):
            yield from (name, value)
    yield from request.environ
    yield from (value for value in request.environ.values() if isinstance(value, str))
    if request.mimetype in FORM_TYPES:
        for name, value in request.form.items(multi=True):
            yield from (name, value)
        for name, upload in request.files.items(multi=True):
            yield from (name, upload.filename or "")


@pytest.mark.parametrize(
    "options",
    [
        {"path": "/api/v1/me", "headers": {"Authorization": "Bearer es_x"}},
        {"path": "/api/v1/equipment/1/availability?from=2026-12-07T00%3A00%2B08%3A00&to=x"},
        {"path": "/?q=%00&q=two&%E6%98%BE=%E5%BE%AE&empty="},
        {"path": "/equipment/1%00?"},
        {"path": "/", "headers": {"Cookie": 'session=abc; locale="\\000"; x=%00'}},
        {"path": "/", "headers": {"Cookie": ""}, "query_string": ""},
        {"path": "/login", "method": "POST", "data": {"email": "a\x00@b", "password": "p"}},
        {
            "path": "/manage/equipment/1/production-calendar?a=1",
            "method": "POST",
            "data": {"note": ["one", "two"], "file": (io.BytesIO(b"x"), "plan\x00.ics")},
            "headers": {"Cookie": "session=s", "X-Custom": "值"},
        },
        {"path": "/api/v1/equipment", "method": "POST", "json": {"name": "\x00"}},
    ],
)
def test_the_texts_searched_are_the_ones_every_source_gives(app, options):
    with app.test_request_context(**options):
        assert sorted(request_texts()) == sorted(texts_one_generator_step_each())
