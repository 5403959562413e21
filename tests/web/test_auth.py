"""Signing in and out, and SME self-registration."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationStatus, User
from tests.conftest import PASSWORD, count_rows, valid_uscc
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

WRONG_CREDENTIALS = "Wrong e-mail address or password."
NOT_APPROVED = "an administrator must approve your organisation"


def test_sign_in_with_good_credentials_opens_a_session(client, make_user):
    user = make_user("platform")

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"
    assert client.get("/manage/equipment").status_code == 200


def test_sign_in_accepts_the_e_mail_in_another_case(client, make_user):
    user = make_user("sme")

    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})

    assert response.status_code == 302


def test_sign_in_goes_back_to_the_next_page(client, make_user):
    user = make_user("platform")

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": "/manage/equipment"}
    )

    assert response.headers["Location"] == "/manage/equipment"


@pytest.mark.parametrize(
    "next_page",
    [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example/",  # browsers read a backslash as a slash
        "/\t/evil.example/",  # and drop tabs
        "\\/evil.example/",
        "javascript:alert(1)",
        "manage/equipment",
    ],
)
def test_sign_in_never_leads_to_another_site(client, make_user, next_page):
    user = make_user("platform")

    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "next": next_page}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "/dashboard"


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("known", "wrong-password-1"),
        ("nobody@test.example", PASSWORD),
        ("known", ""),
    ],
    ids=["wrong password", "unknown e-mail", "empty password"],
)
def test_bad_credentials_are_refused_with_one_message(client, make_user, email, password):
    user = make_user("sme")
    email = user.email if email == "known" else email

    response = client.post("/login", data={"email": email, "password": password})

    assert response.status_code == 200
    if password:
        assert WRONG_CREDENTIALS in page_text(response)
    assert client.get("/settings").status_code == 302  # still anonymous


def test_wrong_password_and_unknown_e_mail_get_the_same_answer(client, make_user):
    user = make_user("sme")

    wrong_password = client.post("/login", data={"email": user.email, "password": "nope-nope-1"})
    unknown_email = client.post("/login", data={"email": "x" + user.email, "password": PASSWORD})

    assert wrong_password.get_data() == unknown_email.get_data().replace(
        b"x" + user.email.encode(), user.email.encode()
    )


def test_user_of_a_pending_organisation_cannot_sign_in(client, make_org, make_user):
    user = make_user("sme", make_org("sme", status=OrganizationStatus.PENDING))

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert NOT_APPROVED in page_text(response)
    assert client.get("/settings").status_code == 302


def test_deactivated_user_cannot_sign_in(client, make_user):
    user = make_user("sme", active=False)

    response = client.post("/login", data={"email": user.email, "password": PASSWORD})

    assert response.status_code == 200
    assert client.get("/settings").status_code == 302


def test_sign_out_is_post_only(client, make_user, login):
    login(make_user("sme"))

    assert client.get("/logout").status_code == 405
    assert client.get("/settings").status_code == 200  # a GET signed nobody out

    response = client.post("/logout")

    assert response.status_code == 302
    assert client.get("/settings").status_code == 302


def registration(**changes) -> dict:
    return {
        "name": "吕梁测试新材料有限公司",
        "name_en": "Lüliang Test New Materials",
        "uscc": valid_uscc(),
        "industry": "新材料",
        "address": "山西省吕梁市",
        "contact_phone": "0358-1234567",
        "user_name": "张三",
        "email": "zhang@newmaterials.example",
        "password": "a-long-password",
    } | changes


def test_sme_registers_and_waits_for_approval(client):
    data = registration(tech_sme_certified="y", tech_sme_cert_no="2026140100099")

    response = client.post("/register", data=data, follow_redirects=True)

    assert response.status_code == 200
    assert "An administrator will check your organisation" in page_text(response)
    organization = db.session.scalar(db.select(Organization))
    assert organization.name == data["name"]
    assert organization.status == OrganizationStatus.PENDING
    assert organization.kind == "sme"
    assert organization.tech_sme_certified
    user = db.session.scalar(db.select(User))
    assert user.email == data["email"]
    assert user.name == "张三"
    assert user.organization == organization
    assert not user.is_active
    login = client.post("/login", data={"email": data["email"], "password": data["password"]})
    assert NOT_APPROVED in page_text(login)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"uscc": "91141100MA0KX12340"}, "uscc", "Not a valid Unified Social Credit Code"),
        ({"uscc": "123"}, "uscc", "Not a valid Unified Social Credit Code"),
        ({"uscc": ""}, "uscc", "This field is required."),
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 201}, "name", "At most 200 characters."),
        ({"tech_sme_certified": "y"}, "tech_sme_cert_no", "needs its certificate number"),
        ({"email": "not-an-address"}, "email", "Not a valid e-mail address."),
        ({"password": "short"}, "password", "The password needs 10 to 200 characters."),
        ({"user_name": "x" * 101}, "user_name", "At most 100 characters."),
    ],
)
def test_bad_registration_shows_the_error_and_writes_nothing(client, changes, field, message):
    response = client.post("/register", data=registration(**changes))

    assert response.status_code in (200, 422)
    text = page_text(response)
    assert message in text
    assert f'id="{field}"' in text
    assert count_rows(Organization) == 0
    assert count_rows(User) == 0


@pytest.mark.parametrize("taken", ["name", "uscc", "email"])
def test_registration_refuses_a_taken_name_code_or_e_mail(client, make_org, make_user, taken):
    existing = make_user("sme", email="taken@test.example")
    values = {
        "name": existing.organization.name,
        "uscc": existing.organization.uscc,
        "email": "TAKEN@test.example",
    }
    before = (count_rows(Organization), count_rows(User))

    response = client.post("/register", data=registration(**{taken: values[taken]}))

    assert response.status_code in (200, 422)
    assert "already" in page_text(response)
    assert (count_rows(Organization), count_rows(User)) == before


def test_signed_in_user_is_sent_away_from_registration(client, make_user, login):
    login(make_user("sme"))

    assert client.get("/register").status_code == 302
