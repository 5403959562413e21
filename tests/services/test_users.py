"""User accounts: checked e-mail and password, the right organisation for the role, sign-in."""

import pytest

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Role, User
from equipment_share.services.users import authenticate, create_user, find_user
from tests.conftest import count_rows


def values(**changes) -> dict:
    return {"email": "someone@test.example", "password": "long-enough", "role": "finance"} | changes


def test_e_mail_is_normalised(app):
    user = create_user(None, values(email="Wang.Wei@Lvliang.EXAMPLE"))

    assert user.email == "wang.wei@lvliang.example"
    assert user.check_password("long-enough")
    assert user.password_hash != "long-enough"


@pytest.mark.parametrize(
    "taken", ["someone@test.example", "SOMEONE@test.example", "Someone@Test.Example"]
)
def test_e_mail_is_unique_in_any_case(app, taken):
    create_user(None, values())
    db.session.commit()

    with pytest.raises(ValidationFailed) as failure:
        create_user(None, values(email=taken))

    assert list(failure.value.fields) == ["email"]
    db.session.commit()
    assert count_rows(User) == 1


def test_existing_mixed_case_address_still_blocks_a_duplicate(make_user):
    make_user("finance", email="Mixed.Case@Test.example")  # written directly, not normalised

    with pytest.raises(ValidationFailed) as failure:
        create_user(None, values(email="mixed.case@test.example"))

    assert "email" in failure.value.fields


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"email": ""}, "email"),
        ({"email": None}, "email"),
        ({"email": "no-at-sign"}, "email"),
        ({"email": "two@@test.example"}, "email"),
        ({"email": "a@localhost"}, "email"),
        ({"email": "x" * 250 + "@test.example"}, "email"),
        ({"password": ""}, "password"),
        ({"password": None}, "password"),
        ({"password": "seven77"}, "password"),
        ({"password": "x" * 201}, "password"),
        ({"password": 12345678}, "password"),
        ({"name": "x" * 101}, "name"),
        ({"role": "superuser"}, "role"),
        ({"role": None}, "role"),
    ],
)
def test_invalid_user_is_refused_naming_the_field(app, changes, field):
    with pytest.raises(ValidationFailed) as failure:
        create_user(None, values(**changes))

    assert field in failure.value.fields
    db.session.commit()
    assert count_rows(User) == 0


@pytest.mark.parametrize("password", ["eight888", "x" * 200])
def test_password_length_limits_are_inclusive(app, password):
    assert create_user(None, values(password=password)).check_password(password)


@pytest.mark.parametrize(
    ("role", "organization_kind"),
    [("platform", None), ("platform", "sme"), ("sme", None), ("sme", "platform")],
)
def test_platform_and_sme_users_need_an_organisation_of_their_kind(
    make_org, role, organization_kind
):
    organization = make_org(organization_kind) if organization_kind else None
    organization_id = organization.id if organization else None

    with pytest.raises(ValidationFailed) as failure:
        create_user(None, values(role=role, organization_id=organization_id))

    assert list(failure.value.fields) == ["organization_id"]
    db.session.commit()
    assert count_rows(User) == 0


@pytest.mark.parametrize(("role", "kind"), [("platform", "platform"), ("sme", "sme")])
def test_user_joins_an_organisation_of_the_right_kind(make_org, role, kind):
    organization = make_org(kind)

    user = create_user(None, values(role=role, organization_id=organization.id))

    assert user.organization == organization
    assert user.role == Role(role)


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_admin_and_finance_may_belong_to_no_organisation(app, role):
    assert create_user(None, values(role=role)).organization is None


def test_unknown_organisation_is_refused(app):
    with pytest.raises(ValidationFailed) as failure:
        create_user(None, values(organization_id=99999))

    assert list(failure.value.fields) == ["organization_id"]


@pytest.mark.parametrize("role", ["sme", "platform", "finance"])
def test_only_an_admin_creates_users(make_user, role):
    actor = make_user(role)

    with pytest.raises(Forbidden):
        create_user(actor, values())


def test_admin_creates_users(make_user):
    user = create_user(make_user("admin"), values())

    assert user.id is not None


def test_authenticate_accepts_any_case_and_refuses_wrong_passwords(app):
    user = create_user(None, values())
    db.session.commit()

    assert authenticate("SomeOne@Test.Example", "long-enough") is user
    assert authenticate("someone@test.example", "wrong-password") is None
    assert authenticate("nobody@test.example", "long-enough") is None
    assert authenticate(None, None) is None
    assert find_user("SOMEONE@TEST.EXAMPLE") is user
