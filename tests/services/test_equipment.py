"""Publishing instruments: validation, ownership, and who finds what in the catalogue."""

from decimal import Decimal

import pytest

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Equipment, OrganizationStatus
from equipment_share.services.equipment import (
    DEFAULT_VALUES,
    catalogue_query,
    create_equipment,
    equipment_values,
    update_equipment,
)
from tests.conftest import count_rows

GOOD = {"name": "万能材料试验机", "category": "materials_testing", "hourly_rate": "160.00"}

BAD_VALUES = [
    ({"hourly_rate": "-0.01"}, "hourly_rate"),
    ({"hourly_rate": "1.234"}, "hourly_rate"),
    ({"hourly_rate": 0.5}, "hourly_rate"),  # floats are how money goes wrong
    ({"hourly_rate": "NaN"}, "hourly_rate"),
    ({"hourly_rate": "Infinity"}, "hourly_rate"),
    ({"hourly_rate": "100000000.00"}, "hourly_rate"),
    ({"hourly_rate": True}, "hourly_rate"),
    ({"hourly_rate": ""}, "hourly_rate"),
    ({"hourly_rate": None}, "hourly_rate"),
    ({"setup_fee": "-5"}, "setup_fee"),
    ({"setup_fee": 1.5}, "setup_fee"),
    ({"min_booking_minutes": 120, "max_booking_minutes": 60}, "max_booking_minutes"),
    ({"slot_minutes": 7}, "slot_minutes"),
    ({"slot_minutes": 50}, "slot_minutes"),
    ({"slot_minutes": 0}, "slot_minutes"),
    ({"min_booking_minutes": 45}, "min_booking_minutes"),
    ({"max_booking_minutes": 500}, "max_booking_minutes"),
    ({"min_charge_minutes": -1}, "min_charge_minutes"),
    ({"billing_increment_minutes": 0}, "billing_increment_minutes"),
    ({"lead_time_hours": "24"}, "lead_time_hours"),  # a string is not a number here
    ({"lead_time_hours": 2.5}, "lead_time_hours"),
    ({"horizon_days": True}, "horizon_days"),
    ({"horizon_days": 731}, "horizon_days"),
    ({"category": "cooking"}, "category"),
    ({"category": None}, "category"),
    ({"timezone": "Mars/Olympus"}, "timezone"),
    ({"timezone": "Asia"}, "timezone"),  # a folder of the zone database, not a zone
    ({"timezone": "../../etc/passwd"}, "timezone"),
    ({"timezone": ""}, "timezone"),
    ({"name": "x" * 201}, "name"),
    ({"name": ""}, "name"),
    ({"name": "   "}, "name"),
    ({"name_en": "x" * 201}, "name_en"),
    ({"location": "x" * 301}, "location"),
    ({"description": "x" * 5001}, "description"),
    ({"requires_approval": "yes"}, "requires_approval"),
    ({"active": None}, "active"),
]


def test_platform_publishes_with_defaults(platform_user):
    equipment = create_equipment(platform_user, GOOD | {"name": "  万能材料试验机 "})
    db.session.commit()

    assert equipment.platform_id == platform_user.organization_id
    assert equipment.name == "万能材料试验机"  # trimmed
    assert equipment.hourly_rate == Decimal("160.00")
    for name, default in DEFAULT_VALUES.items():
        if name != "setup_fee":
            assert getattr(equipment, name) == default, name
    assert equipment.setup_fee == Decimal("0.00")


@pytest.mark.parametrize("rate", ["0", "0.1", "12.30", "99999999.99", 7])
def test_good_rates_are_kept_exactly(platform_user, rate):
    equipment = create_equipment(platform_user, GOOD | {"hourly_rate": rate})
    db.session.commit()
    db.session.expire_all()

    assert equipment.hourly_rate == Decimal(str(rate))


@pytest.mark.parametrize("role", ["sme", "admin", "finance"])
def test_only_platform_staff_publish(make_user, role):
    with pytest.raises(Forbidden):
        create_equipment(make_user(role), GOOD)


@pytest.mark.parametrize(("changes", "field"), BAD_VALUES)
def test_invalid_new_instrument_is_refused_and_nothing_written(platform_user, changes, field):
    with pytest.raises(ValidationFailed) as failure:
        create_equipment(platform_user, GOOD | changes)

    assert field in failure.value.fields
    db.session.commit()
    assert count_rows(Equipment) == 0


