"""The public catalogue: search, instrument pages, who sees what, and the language switch."""

import re

import pytest
from flask_babel import force_locale, gettext

from equipment_share.extensions import db
from equipment_share.i18n import LANGUAGE_COOKIE
from equipment_share.models import OrganizationStatus, User
from tests.clock import next_weekday
from tests.web.conftest import page_text

ENGLISH_NAV = re.compile(r'<nav class="mainnav"[^>]*>\s*<a href="/">Instruments</a>')


@pytest.fixture
def instruments(make_org, make_equipment):
    coal = make_org("platform", name="煤炭平台", name_en="Coal centre")
    foundry = make_org("platform", name="铸造平台", name_en="Foundry institute")
    return {
        "sem": make_equipment(
            coal,
            name="扫描电子显微镜",
            name_en="Scanning electron microscope",
            category="microscopy",
            model="ZEISS Sigma 300",
        ),
        "calorimeter": make_equipment(
            coal,
            name="氧弹量热仪",
            name_en="Bomb calorimeter",
            category="thermal_analysis",
            location="离石区滨河北中路",
        ),
        "spectrometer": make_equipment(
            foundry,
            name="直读光谱仪",
            name_en="Spark spectrometer",
            category="spectroscopy",
            description="适合铸铁和铸钢的成分分析",
        ),
    }


def listed(response) -> set[int]:
    """Ids of the instruments on a catalogue page (a card links to the instrument, or to its
    week at the searched window)."""
    assert response.status_code == 200
    return {
        int(number)
        for number in re.findall(r'class="card-link" href="/equipment/(\d+)[/"]', response.text)
    }


def ids(instruments, *names) -> set[int]:
    return {instruments[name].id for name in names}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ("sem", "calorimeter", "spectrometer")),
        ("显微镜", ("sem",)),
        ("sigma", ("sem",)),  # model, any case
        ("BOMB", ("calorimeter",)),  # English name, any case
        ("滨河", ("calorimeter",)),  # location
        ("铸钢", ("spectrometer",)),  # description
        ("nothing like this", ()),
    ],
)
def test_catalogue_searches_text(client, instruments, query, expected):
    assert listed(client.get("/", query_string={"q": query})) == ids(instruments, *expected)


def test_catalogue_filters_by_category(client, instruments):
    response = client.get("/", query_string={"category": "thermal_analysis"})

    assert listed(response) == ids(instruments, "calorimeter")


def test_catalogue_filters_by_platform(client, instruments):
    coal = instruments["sem"].platform

    response = client.get("/", query_string={"platform_id": coal.id})

    assert listed(response) == ids(instruments, "sem", "calorimeter")
    assert re.search(rf'<option value="{coal.id}" selected>', response.text)


def test_catalogue_combines_filters(client, instruments):
    coal = instruments["sem"].platform
    query = {"platform_id": coal.id, "category": "microscopy", "q": "ZEISS"}

    assert listed(client.get("/", query_string=query)) == ids(instruments, "sem")
    query["category"] = "spectroscopy"
    assert listed(client.get("/", query_string=query)) == set()


@pytest.fixture
def hidden(make_org, make_equipment):
    """An inactive instrument, and an active one of a platform still waiting for approval."""
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    return {
        "inactive": make_equipment(name="维修中的仪器", active=False),
        "pending": make_equipment(pending, name="待审核平台的仪器"),
    }


@pytest.mark.parametrize("viewer", ["anonymous", "sme", "other platform"])
def test_hidden_instruments_are_not_listed_or_shown(
    client, make_user, login, make_equipment, hidden, viewer
):
    public = make_equipment(name="公开仪器")
    if viewer != "anonymous":
        login(make_user("platform" if viewer == "other platform" else "sme"))

    assert listed(client.get("/")) == {public.id}
    for equipment in hidden.values():
        assert client.get(f"/equipment/{equipment.id}").status_code == 404


def test_owner_sees_its_inactive_instrument(client, make_user, login, hidden):
    equipment = hidden["inactive"]
    login(make_user("platform", equipment.platform))

    assert equipment.id in listed(client.get("/"))
    assert client.get(f"/equipment/{equipment.id}").status_code == 200


def test_admin_sees_every_instrument(client, make_user, login, hidden):
    login(make_user("admin"))

    assert listed(client.get("/")) == {equipment.id for equipment in hidden.values()}
    for equipment in hidden.values():
        assert client.get(f"/equipment/{equipment.id}").status_code == 200


def test_instrument_page_shows_rate_card_and_rules(client, english, make_equipment):
    equipment = make_equipment(
        name="工业分析仪",
        hourly_rate="1234.50",
        setup_fee="50.00",
        slot_minutes=30,
        min_booking_minutes=60,
        max_booking_minutes=480,
    )

    text = page_text(client.get(f"/equipment/{equipment.id}"))

    assert "工业分析仪" in text
    assert "¥1,234.50" in text
    assert "¥50.00" in text
    assert "60 to 480 minutes" in text
    assert "08:00–20:00" in text  # the default idle time, every day


