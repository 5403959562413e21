"""Organisations: creation by an admin, validation, related parties, SME self-registration."""

import pytest

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Organization, OrganizationStatus, User
from equipment_share.services.organizations import (
    create_organization,
    register_sme,
    set_related_organizations,
    set_status,
    update_organization,
)
from tests.conftest import count_rows, valid_uscc


def values(**changes) -> dict:
    return {"name": "吕梁测试平台", "kind": "platform", "uscc": valid_uscc()} | changes


def test_admin_creates_an_approved_organisation(make_user):
    admin = make_user("admin")
    uscc = valid_uscc()

    organization = create_organization(admin, values(uscc=f" {uscc[:6]}-{uscc[6:].lower()} "))
    db.session.commit()

    assert organization.status == OrganizationStatus.APPROVED
    assert organization.kind == "platform"
    assert organization.uscc == uscc  # compact and upper case
    assert organization.is_approved


def test_cli_creates_an_organisation_without_an_actor(app):
    organization = create_organization(None, values())

    assert organization.status == OrganizationStatus.APPROVED


@pytest.mark.parametrize("role", ["sme", "platform", "finance"])
def test_only_an_admin_creates_organisations(make_user, role):
    with pytest.raises(Forbidden):
        create_organization(make_user(role), values())

    db.session.commit()
    assert count_rows(Organization) == (0 if role == "finance" else 1)  # the user's own only


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"uscc": ""}, "uscc"),
        ({"uscc": None}, "uscc"),
        ({"uscc": "91141100MA0KX1234"}, "uscc"),  # 17 characters
        ({"uscc": "91141100MA0KX12340"}, "uscc"),  # wrong check character
        ({"uscc": "91141100MA0KX1234I"}, "uscc"),  # I is not used in USCCs
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"kind": "bank"}, "kind"),
        ({"kind": None}, "kind"),
        ({"tech_sme_certified": True}, "tech_sme_cert_no"),
        ({"tech_sme_certified": True, "tech_sme_cert_no": "  "}, "tech_sme_cert_no"),
        ({"contact_phone": "1" * 51}, "contact_phone"),
        ({"description": "x" * 5001}, "description"),
    ],
)
def test_invalid_organisation_is_refused_naming_the_field(make_user, changes, field):
    admin = make_user("admin")

    with pytest.raises(ValidationFailed) as failure:
        create_organization(admin, values(**changes))

    assert field in failure.value.fields
    db.session.commit()
    assert count_rows(Organization) == 0


@pytest.mark.parametrize("field", ["name", "uscc"])
def test_duplicate_name_or_uscc_is_refused(make_user, make_org, field):
    admin = make_user("admin")
    existing = make_org("sme", name="已有企业")
    duplicate = {"name": existing.name, "uscc": existing.uscc.lower()}[field]

    with pytest.raises(ValidationFailed) as failure:
        create_organization(admin, values(**{field: duplicate}))

    assert list(failure.value.fields) == [field]
    db.session.commit()
    assert count_rows(Organization) == 1


def test_update_keeps_its_own_name_and_uscc_but_refuses_anothers(make_user, make_org):
    admin = make_user("admin")
    organization, other = make_org("sme"), make_org("sme")

    update_organization(admin, organization, {"address": "新地址"})
    with pytest.raises(ValidationFailed) as failure:
        update_organization(admin, organization, {"uscc": other.uscc})

    assert "uscc" in failure.value.fields
    db.session.rollback()
    assert organization.uscc != other.uscc


def test_certified_sme_keeps_its_certificate_number(make_user):
    organization = create_organization(
        make_user("admin"),
        values(kind="sme", tech_sme_certified=True, tech_sme_cert_no="2026140100001"),
    )

    assert organization.tech_sme_certified
    assert organization.tech_sme_cert_no == "2026140100001"


@pytest.mark.parametrize("role", ["sme", "platform", "finance"])
def test_only_an_admin_updates_or_approves(make_user, make_org, role):
    organization = make_org("sme", status=OrganizationStatus.PENDING)
    actor = make_user(role)

    with pytest.raises(Forbidden):
        update_organization(actor, organization, {"name": "改名"})
    with pytest.raises(Forbidden):
        set_status(actor, organization, OrganizationStatus.APPROVED)

    db.session.rollback()
    assert organization.status == OrganizationStatus.PENDING


