import io
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import update

from equipment_share.extensions import db
from equipment_share.models import Booking, IdleWindow, IdleWindowKind, ProductionRun
from equipment_share.services import bookings
from equipment_share.services.calendars import make_feed_secret
from equipment_share.services.equipment import add_one_off_window, delete_idle_window
from tests.clock import SHANGHAI, local
from tests.conftest import count_rows

CALENDAR_TYPE = "text/calendar; charset=utf-8"


def in_days(days: int) -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=days)


def ics_file(start: datetime, end: datetime, summary: str = "Run") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\n"
        f"UID:run@test\r\nDTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\n"
        f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}\r\nSUMMARY:{summary}\r\n"
        "END:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user = make_user("sme")
    booking = bookings.create_booking(
        sme_user, equipment.id, local(in_days(7), 10), local(in_days(7), 12)
    )
    db.session.commit()
    return equipment, sme_user, make_user("platform", platform), booking


def events_of(body: bytes) -> dict:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_the_instrument_calendar_is_public_and_names_no_organisation(client, setting):
    equipment, sme_user, _, booking = setting

    response = client.get(f"/calendar/equipment/{equipment.id}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    assert response.headers["ETag"] and response.headers["Last-Modified"]
    assert sme_user.organization.name.encode() not in response.data
    event = events_of(response.data)[f"booking-{booking.id}@equipment-share"]
    assert str(event["SUMMARY"]) == "已预约 / Booked"


def test_the_instrument_calendar_answers_304_when_unchanged(client, setting):
    equipment, *_ = setting
    url = f"/calendar/equipment/{equipment.id}.ics"
    first = client.get(url)

    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""
    since = client.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert since.status_code == 304
    stale = client.get(url, headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_adding_or_withdrawing_an_idle_window_changes_the_instrument_calendar(client, setting):
    equipment, _, platform_user, _ = setting
    url = f"/calendar/equipment/{equipment.id}.ics"
    before = client.get(url)

    window = add_one_off_window(
        platform_user, equipment, {"start": local(in_days(9), 21), "end": local(in_days(9), 23)}
    )
    db.session.commit()
    added = client.get(url, headers={"If-None-Match": before.headers["ETag"]})

    assert added.status_code == 200
    assert added.headers["ETag"] != before.headers["ETag"]
    assert added.last_modified >= window.created_at.replace(microsecond=0)
    free = [event for event in events_of(added.data).values() if event["TRANSP"] == "TRANSPARENT"]
    assert any(event["DTSTART"].dt == local(in_days(9), 21) for event in free)

    delete_idle_window(platform_user, equipment, window.id)
    db.session.commit()
    withdrawn = client.get(url, headers={"If-None-Match": added.headers["ETag"]})

    assert withdrawn.status_code == 200
    assert withdrawn.headers["ETag"] != added.headers["ETag"]
    assert local(in_days(9), 21).strftime("%Y%m%dT%H%M%S").encode() not in withdrawn.data


def test_withdrawing_an_idle_window_that_frees_nothing_still_changes_the_etag(client, setting):
    """A window inside another leaves the feed's bytes as they were; the ETag moves anyway."""
    equipment, _, platform_user, _ = setting
    inner = IdleWindow(
        kind=IdleWindowKind.WEEKLY, weekdays="0,1,2,3,4,5,6", start_time=time(9), end_time=time(10)
    )
    equipment.idle_windows.append(inner)
    db.session.commit()
    url = f"/calendar/equipment/{equipment.id}.ics"
    before = client.get(url)

    delete_idle_window(platform_user, equipment, inner.id)
    db.session.commit()
    after = client.get(url, headers={"If-None-Match": before.headers["ETag"]})

    assert after.status_code == 200
    assert after.headers["ETag"] != before.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": after.headers["ETag"]}).status_code == 304


def test_withdrawing_an_idle_window_moves_last_modified(client, setting):
    """Clients that poll with If-Modified-Since only must not be told a stale feed is fresh."""
    equipment, _, platform_user, _ = setting
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    equipment.updated_at = an_hour_ago
    for window in equipment.idle_windows:
        window.created_at = an_hour_ago
    db.session.execute(
        update(Booking).where(Booking.equipment_id == equipment.id).values(updated_at=an_hour_ago)
    )
    db.session.commit()
    url = f"/calendar/equipment/{equipment.id}.ics"
    before = client.get(url)

    delete_idle_window(platform_user, equipment, equipment.idle_windows[0].id, force=True)
    db.session.commit()
    after = client.get(url, headers={"If-Modified-Since": before.headers["Last-Modified"]})

    assert after.status_code == 200
    assert after.last_modified > before.last_modified


def test_an_inactive_instruments_calendar_is_not_found(client, setting):
    equipment, *_ = setting
    equipment.active = False
    db.session.commit()
    assert client.get(f"/calendar/equipment/{equipment.id}.ics").status_code == 404


def test_the_secret_feed_lists_the_smes_bookings_including_cancelled_ones(client, setting):
    equipment, sme_user, _, booking = setting
    old_sequence = booking.sequence
    bookings.cancel(sme_user, booking, "plans changed")
    secret = make_feed_secret(sme_user)
    db.session.commit()

    response = client.get(f"/calendar/feed/{secret}.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    event = events_of(response.data)[f"booking-{booking.id}@equipment-share"]
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == booking.sequence > old_sequence
    assert equipment.name in str(event["SUMMARY"])


def test_the_feed_parses_with_vobject_too(client, setting):
    vobject = pytest.importorskip("vobject")
    _, sme_user, _, booking = setting
    secret = make_feed_secret(sme_user)
    db.session.commit()
    body = client.get(f"/calendar/feed/{secret}.ics").data.decode()
    calendar = vobject.readOne(body)
    assert [event.uid.value for event in calendar.vevent_list] == [
        f"booking-{booking.id}@equipment-share"
    ]


def test_a_revoked_or_unknown_secret_is_not_found(client, login, setting):
    _, sme_user, _, _ = setting
    secret = make_feed_secret(sme_user)
    db.session.commit()
    assert client.get(f"/calendar/feed/{secret}.ics").status_code == 200

    login(sme_user)
    assert client.post("/settings/calendar-feed/revoke").status_code == 302

    assert client.get(f"/calendar/feed/{secret}.ics").status_code == 404
    assert client.get("/calendar/feed/not-a-secret.ics").status_code == 404


def test_the_settings_page_shows_a_new_link_once(english, login, setting):
    _, sme_user, _, _ = setting
    login(sme_user)

    page = english.post("/settings/calendar-feed")

    assert page.status_code == 200
    assert b'id="new-feed-url"' in page.data
    url = page.get_data(as_text=True).split('id="new-feed-url">')[1].split("<")[0]
    assert english.get(url.removeprefix("http://localhost")).status_code == 200
    assert b'id="new-feed-url"' not in english.get("/settings").data


def test_a_booking_ics_is_for_its_parties_only(client, login, make_user, setting):
    _, sme_user, platform_user, booking = setting
    url = f"/bookings/{booking.id}.ics"
    assert client.get(url).status_code == 404

    login(make_user("sme"))
    assert client.get(url).status_code == 404

    login(sme_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CALENDAR_TYPE
    assert list(events_of(response.data)) == [f"booking-{booking.id}@equipment-share"]
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304

    login(platform_user)
    assert sme_user.organization.name in client.get(url).get_data(as_text=True)


def test_the_pages_link_the_calendars(client, login, setting):
    equipment, sme_user, _, booking = setting
    assert (
        f"/calendar/equipment/{equipment.id}.ics".encode()
        in client.get(f"/equipment/{equipment.id}").data
    )
    login(sme_user)
    assert f"/bookings/{booking.id}.ics".encode() in client.get(f"/bookings/{booking.id}").data


def test_importing_a_production_calendar_on_the_edit_page(english, login, setting):
    equipment, _, platform_user, booking = setting
    login(platform_user)
    day = in_days(7)
    upload = ics_file(local(day, 11), local(day, 13), "Batch 7")

    page = english.post(
        f"/manage/equipment/{equipment.id}/production-calendar",
        data={"production-calendar": (io.BytesIO(upload), "plan.ics")},
        content_type="multipart/form-data",
    )

    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "1 production runs imported." in text
    assert f"/bookings/{booking.id}" in text.split('id="production-conflicts"')[1]
    assert count_rows(ProductionRun) == 1
    assert "Batch 7" in english.get(f"/manage/equipment/{equipment.id}").get_data(as_text=True)


def test_a_bad_production_file_shows_the_problem_and_changes_nothing(english, login, setting):
    equipment, _, platform_user, _ = setting
    login(platform_user)
    day = in_days(7)
    url = f"/manage/equipment/{equipment.id}/production-calendar"
    english.post(
        url,
        data={"production-calendar": (io.BytesIO(ics_file(local(day, 8), local(day, 9))), "a.ics")},
        content_type="multipart/form-data",
    )

    page = english.post(
        url,
        data={"production-calendar": (io.BytesIO(b"garbage"), "b.ics")},
        content_type="multipart/form-data",
    )

    assert page.status_code == 422
    assert "not a valid iCalendar" in page.get_data(as_text=True)
    assert count_rows(ProductionRun) == 1


def test_another_platform_cannot_import(client, login, make_user, setting):
    equipment, *_ = setting
    login(make_user("platform"))
    response = client.post(
        f"/manage/equipment/{equipment.id}/production-calendar",
        data={"production-calendar": (io.BytesIO(b"x"), "a.ics")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
