"""When instruments are free: an instrument's free and busy time, and the catalogue's search for
instruments free throughout a window (free_from/free_to).

Dates are next week's weekdays at fixed local times; make_equipment's instruments are idle
Mon-Sun 08:00-20:00 Asia/Shanghai.
"""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import event

from equipment_share.extensions import db
from equipment_share.models import MaintenanceBlock, OrganizationStatus, ProductionRun
from equipment_share.services import bookings, idle_spans
from tests.clock import SHANGHAI, at, local, next_weekday

TUESDAY = next_weekday(1)
WEDNESDAY = TUESDAY + timedelta(days=1)


def span(day: date, start_hour: int, end_hour: int) -> dict:
    return {"start": at(day, start_hour), "end": at(day, end_hour)}


def book(user, equipment, start_hour, end_hour, day=TUESDAY):
    booking = bookings.create_booking(
        user, equipment.id, local(day, start_hour), local(day, end_hour), "set-up"
    )
    db.session.commit()
    return booking


@pytest.fixture
def headers(sme_user, api_headers):
    return api_headers(sme_user)


@pytest.fixture
def equipment(make_equipment):
    return make_equipment()


def availability(client, equipment, headers, **query):
    return client.get(
        f"/api/v1/equipment/{equipment.id}/availability", query_string=query, headers=headers
    )


# --- one instrument's free and busy time ----------------------------------------------------


