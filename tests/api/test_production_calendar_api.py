from datetime import UTC, date, datetime, timedelta

import pytest

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.calendar_import import MAX_CALENDAR_BYTES
from equipment_share.extensions import db
from equipment_share.models import ProductionRun
from equipment_share.services import bookings
from tests.clock import SHANGHAI, local
from tests.conftest import count_rows

ICS = {"Content-Type": "text/calendar"}


def in_days(days: int) -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=days)


def ics_file(*runs: tuple[datetime, datetime]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for number, (start, end) in enumerate(runs):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{number}@test",
            f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            "SUMMARY:Production",
            "END:VEVENT",
        ]
    return ("\r\n".join([*lines, "END:VCALENDAR"]) + "\r\n").encode()


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(platform)
    return equipment, make_user("platform", platform), make_user("sme")


def url(equipment) -> str:
    return f"/api/v1/equipment/{equipment.id}/production-calendar"


def test_the_owner_uploads_and_conflicting_bookings_are_listed(client, api_headers, setting):
    equipment, platform_user, sme_user = setting
    day = in_days(7)
    booking = bookings.create_booking(sme_user, equipment.id, local(day, 10), local(day, 11))
    db.session.commit()
    headers = api_headers(platform_user) | ICS

    response = client.post(
        url(equipment),
        data=ics_file((local(day, 9), local(day, 12)), (local(day, 14), local(day, 15))),
        headers=headers,
    )

    assert response.status_code == 200
    assert response.json == {"runs": 2, "conflicting_booking_ids": [booking.id]}
    db.session.refresh(booking)
    assert booking.status == BookingStatus.PENDING

    again = client.post(
        url(equipment), data=ics_file((local(day, 16), local(day, 17))), headers=headers
    )
    assert again.json == {"runs": 1, "conflicting_booking_ids": []}
    assert count_rows(ProductionRun) == 1


def test_a_bad_file_is_a_validation_error_and_changes_nothing(client, api_headers, setting):
    equipment, platform_user, _ = setting
    headers = api_headers(platform_user) | ICS
    day = in_days(5)
    client.post(url(equipment), data=ics_file((local(day, 9), local(day, 10))), headers=headers)

    response = client.post(url(equipment), data=b"BEGIN:VCALENDAR\r\nnonsense", headers=headers)

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "validation_error"
    assert "calendar" in error["details"]["fields"]
    assert count_rows(ProductionRun) == 1


def test_a_file_too_large_is_refused(client, api_headers, setting):
    equipment, platform_user, _ = setting
    response = client.post(
        url(equipment),
        data=b"x" * (MAX_CALENDAR_BYTES + 1),
        headers=api_headers(platform_user) | ICS,
    )
    assert response.status_code == 413
    assert count_rows(ProductionRun) == 0


def test_others_are_refused(client, api_headers, make_user, setting):
    equipment, _, sme_user = setting
    data = ics_file((local(in_days(5), 9), local(in_days(5), 10)))
    for user in (sme_user, make_user("platform")):
        response = client.post(url(equipment), data=data, headers=api_headers(user) | ICS)
        assert response.status_code == 403
    assert client.post(url(equipment), data=data, headers=ICS).status_code == 401
    equipment.active = False
    db.session.commit()
    other = client.post(url(equipment), data=data, headers=api_headers(make_user("platform")) | ICS)
    assert other.status_code == 404
    assert count_rows(ProductionRun) == 0


def test_the_operation_is_documented(client):
    spec = client.get("/api/v1/openapi.json").json
    operation = spec["paths"]["/api/v1/equipment/{equipment_id}/production-calendar"]["post"]
    assert "text/calendar" in operation["description"]