@pytest.mark.parametrize(("changes", "field"), BAD_VALUES)
def test_invalid_update_is_refused_and_nothing_changes(
    platform_user, make_equipment, changes, field
):
    equipment = make_equipment(platform_user.organization)
    before = equipment_values(equipment)

    with pytest.raises(ValidationFailed) as failure:
        update_equipment(platform_user, equipment, changes)

    assert field in failure.value.fields
    assert not db.session.dirty
    db.session.commit()
    db.session.expire_all()
    assert equipment_values(equipment) == before


def test_update_changes_only_what_is_given(platform_user, make_equipment):
    equipment = make_equipment(platform_user.organization, name="旧名", hourly_rate="300.00")

    update_equipment(platform_user, equipment, {"hourly_rate": "0.10", "active": False})
    db.session.commit()
    db.session.expire_all()

    assert (equipment.name, equipment.hourly_rate, equipment.active) == (
        "旧名",
        Decimal("0.10"),
        False,
    )


@pytest.mark.parametrize("role", ["platform", "sme", "admin"])
def test_only_the_owning_platform_updates(make_user, make_equipment, role):
    equipment = make_equipment(name="原名")

    with pytest.raises(Forbidden):
        update_equipment(make_user(role), equipment, {"name": "抢走"})

    db.session.commit()
    db.session.expire_all()
    assert equipment.name == "原名"


@pytest.fixture
def catalogue(make_org, make_equipment):
    own = make_org("platform", name="本平台")
    other = make_org("platform", name="他平台")
    pending = make_org("platform", name="待审核平台", status=OrganizationStatus.PENDING)
    return {
        "public": make_equipment(other, name="公开的光谱仪", category="spectroscopy"),
        "own public": make_equipment(own, name="自己的显微镜", category="microscopy"),
        "own inactive": make_equipment(own, name="自己维修中", active=False),
        "other inactive": make_equipment(other, name="他人维修中", active=False),
        "pending": make_equipment(pending, name="待审核平台仪器"),
    }


def found(viewer, **filters) -> set[str]:
    return {equipment.name for equipment in db.session.scalars(catalogue_query(viewer, **filters))}


def names(catalogue, *keys) -> set[str]:
    return {catalogue[key].name for key in keys}


@pytest.mark.parametrize(
    ("viewer", "visible"),
    [
        ("anonymous", ("public", "own public")),
        ("sme", ("public", "own public")),
        ("owner", ("public", "own public", "own inactive")),
        ("admin", ("public", "own public", "own inactive", "other inactive", "pending")),
        ("finance", ("public", "own public", "own inactive", "other inactive", "pending")),
    ],
)
def test_catalogue_shows_each_viewer_what_it_may_see(make_user, catalogue, viewer, visible):
    user = {
        "anonymous": lambda: None,
        "sme": lambda: make_user("sme"),
        "owner": lambda: make_user("platform", catalogue["own public"].platform),
        "admin": lambda: make_user("admin"),
        "finance": lambda: make_user("finance"),
    }[viewer]()

    assert found(user) == names(catalogue, *visible)


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"text": "光谱"}, ("public",)),
        ({"text": "  显微镜  "}, ("own public",)),
        ({"text": "不存在"}, ()),
        ({"category": "spectroscopy"}, ("public",)),
        ({"category": "nonsense"}, ()),
        ({"text": "的", "category": "microscopy"}, ("own public",)),
    ],
)
def test_catalogue_filters_by_text_and_category(catalogue, filters, expected):
    assert found(None, **filters) == names(catalogue, *expected)


def test_catalogue_filters_by_platform(make_user, catalogue):
    other_platform = catalogue["public"].platform

    assert found(None, platform_id=other_platform.id) == names(catalogue, "public")
    assert found(make_user("admin"), platform_id=other_platform.id) == names(
        catalogue, "public", "other inactive"
    )


def test_catalogue_text_matches_english_name_model_and_location(make_equipment):
    make_equipment(name="甲", name_en="Bomb Calorimeter")
    make_equipment(name="乙", model="IKA C6000")
    make_equipment(name="丙", location="离石区 101 室")

    assert found(None, text="calorimeter") == {"甲"}
    assert found(None, text="c6000") == {"乙"}
    assert found(None, text="101 室") == {"丙"}