@pytest.mark.parametrize(
    "url",
    [
        "/?platform_id=abc",
        "/?platform_id=-1",
        "/?platform_id=99999999999999999999",
        "/?category=nonsense",
        "/?page=abc",
        "/?page=-3",
        "/?page=9999",
        "/?q=%25",
        "/?q=%27%20OR%201%3D1%20--",
        "/?q=" + "x" * 5000,
        "/login?next=https://evil.example/",
    ],
)
def test_odd_queries_do_not_break_the_catalogue(client, make_equipment, url):
    make_equipment()

    response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "url",
    ["/equipment/99999", "/equipment/abc", "/equipment/99999/photo", "/no-such-page"],
)
def test_unknown_pages_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_instrument_without_photo_has_no_photo(client, make_equipment):
    equipment = make_equipment()

    assert client.get(f"/equipment/{equipment.id}/photo").status_code == 404


def test_hidden_instruments_photo_is_not_served(client, make_equipment, app, tmp_path):
    equipment = make_equipment(active=False, photo_filename="secret.png")
    (tmp_path / "uploads").mkdir()
    (tmp_path / "uploads" / "secret.png").write_bytes(b"\x89PNG\r\n\x1a\n")

    assert client.get(f"/equipment/{equipment.id}/photo").status_code == 404


def translations_compiled(app) -> bool:
    with force_locale(app.config["BABEL_DEFAULT_LOCALE"]):
        return gettext("Instruments") != "Instruments"


def test_language_switch_sets_a_cookie_and_the_next_page_is_english(client, app):
    default = client.get("/").text
    assert '<html lang="zh-CN">' in default
    if translations_compiled(app):
        assert not ENGLISH_NAV.search(default)

    response = client.post("/language/en", data={"next": "/?q=abc"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/?q=abc"
    cookie = client.get_cookie(LANGUAGE_COOKIE)
    assert cookie.value == "en"
    assert cookie.http_only
    english = client.get("/").text
    assert '<html lang="en">' in english
    assert ENGLISH_NAV.search(english)

    client.post("/language/zh_CN")
    assert '<html lang="zh-CN">' in client.get("/").text


def test_unknown_language_changes_nothing(client):
    response = client.post("/language/fr")

    assert response.status_code == 302
    assert client.get_cookie(LANGUAGE_COOKIE) is None


def test_language_is_remembered_on_the_account(client, make_user, login):
    user = make_user("sme")
    login(user)

    client.post("/language/en")
    client.delete_cookie(LANGUAGE_COOKIE)

    assert db.session.get(User, user.id).locale == "en"
    assert '<html lang="en">' in client.get("/").text


def test_language_switch_is_post_only(client):
    assert client.get("/language/en").status_code == 405


@pytest.mark.parametrize(
    "url",
    [
        "/equipment/99999999999999999999",
        "/equipment/99999999999999999999/photo",
        "/equipment/-1",
    ],
)
def test_ids_no_row_can_have_are_not_found(client, url):
    assert client.get(url).status_code == 404


def test_catalogue_pages_keep_the_filters(client, make_org, make_equipment):
    platform = make_org("platform")
    for number in range(25):
        make_equipment(platform, name=f"GC-MS {number:02d}", weekly=[])

    first = client.get(f"/?q=GC-MS&platform_id={platform.id}").text
    assert first.count('<article class="card') == 24
    next_link = re.search(r'<a href="([^"]+)">[^<]*→</a>', first).group(1).replace("&amp;", "&")
    assert "page=2" in next_link and "q=GC-MS" in next_link

    second = client.get(next_link).text
    assert second.count('<article class="card') == 1
    assert "GC-MS 24" in second


@pytest.mark.parametrize(
    ("query", "expected"),
    [("%", {"percent"}), ("_", {"underscore"}), ("100%", {"percent"}), ("a_b", {"underscore"})],
)
def test_catalogue_text_search_takes_percent_and_underscore_literally(
    client, make_equipment, query, expected
):
    named = {
        "percent": make_equipment(name="纯度 100% 分析仪"),
        "underscore": make_equipment(name="Model a_b"),
        "plain": make_equipment(name="Model axb"),
    }

    found = listed(client.get("/", query_string={"q": query}))

    assert found == {named[name].id for name in expected}


@pytest.mark.parametrize("viewer", ["admin", "finance", "owner"])
def test_free_search_never_lists_instruments_closed_for_booking(
    client, make_user, login, make_equipment, hidden, viewer
):
    """Admin and finance see every instrument, a platform its own inactive ones; none of those
    closed for booking is free, on the page as in the API."""
    bookable = make_equipment(name="可预约仪器")
    owner = hidden["inactive"].platform
    login(make_user("platform", owner) if viewer == "owner" else make_user(viewer))
    day = next_weekday(1)
    window = {"free_from": f"{day}T10:00", "free_to": f"{day}T12:00"}

    assert hidden["inactive"].id in listed(client.get("/"))
    assert listed(client.get("/", query_string=window)) == {bookable.id}
