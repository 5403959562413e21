"""User accounts: checked e-mail and password, the right organisation for the role, sign-in."""

import pytest

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Role, User
from equipment_share.models import users as users_model
from equipment_share.services.users import (
    SignInRefused,
    authenticate,
    create_user,
    end_sessions,
    find_user,
    unlock_user,
    user_for_session,
)
from tests.conftest import count_rows


def values(**changes) -> dict:
    return {
        "email": "someone@test.example",
        "password": "long-enough-secret",
        "role": "finance",
    } | changes


def test_e_mail_is_normalised(app):
    user = create_user(None, values(email="Wang.Wei@Lvliang.EXAMPLE"))

    assert user.email == "wang.wei@lvliang.example"
    assert user.check_password("long-enough-secret")
    assert user.password_hash != "long-enough-secret"


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
        ({"password": "nine-char"}, "password"),
        ({"password": "password123456"}, "password"),
        ({"password": "qwertyuiopasdf"}, "password"),
        ({"password": "aaaaaaaaaaaaaaaa"}, "password"),
        ({"password": "correct-horse\x00-9"}, "password"),
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


@pytest.mark.parametrize("password", ["vK9#qe2Lm!", "lüliang kiln 7 " * 13 + "tail7"])
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

    assert authenticate("SomeOne@Test.Example", "long-enough-secret", lock_after=10) is user
    for email, password in [
        ("someone@test.example", "wrong-password"),
        ("nobody@test.example", "long-enough-secret"),
        (None, None),
    ]:
        with pytest.raises(SignInRefused) as refusal:
            authenticate(email, password, lock_after=10)
        assert refusal.value.reason == "wrong"
    assert find_user("SOMEONE@TEST.EXAMPLE") is user


def refusal_reason(email, password, lock_after=3) -> str:
    with pytest.raises(SignInRefused) as refusal:
        authenticate(email, password, lock_after=lock_after)
    return refusal.value.reason


def test_wrong_passwords_in_a_row_lock_the_account_until_an_admin_unlocks_it(app, make_user):
    user = create_user(None, values())
    db.session.commit()

    reasons = [refusal_reason(user.email, f"wrong-{attempt}") for attempt in range(3)]

    assert reasons == ["wrong", "wrong", "locked"]
    assert user.locked_at is not None
    # the right password no longer helps, and is not told apart from a wrong one
    assert refusal_reason(user.email, "long-enough-secret") == "locked"
    unlock_user(make_user("admin"), user)
    assert authenticate(user.email, "long-enough-secret", lock_after=3) is user
    assert user.failed_sign_ins == 0


def test_a_right_password_resets_the_count_of_wrong_ones(app):
    user = create_user(None, values())
    db.session.commit()

    for _ in range(2):
        refusal_reason(user.email, "wrong-password")
    authenticate(user.email, "long-enough-secret", lock_after=3)
    for _ in range(2):
        refusal_reason(user.email, "wrong-password")

    assert not user.is_locked


def test_only_an_admin_unlocks(app, make_user):
    user = make_user("sme", locked_at=db.func.now())

    with pytest.raises(Forbidden):
        unlock_user(make_user("finance"), user)


def test_an_unknown_e_mail_costs_a_password_check_as_a_known_one_does(app, monkeypatch):
    """So that the answer's timing does not reveal which addresses have accounts."""
    checked = []
    real_check = users_model.check_password_hash
    monkeypatch.setattr(
        users_model,
        "check_password_hash",
        lambda stored, given: checked.append(given) or real_check(stored, given),
    )

    refusal_reason("nobody@test.example", "some-password")

    assert checked == ["some-password"]


def test_ending_sessions_invalidates_the_session_id_given_out_before(app, make_user):
    user = make_user("sme")
    old_session_id = user.get_id()
    assert user_for_session(old_session_id) is user

    end_sessions(user)

    assert user_for_session(old_session_id) is None
    assert user_for_session(user.get_id()) is user


@pytest.mark.parametrize("session_id", ["", "1", "x.0", "1.x", "99999999999999999999.0", None])
def test_malformed_session_ids_name_no_one(app, session_id):
    assert user_for_session(session_id) is None
