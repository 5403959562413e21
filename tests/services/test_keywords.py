"""An instrument's keywords: kept by the service, and found by the catalogue search that the
pages and the API share."""

import pytest

from equipment_share.domain.errors import ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import Equipment
from equipment_share.services.catalogue import search_catalogue
from equipment_share.services.equipment import create_equipment, update_equipment
from tests.conftest import count_rows

SEM = {
    "name": "场发射扫描电子显微镜",
    "category": "microscopy",
    "hourly_rate": "800.00",
    "keywords": ["SEM", "扫描电镜", "扫描电子显微镜"],
}


def found(text: str) -> set[str]:
    return {item.name for item in db.session.scalars(search_catalogue(None, text=text))}


def test_keywords_are_stored_cleaned_and_read_back_as_a_list(platform_user):
    equipment = create_equipment(
        platform_user, SEM | {"keywords": [" SEM ", "sem", "", "扫描电镜"]}
    )
    db.session.commit()
    db.session.expire_all()

    assert db.session.get(Equipment, equipment.id).keywords == ["SEM", "扫描电镜"]


def test_an_instrument_without_keywords_has_an_empty_list(platform_user):
    equipment = create_equipment(platform_user, SEM | {"keywords": None})
    db.session.commit()

    assert equipment.keywords == []


@pytest.mark.parametrize("text", ["SEM", "sem", "扫描电镜", "扫描电子显微镜"])
def test_any_keyword_finds_the_instrument(platform_user, make_equipment, text):
    create_equipment(platform_user, SEM)
    make_equipment(name="透射电子显微镜", category="microscopy", keywords=["TEM", "透射电镜"])
    db.session.commit()

    assert found(text) == {SEM["name"]}


def test_keywords_are_matched_as_text_not_as_patterns(platform_user):
    create_equipment(platform_user, SEM | {"keywords": ["100%_pure"]})
    create_equipment(platform_user, SEM | {"name": "other", "keywords": ["100x pure"]})
    db.session.commit()

    assert found("100%_") == {SEM["name"]}


def test_changed_keywords_replace_the_old_ones(platform_user):
    equipment = create_equipment(platform_user, SEM)
    db.session.commit()

    update_equipment(platform_user, equipment, {"keywords": ["EDS"]})
    db.session.commit()

    assert found("EDS") == {SEM["name"]}
    assert found("扫描电镜") == set()


@pytest.mark.parametrize(
    "keywords", [["x" * 51], ["SEM, TEM"], [f"k{n}" for n in range(21)], "SEM", [3]]
)
def test_bad_keywords_are_refused_and_nothing_is_written(platform_user, keywords):
    with pytest.raises(ValidationFailed) as failure:
        create_equipment(platform_user, SEM | {"keywords": keywords})
    db.session.rollback()

    assert set(failure.value.fields) == {"keywords"}
    assert count_rows(Equipment) == 0


def test_a_bad_keyword_on_update_changes_nothing(platform_user):
    equipment = create_equipment(platform_user, SEM)
    db.session.commit()

    with pytest.raises(ValidationFailed):
        update_equipment(platform_user, equipment, {"keywords": ["a;b"]})
    db.session.rollback()

    assert db.session.get(Equipment, equipment.id).keywords == SEM["keywords"]