def test_related_parties_are_symmetric_and_replaceable(make_org):
    first, second, third = make_org("sme"), make_org("sme"), make_org("platform")

    set_related_organizations(first, [second.id, third.id, first.id])  # itself is ignored
    db.session.commit()

    assert first.related_organizations == [second, third]
    assert second.related_organizations == [first]
    assert third.related_organizations == [first]

    set_related_organizations(third, [second.id])
    db.session.commit()

    assert first.related_organizations == [second]
    assert second.related_organizations == [first, third]
    assert third.related_organizations == [second]

    set_related_organizations(second, [])
    db.session.commit()

    assert [org.related_organizations for org in (first, second, third)] == [[], [], []]


def test_each_related_pair_is_stored_once(make_org):
    from equipment_share.models import organization_relations

    first, second = make_org("sme"), make_org("sme")
    set_related_organizations(first, [second.id])
    set_related_organizations(second, [first.id])
    db.session.commit()

    rows = db.session.execute(db.select(organization_relations)).all()
    assert [tuple(row) for row in rows] == [(first.id, second.id)]


def test_unknown_related_party_is_refused_and_keeps_the_old_links(make_org):
    first, second = make_org("sme"), make_org("sme")
    set_related_organizations(first, [second.id])
    db.session.commit()

    with pytest.raises(ValidationFailed) as failure:
        set_related_organizations(first, [99999])

    assert "related_organization_ids" in failure.value.fields
    db.session.rollback()
    assert first.related_organizations == [second]


def test_update_organization_replaces_related_parties(make_user, make_org):
    admin = make_user("admin")
    first, second = make_org("sme"), make_org("sme")

    update_organization(admin, first, {"related_organization_ids": [second.id]})
    db.session.commit()

    assert second.related_organizations == [first]


def registration(**changes) -> tuple[dict, dict]:
    organization = {"name": "自助注册企业", "uscc": valid_uscc()}
    user = {"email": "Boss@Register.example", "password": "long-enough-secret", "name": "王总"}
    for key, value in changes.items():
        (user if key in ("email", "password", "user_name") else organization)[key] = value
    if "user_name" in user:
        user["name"] = user.pop("user_name")
    return organization, user


def test_register_sme_makes_a_pending_sme_and_an_inactive_user(make_user):
    user = register_sme(*registration(kind="platform"))  # the kind cannot be chosen
    db.session.commit()

    organization = user.organization
    assert organization.kind == "sme"
    assert organization.status == OrganizationStatus.PENDING
    assert user.email == "boss@register.example"
    assert user.role == "sme"
    assert user.name == "王总"
    assert user.is_active is False

    set_status(make_user("admin"), organization, OrganizationStatus.APPROVED)
    db.session.commit()

    assert user.is_active is True


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"uscc": "123"}, {"uscc"}),
        ({"name": ""}, {"name"}),
        ({"email": "nope"}, {"email"}),
        ({"password": "short"}, {"password"}),
        ({"user_name": "x" * 101}, {"user_name"}),  # the person's name, not the organisation's
        ({"uscc": "123", "email": "nope"}, {"uscc", "email"}),  # every problem at once
    ],
)
def test_bad_registration_writes_nothing(app, changes, fields):
    with pytest.raises(ValidationFailed) as failure:
        register_sme(*registration(**changes))

    assert set(failure.value.fields) == fields
    db.session.commit()
    assert (count_rows(Organization), count_rows(User)) == (0, 0)


def test_registration_refuses_a_taken_e_mail_in_another_case(make_user):
    make_user("sme", email="boss@register.example")
    before = count_rows(Organization)

    with pytest.raises(ValidationFailed) as failure:
        register_sme(*registration(email="BOSS@register.EXAMPLE"))

    assert list(failure.value.fields) == ["email"]
    db.session.commit()
    assert count_rows(Organization) == before
