"""The schedule page: rows and bars as links, what each viewer reads, its filters and dates, and
the generated stylesheet that places the bars."""

import importlib.util
import re

import pytest

from equipment_share import PROJECT_ROOT
from equipment_share.extensions import db
from equipment_share.services import bookings
from tests.clock import local, next_weekday, today
from tests.web.conftest import page_text

TUESDAY = next_weekday(1)
BAR = re.compile(r'<(a|span) class="bar (\w+)[^"]*"[^>]*>')


@pytest.fixture
def world(make_org, make_user, make_equipment):
    class World:
        platform = make_org("platform", name="煤炭平台", name_en="Coal platform")
        equipment = make_equipment(platform, name="量热仪", name_en="Calorimeter")
        sme_a = make_user("sme", make_org("sme", name="华晟化工"))
        sme_b = make_user("sme", make_org("sme", name="汾阳焦化"))
        staff = make_user("platform", platform)

    booking = bookings.create_booking(
        World.sme_a, World.equipment.id, local(TUESDAY, 10), local(TUESDAY, 12), "试验"
    )
    db.session.commit()
    World.booking = booking
    return World


def kinds(response) -> list[str]:
    return [match.group(2) for match in BAR.finditer(response.get_data(as_text=True))]


def test_a_visitor_sees_free_and_busy_bars_and_free_ones_lead_to_the_booking_form(client, world):
    response = client.get(f"/schedule?date={TUESDAY}")

    assert response.status_code == 200
    assert kinds(response) == ["free", "free", "busy"]
    text = page_text(response)
    assert (
        f'href="/equipment/{world.equipment.id}/book?start={TUESDAY}T08:00&end={TUESDAY}T08:30"'
        in text
    )
    assert f'href="/equipment/{world.equipment.id}/week?start={TUESDAY}"' in text
    assert "华晟化工" not in text
    assert 'class="bar free c-32 s-8"' in text and 'class="bar busy c-40 s-8"' in text


def test_the_enterprise_sees_its_booking_with_its_status(client, login, english, world):
    login(world.sme_a)

    response = client.get(f"/schedule?date={TUESDAY}")

    assert kinds(response) == ["free", "free", "mine"]
    text = page_text(response)
    assert f'href="/bookings/{world.booking.id}"' in text
    assert ">pending approval</a>" in text


def test_another_enterprise_sees_busy_time_only(client, login, world):
    login(world.sme_b)

    response = client.get(f"/schedule?date={TUESDAY}")

    assert kinds(response) == ["free", "free", "busy"]
    text = page_text(response)
    assert "华晟化工" not in text
    assert f"/bookings/{world.booking.id}" not in text


def test_the_platform_sees_who_booked_and_books_nothing(client, login, world):
    login(world.staff)

    response = client.get(f"/schedule?date={TUESDAY}")

    assert kinds(response) == ["free", "free", "booked"]
    text = page_text(response)
    assert ">华晟化工</a>" in text
    assert "/book?" not in text  # only enterprises book


def test_names_from_users_are_escaped(client, login, world, make_org, make_user):
    booker = make_user("sme", make_org("sme", name='A&B <img src=x onerror="alert(1)">'))
    bookings.create_booking(booker, world.equipment.id, local(TUESDAY, 14), local(TUESDAY, 15))
    db.session.commit()
    login(world.staff)

    raw = client.get(f"/schedule?date={TUESDAY}").get_data(as_text=True)

    assert "<img" not in raw
    assert ">A&amp;B &lt;img src=x onerror=&#34;alert(1)&#34;&gt;</a>" in raw


def test_english_names_and_a_week_of_hours(client, english, world):
    response = client.get(f"/schedule?date={TUESDAY}&span=week")

    text = page_text(response)
    assert "Calorimeter" in text and "Coal platform" in text
    assert 'class="sched sched-week"' in text
    assert 'class="bar busy c-34 s-2"' in text  # Tuesday 10:00, two hours
    monday = TUESDAY.toordinal() - 1
    assert f"date={TUESDAY.fromordinal(monday + 7)}" in text  # next week


@pytest.mark.parametrize(
    "query",
    [
        "date=not-a-date",
        "date=1900-01-01",
        "span=month",
        "category=no-such",
        "platform_id=99999999999",
        "page=-3",
        "page=999999",
    ],
)
def test_odd_arguments_show_a_sensible_schedule(client, world, query):
    response = client.get(f"/schedule?{query}")

    assert response.status_code == 200
    assert f'id="row-{world.equipment.id}"' in page_text(response)


def test_wrong_dates_fall_back_to_today(client, world):
    response = client.get("/schedule?date=1900-01-01")

    assert f'name="date" value="{today()}"' in page_text(response)


def test_filters_by_platform_and_category(client, world, make_equipment, make_org):
    other = make_equipment(make_org("platform"), category="spectroscopy")

    by_platform = page_text(client.get(f"/schedule?platform_id={world.platform.id}"))
    by_category = page_text(client.get("/schedule?category=spectroscopy"))

    assert f'id="row-{world.equipment.id}"' in by_platform
    assert f'id="row-{other.id}"' not in by_platform
    assert f'id="row-{other.id}"' in by_category
    assert f'id="row-{world.equipment.id}"' not in by_category


def test_the_navigation_and_the_catalogue_link_to_the_schedule(client, world):
    text = page_text(client.get("/"))

    assert (
        'id="nav-schedule" href="/schedule"' in text or 'href="/schedule" id="nav-schedule"' in text
    )
    assert 'id="catalogue-schedule"' in text


def test_the_grid_stylesheet_is_generated_from_the_axis_constants():
    path = PROJECT_ROOT / "scripts" / "schedule_css.py"
    spec = importlib.util.spec_from_file_location("schedule_css", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    written = (PROJECT_ROOT / "static" / "css" / "schedule-grid.css").read_text()

    assert written == module.stylesheet(), "run: python scripts/schedule_css.py"
    assert ".c-167 { grid-column-start: 169; }" in written
    assert ".s-168 { grid-column-end: span 168; }" in written