def test_an_idle_day_is_free_and_not_busy(client, headers, equipment):
    response = availability(
        client, equipment, headers, **{"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)}
    )

    assert response.status_code == 200
    assert response.get_json() == {"free": [span(TUESDAY, 8, 20)], "busy": []}


def test_a_booking_is_busy_and_no_longer_free(client, headers, sme_user, equipment):
    book(sme_user, equipment, 10, 12)

    response = availability(
        client, equipment, headers, **{"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)}
    )

    assert response.get_json() == {
        "free": [span(TUESDAY, 8, 10), span(TUESDAY, 12, 20)],
        "busy": [span(TUESDAY, 10, 12)],
    }


def test_a_cancelled_booking_frees_its_time_again(client, headers, sme_user, equipment):
    bookings.cancel(sme_user, book(sme_user, equipment, 10, 12), "plans changed")
    db.session.commit()

    response = availability(
        client, equipment, headers, **{"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)}
    )

    assert response.get_json() == {"free": [span(TUESDAY, 8, 20)], "busy": []}


@pytest.mark.parametrize("table", [ProductionRun, MaintenanceBlock])
def test_production_and_maintenance_are_busy(client, headers, equipment, table):
    db.session.add(
        table(equipment_id=equipment.id, start_at=local(TUESDAY, 13), end_at=local(TUESDAY, 15))
    )
    db.session.commit()

    body = availability(
        client, equipment, headers, **{"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)}
    ).get_json()

    assert body == {
        "free": [span(TUESDAY, 8, 13), span(TUESDAY, 15, 20)],
        "busy": [span(TUESDAY, 13, 15)],
    }


def test_the_window_clips_free_time(client, headers, equipment):
    body = availability(
        client, equipment, headers, **{"from": at(TUESDAY, 9), "to": at(TUESDAY, 11)}
    ).get_json()

    assert body["free"] == [span(TUESDAY, 9, 11)]


def test_without_to_the_window_is_a_week_from_from(client, headers, equipment):
    body = availability(client, equipment, headers, **{"from": at(TUESDAY, 0)}).get_json()

    days = [TUESDAY + timedelta(days=offset) for offset in range(7)]
    assert body["free"] == [span(day, 8, 20) for day in days]


def test_without_a_window_it_is_the_coming_week(client, headers, equipment):
    before = datetime.now(SHANGHAI)
    body = availability(client, equipment, headers).get_json()
    after = datetime.now(SHANGHAI)

    free = [
        (datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"]))
        for item in body["free"]
    ]
    assert 7 <= len(free) <= 8  # a week of 08:00-20:00, the first or last day maybe cut
    assert free[0][0] >= before - timedelta(minutes=1)
    assert free[-1][1] <= after + timedelta(days=7)
    assert free[-1][1] >= before + timedelta(days=6)


def test_offset_less_times_are_read_in_the_deployment_zone(client, headers, equipment):
    body = availability(
        client,
        equipment,
        headers,
        **{"from": f"{TUESDAY.isoformat()}T09:00", "to": f"{TUESDAY.isoformat()}T03:00:00Z"},
    ).get_json()

    assert body["free"] == [span(TUESDAY, 9, 11)]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": at(TUESDAY, 12), "to": at(TUESDAY, 12)}, "to"),
        ({"from": at(TUESDAY, 12), "to": at(TUESDAY, 10)}, "to"),
        ({"from": at(TUESDAY, 0), "to": at(TUESDAY + timedelta(days=31), 1)}, "to"),
        ({"to": at(date(2020, 1, 1), 0)}, "to"),  # before now, the default from
        ({"from": "next week"}, "from"),
        ({"to": "2026-13-01T00:00"}, "to"),
    ],
)
def test_a_bad_window_is_a_validation_error(client, headers, equipment, query, field):
    response = availability(client, equipment, headers, **query)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {field}


def test_a_window_of_31_days_is_allowed(client, headers, equipment):
    response = availability(
        client,
        equipment,
        headers,
        **{"from": at(TUESDAY, 0), "to": at(TUESDAY + timedelta(days=31), 0)},
    )

    assert response.status_code == 200
    assert len(response.get_json()["free"]) == 31


def test_an_unknown_query_parameter_is_a_bad_request(client, headers, equipment):
    response = availability(client, equipment, headers, until=at(TUESDAY, 0))

    assert response.status_code == 400
    assert "until" in response.get_json()["error"]["details"]["fields"]


@pytest.mark.parametrize("role", ["sme", "platform", "admin", "finance"])
def test_anyone_who_sees_the_instrument_sees_its_availability(
    client, make_user, api_headers, equipment, role
):
    response = availability(client, equipment, api_headers(make_user(role)))

    assert response.status_code == 200


def test_an_invisible_instrument_has_no_availability(
    client, headers, make_user, api_headers, make_equipment
):
    hidden = make_equipment(active=False)

    assert availability(client, hidden, headers).status_code == 404
    owner = api_headers(make_user("platform", hidden.platform))
    assert availability(client, hidden, owner).status_code == 200
    assert availability(client, hidden, api_headers(make_user("admin"))).status_code == 200
    other_platform = api_headers(make_user("platform"))
    assert availability(client, hidden, other_platform).status_code == 404


@pytest.mark.parametrize("window", ["given", "default"])
@pytest.mark.parametrize("active", [True, False], ids=["public", "hidden"])
def test_availability_loads_no_user_beyond_the_token_check(
    client, make_user, api_headers, make_equipment, window, active
):
    """Looking needs the token check's role and organisation only (a public instrument's week
    at national scale paid a second statement for the User)."""
    equipment = make_equipment(active=active)
    headers = api_headers(make_user("platform", equipment.platform))
    query = {"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)} if window == "given" else {}
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert availability(client, equipment, headers, **query).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    assert len([statement for statement in seen if "users" in statement]) == 1  # the token's


@pytest.mark.parametrize("window", ["given", "default"])
@pytest.mark.parametrize("active", [True, False], ids=["public", "hidden"])
def test_the_instrument_is_read_with_its_platform_and_idle_windows(
    client, make_user, api_headers, make_equipment, window, active
):
    """Not cached, a week is the token check, the fingerprint (for a given window), the
    instrument with its platform and idle windows in one statement, and the blocks: at national
    scale each lazy load of the platform or the windows was a round trip of its own."""
    equipment = make_equipment(active=active)
    headers = api_headers(make_user("platform", equipment.platform))
    query = {"from": at(TUESDAY, 0), "to": at(WEDNESDAY, 0)} if window == "given" else {}
    url = f"/api/v1/equipment/{equipment.id}/availability"
    db.session.commit()
    db.session.expunge_all()  # as in a worker: nothing of the instrument's loaded yet
    seen = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        assert client.get(url, query_string=query, headers=headers).status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", note)

    reads = [statement for statement in seen if statement.startswith("SELECT")]
    assert len(reads) == (4 if window == "given" else 3), reads
    assert not [read for read in reads if read.startswith(("SELECT organizations", "SELECT idle"))]


# --- the catalogue: instruments free throughout a window ------------------------------------


@pytest.fixture(params=["expanded", "spans"])
def free_search(request, app):
    """Each free search runs both ways: expanding the idle windows, and from the idle spans (made
    as the test's instruments are, by the session hook, once a coverage exists)."""
    if request.param == "spans":
        idle_spans.refresh_all()
    return request.param


def catalogue_ids(client, headers, **query) -> list[int]:
    response = client.get("/api/v1/equipment", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def free_window(day=TUESDAY, start_hour=10, end_hour=12) -> dict:
    return {"free_from": at(day, start_hour), "free_to": at(day, end_hour)}


def test_only_instruments_free_throughout_the_window_are_listed(
    free_search, client, headers, sme_user, make_org, make_equipment
):
    platform, other_platform = make_org("platform"), make_org("platform")
    free = make_equipment(platform)
    elsewhere = make_equipment(other_platform)
    booked_inside = make_equipment(platform)
    book(sme_user, booked_inside, 10, 11)
    booked_before = make_equipment(platform)
    book(sme_user, booked_before, 8, 10)  # ends as the window starts
    mornings_only = make_equipment(platform, weekly=[((0, 1, 2, 3, 4, 5, 6), time(8), time(11))])
    evenings_only = make_equipment(platform, weekly=[((0, 1, 2, 3, 4, 5, 6), time(12), time(20))])
    two_touching_windows = make_equipment(
        platform,
        weekly=[((1,), time(8), time(11)), ((1,), time(11), time(14))],
    )

    ids = catalogue_ids(client, headers, **free_window())

    assert ids == [free.id, elsewhere.id, booked_before.id, two_touching_windows.id]
    assert mornings_only.id not in ids and evenings_only.id not in ids
    assert booked_inside.id not in ids
    everything = catalogue_ids(client, headers)
    assert {booked_inside.id, mornings_only.id, evenings_only.id} <= set(everything)


def test_a_booking_across_the_whole_window_excludes_the_instrument(
    free_search, client, headers, sme_user, make_equipment
):
    booked = make_equipment()
    book(sme_user, booked, 9, 13)
    free = make_equipment()

    assert catalogue_ids(client, headers, **free_window()) == [free.id]


def test_the_free_search_combines_with_the_other_filters_and_pages(
    free_search, client, headers, make_org, make_equipment
):
    platform = make_org("platform")
    gcs = [make_equipment(platform, category="chromatography") for _ in range(3)]
    make_equipment(platform, category="microscopy")
    make_equipment(category="chromatography")  # another platform

    response = client.get(
        "/api/v1/equipment",
        query_string=free_window()
        | {"category": "chromatography", "platform_id": platform.id, "per_page": 2, "page": 2},
        headers=headers,
    )

    body = response.get_json()
    assert (body["total"], body["page"], body["per_page"]) == (3, 2, 2)
    assert [item["id"] for item in body["items"]] == [gcs[2].id]


def test_the_free_search_pages_and_counts_exactly_what_it_lists(
    free_search, client, headers, sme_user, make_org, make_equipment
):
    """The page and the total are separate statements (one probe per instrument for a page; the
    window's spans at once for the total, less the instruments closed for booking and the busy
    ones): they must agree on every page, with instruments busy in each table, idle elsewhere,
    inactive or of a platform not approved between the free ones."""
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    listed = []
    for number in range(13):
        equipment = make_equipment(
            pending if number == 11 else None,
            active=number != 7,
            weekly=[((0, 1, 2, 3, 4, 5, 6), time(8), time(11))] if number == 5 else None,
        )
        if number in (1, 9):
            book(sme_user, equipment, 11, 13)
        if number in (2, 9):
            table = ProductionRun if number == 2 else MaintenanceBlock
            db.session.add(
                table(
                    equipment_id=equipment.id,
                    start_at=local(TUESDAY, 9),
                    end_at=local(TUESDAY, 10, 30),
                )
            )
            db.session.commit()
        if number not in (1, 2, 5, 7, 9, 11):
            listed.append(equipment.id)

    pages = [
        client.get(
            "/api/v1/equipment",
            query_string=free_window() | {"per_page": 3, "page": page},
            headers=headers,
        ).get_json()
        for page in (1, 2, 3, 4)
    ]

    assert [body["total"] for body in pages] == [7, 7, 7, 7]
    assert [item["id"] for body in pages for item in body["items"]] == listed
    assert [len(body["items"]) for body in pages] == [3, 3, 1, 0]


def test_a_window_exactly_on_an_idle_span_is_free_and_one_past_it_is_not(
    free_search, client, headers, make_equipment
):
    """The probe takes the last span starting at or before the window: starting with it and
    ending with it are both inside; a window starting in one day's span and ending in the next
    day's is not (the night between is not idle)."""
    daily = make_equipment()

    assert catalogue_ids(client, headers, **free_window(start_hour=8, end_hour=20)) == [daily.id]
    assert catalogue_ids(client, headers, **free_window(start_hour=7, end_hour=9)) == []
    assert catalogue_ids(client, headers, **free_window(start_hour=19, end_hour=21)) == []
    overnight = {"free_from": at(TUESDAY, 19), "free_to": at(WEDNESDAY, 9)}
    assert catalogue_ids(client, headers, **overnight) == []
    body = client.get(
        "/api/v1/equipment", query_string=free_window(start_hour=8, end_hour=20), headers=headers
    ).get_json()
    assert body["total"] == 1


def test_a_platform_finds_only_its_bookable_instruments_free(
    client, make_user, api_headers, make_equipment
):
    platform_user = make_user("platform")
    own_active = make_equipment(platform_user.organization)
    own_inactive = make_equipment(platform_user.organization, active=False)
    headers = api_headers(platform_user)

    assert own_inactive.id in catalogue_ids(client, headers)
    assert catalogue_ids(client, headers, **free_window()) == [own_active.id]
    response = client.get("/api/v1/equipment", query_string=free_window(), headers=headers)
    assert response.get_json()["total"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"free_from": at(TUESDAY, 10)}, "free_to"),
        ({"free_to": at(TUESDAY, 12)}, "free_from"),
        (free_window(start_hour=12, end_hour=12), "free_to"),
        (free_window(start_hour=12, end_hour=10), "free_to"),
        ({"free_from": at(TUESDAY, 0), "free_to": at(TUESDAY + timedelta(days=14), 1)}, "free_to"),
        ({"free_from": "tuesday", "free_to": at(TUESDAY, 12)}, "free_from"),
    ],
)
def test_a_bad_free_window_is_a_validation_error(client, headers, query, field):
    response = client.get("/api/v1/equipment", query_string=query, headers=headers)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert set(error["details"]["fields"]) == {field}


def test_a_free_window_of_14_days_is_allowed(free_search, client, headers, make_equipment):
    make_equipment(weekly=[((0, 1, 2, 3, 4, 5, 6), time(0), time(0))])  # idle round the clock
    make_equipment()

    response = client.get(
        "/api/v1/equipment",
        query_string={"free_from": at(TUESDAY, 0), "free_to": at(TUESDAY + timedelta(14), 0)},
        headers=headers,
    )

    assert response.status_code == 200
    assert response.get_json()["total"] == 1


def test_free_window_and_paging_problems_are_reported_together(client, headers):
    response = client.get(
        "/api/v1/equipment",
        query_string={"free_from": at(TUESDAY, 10), "per_page": 500},
        headers=headers,
    )

    assert response.status_code == 422
    assert set(response.get_json()["error"]["details"]["fields"]) == {"free_to", "per_page"}
