"""With CSRF protection on (as in production), a POST without the form's token changes nothing."""

import pytest

from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import Equipment, User
from tests.conftest import PASSWORD, count_rows
from tests.web.conftest import csrf_token, page_text

INSTRUMENT = {
    "name": "气相色谱仪",
    "category": "chromatography",
    "hourly_rate": "300.00",
    "setup_fee": "0.00",
    "timezone": "Asia/Shanghai",
    "min_charge_minutes": "0",
    "billing_increment_minutes": "30",
    "slot_minutes": "30",
    "min_booking_minutes": "60",
    "max_booking_minutes": "480",
    "lead_time_hours": "24",
    "horizon_days": "60",
    "cancellation_deadline_hours": "24",
    "active": "y",
}


def sign_in(client, user) -> None:
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def test_sign_in_without_the_token_is_refused(csrf_client, make_user):
    user = make_user("sme")
    csrf_client.set_cookie(LANGUAGE_COOKIE, "en")
    csrf_client.get("/login")

    response = csrf_client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 400
    assert "The form has expired" in page_text(response)
    assert csrf_client.get("/settings").status_code == 302  # not signed in


def test_sign_in_with_a_forged_token_is_refused(csrf_client, make_user):
    user = make_user("sme")
    csrf_client.get("/login")

    response = csrf_client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": "forged"}
    )

    assert response.status_code == 400


def test_sign_in_with_the_token_from_the_form_works(csrf_client, make_user):
    sign_in(csrf_client, make_user("sme"))

    assert csrf_client.get("/settings").status_code == 200


def test_publishing_without_the_token_is_refused_and_writes_nothing(csrf_client, make_user):
    sign_in(csrf_client, make_user("platform"))
    form_page = csrf_client.get("/manage/equipment/new")
    assert form_page.status_code == 200

    refused = csrf_client.post("/manage/equipment/new", data=INSTRUMENT)

    assert refused.status_code == 400
    db.session.commit()  # end the test's own read transaction, to see what the app wrote
    assert count_rows(Equipment) == 0

    published = csrf_client.post(
        "/manage/equipment/new", data=INSTRUMENT | {"csrf_token": csrf_token(form_page)}
    )

    assert published.status_code == 302
    db.session.commit()
    assert count_rows(Equipment) == 1


def test_language_switch_without_the_token_is_refused(csrf_client):
    page = csrf_client.get("/")

    refused = csrf_client.post("/language/en", data={"next": "/"})

    assert refused.status_code == 400
    assert LANGUAGE_COOKIE not in refused.headers.get("Set-Cookie", "")
    assert csrf_client.get_cookie(LANGUAGE_COOKIE) is None

    switched = csrf_client.post("/language/en", data={"next": "/", "csrf_token": csrf_token(page)})

    assert switched.status_code == 302
    assert csrf_client.get_cookie(LANGUAGE_COOKIE).value == "en"


def test_a_visitors_page_carries_a_language_token_and_sets_no_cookie(csrf_app, csrf_client):
    page = csrf_client.get("/")

    assert "Set-Cookie" not in page.headers
    assert csrf_client.get_cookie(csrf_app.config["SESSION_COOKIE_NAME"]) is None
    token = csrf_token(page)
    switched = csrf_client.post(
        "/language/en", data={"csrf_token": token}, headers={"Origin": "http://localhost"}
    )
    assert switched.status_code == 302
    assert csrf_client.get_cookie(LANGUAGE_COOKIE).value == "en"


@pytest.mark.parametrize(
    "headers", [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"}]
)
def test_a_visitors_language_switch_from_another_site_is_refused(csrf_client, headers):
    token = csrf_token(csrf_client.get("/"))

    refused = csrf_client.post("/language/en", data={"csrf_token": token}, headers=headers)

    assert refused.status_code == 400
    assert csrf_client.get_cookie(LANGUAGE_COOKIE) is None


def test_signed_in_the_visitor_token_does_not_switch_the_account(csrf_client, make_user):
    user = make_user("sme")
    visitor_token = csrf_token(csrf_client.get("/"))
    sign_in(csrf_client, user)

    refused = csrf_client.post("/language/en", data={"csrf_token": visitor_token})

    assert refused.status_code == 400
    db.session.commit()
    assert db.session.get(User, user.id).locale != "en"
