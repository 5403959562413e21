"""Keywords on the pages: the platform types them in one box; the catalogue finds by them."""

import pytest

from equipment_share.extensions import db
from equipment_share.models import Equipment
from tests.web.conftest import page_text
from tests.web.test_manage import PUBLISHED, form_data

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture
def platform_user(make_user, login):
    user = make_user("platform")
    login(user)
    return user


def test_platform_publishes_keywords_typed_in_one_box(client, platform_user):
    response = client.post(
        "/manage/equipment/new",
        data=PUBLISHED | {"keywords": "SEM，扫描电镜、 扫描电子显微镜, sem"},
    )

    assert response.status_code == 302
    equipment = db.session.scalars(db.select(Equipment)).one()
    assert equipment.keywords == ["SEM", "扫描电镜", "扫描电子显微镜"]


def test_the_edit_form_shows_the_keywords_and_keeps_them_on_save(
    client, platform_user, make_equipment
):
    equipment = make_equipment(platform_user.organization, keywords=["SEM", "扫描电镜"])

    page = page_text(client.get(f"/manage/equipment/{equipment.id}"))
    saved = client.post(f"/manage/equipment/{equipment.id}", data=form_data(equipment))

    assert 'value="SEM, 扫描电镜"' in page
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).keywords == ["SEM", "扫描电镜"]


def test_a_keyword_too_long_is_shown_on_the_form_and_nothing_changes(
    client, platform_user, make_equipment
):
    equipment = make_equipment(platform_user.organization, keywords=["SEM"])

    response = client.post(
        f"/manage/equipment/{equipment.id}", data=form_data(equipment, keywords="x" * 51)
    )

    assert response.status_code == 200
    assert "A keyword has at most 50 characters." in page_text(response)
    db.session.expire_all()
    assert db.session.get(Equipment, equipment.id).keywords == ["SEM"]


@pytest.mark.parametrize("text", ["SEM", "扫描电镜", "扫描电子显微镜"])
def test_the_catalogue_finds_an_instrument_by_any_keyword(client, make_equipment, text):
    make_equipment(name="场发射电镜 Sigma 300", keywords=["SEM", "扫描电镜", "扫描电子显微镜"])
    make_equipment(name="透射电镜", keywords=["TEM"])

    page = page_text(client.get("/", query_string={"q": text}))

    assert "场发射电镜 Sigma 300" in page
    assert "透射电镜" not in page
