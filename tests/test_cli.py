"""Command-line tasks: demo data, users and API tokens."""

import hashlib

import pytest
from sqlalchemy import func, select
from stdnum.cn import uscc

from equipment_share.extensions import db
from equipment_share.models import (
    ApiToken,
    Equipment,
    IdleWindow,
    Organization,
    OrganizationKind,
    Role,
    User,
)
from equipment_share.services.tokens import user_for_token
from tests.conftest import count_rows

DEMO_PASSWORD = "demo12345"


def demo_counts() -> dict:
    def count(model, *conditions) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*conditions))

    return {
        "platforms": count(Organization, Organization.kind == OrganizationKind.PLATFORM),
        "smes": count(Organization, Organization.kind == OrganizationKind.SME),
        "certified smes": count(Organization, Organization.tech_sme_certified.is_(True)),
        "instruments": count(Equipment),
        "idle windows": count(IdleWindow),
        **{f"{role.value} users": count(User, User.role == role) for role in Role},
    }


def test_demo_data_loads_once_however_often_it_runs(empty_app):
    runner = empty_app.test_cli_runner()

    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    counts = demo_counts()
    second = runner.invoke(args=["demo-data"])

    assert second.exit_code == 0, second.output
    assert (
        demo_counts()
        == counts
        == {
            "platforms": 4,
            "smes": 5,
            "certified smes": 3,
            "instruments": 20,
            "idle windows": 40,
            "admin users": 1,
            "finance users": 1,
            "platform users": 4,
            "sme users": 5,
        }
    )
    for organization in db.session.scalars(select(Organization)):
        assert uscc.is_valid(organization.uscc), organization.name
    for certified in db.session.scalars(
        select(Organization).where(Organization.tech_sme_certified.is_(True))
    ):
        assert certified.kind == OrganizationKind.SME
        assert certified.tech_sme_cert_no
    for output in (first.output, second.output):
        assert DEMO_PASSWORD in output
        for user in db.session.scalars(select(User)):
            assert user.email in output
    # the logins work
    admin = db.session.scalar(select(User).where(User.role == Role.ADMIN))
    assert admin.check_password(DEMO_PASSWORD) and admin.is_active


@pytest.fixture
def platform(app):
    organization = Organization(
        name="吕梁测试平台", kind=OrganizationKind.PLATFORM, status="approved", uscc=None
    )
    db.session.add(organization)
    db.session.commit()
    return organization


def test_create_user_with_password_and_organisation(runner, platform):
    result = runner.invoke(
        args=[
            "create-user",
            "Manager@Platform.example",
            "--role",
            "platform",
            "--org",
            "吕梁测试平台",
            "--name",
            "李经理",
            "--password",
            "a-good-password",
        ]
    )

    assert result.exit_code == 0, result.output
    assert "manager@platform.example" in result.output
    user = db.session.scalar(select(User))
    assert (user.email, user.role, user.organization, user.name) == (
        "manager@platform.example",
        Role.PLATFORM,
        platform,
        "李经理",
    )
    assert user.check_password("a-good-password")


def test_create_user_asks_for_a_missing_password(runner):
    result = runner.invoke(
        args=["create-user", "admin@test.example", "--role", "admin"],
        input="typed-password\ntyped-password\n",
    )

    assert result.exit_code == 0, result.output
    assert "typed-password" not in result.output  # hidden while typed
    user = db.session.scalar(select(User))
    assert user.role == Role.ADMIN
    assert user.check_password("typed-password")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nobody@test.example", "--role", "sme", "--org", "不存在"], "No organisation is named"),
        (["not-an-address", "--role", "finance"], "email"),
        (["short@test.example", "--role", "finance", "--password", "short"], "password"),
        (["sme@test.example", "--role", "sme"], "organization_id"),
        (["x@test.example", "--role", "root"], "Invalid value for '--role'"),
    ],
)
def test_create_user_refuses_bad_input(runner, platform, arguments, message):
    if "--password" not in arguments:
        arguments = [*arguments, "--password", "a-good-password"]

    result = runner.invoke(args=["create-user", *arguments])

    assert result.exit_code != 0
    assert message in result.output
    assert count_rows(User) == 0


def test_create_user_refuses_a_taken_e_mail(runner, make_user):
    make_user("finance", email="taken@test.example")

    result = runner.invoke(
        args=["create-user", "TAKEN@test.example", "--role", "admin", "--password", "long-enough"]
    )

    assert result.exit_code != 0
    assert count_rows(User) == 1


def test_create_token_prints_a_working_token_last(runner, make_user):
    user = make_user("sme")

    result = runner.invoke(args=["create-token", user.email.upper(), "--label", "LIMS"])

    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    assert user_for_token(token).id == user.id
    stored = db.session.scalar(select(ApiToken))
    assert stored.label == "LIMS"
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (stored.token_hash, stored.label)


def test_create_token_for_an_unknown_user_fails(runner, app):
    result = runner.invoke(args=["create-token", "nobody@test.example"])

    assert result.exit_code != 0
    assert "nobody@test.example" in result.output
    assert count_rows(ApiToken) == 0
