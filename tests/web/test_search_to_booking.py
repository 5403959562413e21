"""From a "free between … and …" search to a booking: result cards lead to the week of the search
with the window offered for booking, and a search with nothing free suggests the nearest times."""

import html
import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from equipment_share.extensions import db
from equipment_share.services import bookings
from tests.clock import local, next_weekday
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

DAY = next_weekday(2)  # a Wednesday at least a week ahead
WINDOW = {"free_from": f"{DAY}T09:00", "free_to": f"{DAY}T11:00"}
START, END = f"{DAY}T09:00", f"{DAY}T11:00"


def book(sme, equipment, start, end):
    bookings.create_booking(sme, equipment.id, start, end, "test")
    db.session.commit()


def hrefs(response, pattern: str) -> list[str]:
    """The links holding the pattern, as plain text (no HTML or URL escapes)."""
    return [
        unquote(html.unescape(href))
        for href in re.findall(rf'href="([^"]*{pattern}[^"]*)"', response.text)
    ]


def test_a_result_opens_the_week_of_the_search_and_can_be_booked_at_once(client, make_equipment):
    equipment = make_equipment(name="扫描电子显微镜")

    response = client.get("/", query_string=WINDOW)

    assert hrefs(response, "/week") == [f"/equipment/{equipment.id}/week?start={START}&end={END}"]
    assert hrefs(response, "/book") == [f"/equipment/{equipment.id}/book?start={START}&end={END}"]


def test_without_a_window_a_result_opens_the_instrument(client, make_equipment):
    equipment = make_equipment()

    response = client.get("/")

    assert f'class="card-link" href="/equipment/{equipment.id}"' in response.text
    assert "Book this window" not in response.text


def test_only_those_who_may_book_see_the_booking_button(client, make_user, login, make_equipment):
    make_equipment()
    login(make_user("platform"))

    response = client.get("/", query_string=WINDOW)

    assert "/week?" in response.text
    assert "Book this window" not in response.text


def test_the_week_of_the_window_offers_it_for_booking(client, make_equipment):
    equipment = make_equipment(hourly_rate="300.00")

    response = client.get(
        f"/equipment/{equipment.id}/week", query_string={"start": START, "end": END}
    )

    text = page_text(response)
    assert response.status_code == 200
    assert 'id="selected-window"' in text
    assert "120 minutes" in text
    assert "¥600.00" in text
    assert f"/equipment/{equipment.id}/book?start={START}&end={END}" in hrefs(response, "/book")
    # the week shown is the window's (Monday to Sunday around it)
    monday = DAY - timedelta(days=DAY.weekday())
    assert f"{monday:%Y-%m-%d} – {monday + timedelta(days=6):%Y-%m-%d}" in text


def test_a_window_taken_meanwhile_says_why_and_offers_no_booking(client, make_equipment, make_user):
    equipment = make_equipment()
    book(make_user("sme"), equipment, local(DAY, 10), local(DAY, 12))

    response = client.get(
        f"/equipment/{equipment.id}/week", query_string={"start": START, "end": END}
    )

    text = page_text(response)
    assert "This time is not free: part of it is booked, or not offered." in text
    assert 'id="book-window"' not in text


@pytest.mark.parametrize(
    "query",
    [
        {"start": START},
        {"start": START, "end": START},
        {"start": END, "end": START},
        {"start": "tomorrow", "end": END},
        {"start": "9999-12-31T23:00", "end": "9999-12-31T23:30"},
        {"start": START, "end": f"{DAY + timedelta(days=30)}T11:00"},
    ],
)
def test_odd_windows_show_the_week_without_a_box(client, make_equipment, query):
    equipment = make_equipment()

    response = client.get(f"/equipment/{equipment.id}/week", query_string=query)

    assert response.status_code == 200
    assert 'id="selected-window"' not in response.text


def test_a_search_with_nothing_free_suggests_the_nearest_free_times(
    client, make_equipment, make_user
):
    sme = make_user("sme")
    sem = make_equipment(name="扫描电子显微镜", category="microscopy", keywords=["SEM"])
    book(sme, sem, local(DAY, 9), local(DAY, 11))
    similar = make_equipment(name="金相显微镜", category="microscopy")

    response = client.get("/", query_string={"q": "SEM"} | WINDOW)

    text = page_text(response)
    assert "No instrument is free for the whole time." in text
    assert 'id="suggestions-same-day"' in text
    assert f"{DAY:%Y-%m-%d} Wed 11:00 – 13:00" in text
    next_day = DAY + timedelta(days=1)
    assert f"{next_day:%Y-%m-%d} Thu 09:00 – 11:00" in text
    assert f"/equipment/{sem.id}/week?start={DAY}T11:00&end={DAY}T13:00" in hrefs(response, "/week")
    assert f"/equipment/{similar.id}/book?start={START}&end={END}" in hrefs(response, "/book")


def test_no_suggestions_when_something_is_free_or_nothing_matches(client, make_equipment):
    make_equipment(keywords=["XRD"])

    free = client.get("/", query_string={"q": "XRD"} | WINDOW)
    unknown = client.get("/", query_string={"q": "没有这种仪器"} | WINDOW)

    assert 'id="suggestions"' not in free.text
    assert 'id="suggestions"' not in unknown.text
