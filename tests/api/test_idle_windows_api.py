"""Idle windows through the API: weekly and one-off, times in the deployment's zone."""

from datetime import UTC, date, datetime, time

import pytest

from equipment_share.extensions import db
from equipment_share.models import IdleWindow, IdleWindowKind

WEEKLY = {"weekdays": [0, 2, 4], "start_time": "09:00", "end_time": "17:30"}
ONE_OFF = {"start": "2026-12-01T09:00:00+08:00", "end": "2026-12-01T18:00:00+08:00"}


@pytest.fixture
def headers(platform_user, api_headers):
    return api_headers(platform_user)


@pytest.fixture
def equipment(platform_user, make_equipment):
    """An instrument of the platform_user's organisation, without idle windows.

    (make_equipment(weekly=[]) still adds the default window, so it is removed here.)
    """
    equipment = make_equipment(platform_user.organization)
    equipment.idle_windows.clear()
    db.session.commit()
    return equipment


def windows_url(equipment) -> str:
    return f"/api/v1/equipment/{equipment.id}/idle-windows"


def stored_windows(equipment) -> list[IdleWindow]:
    return list(
        db.session.scalars(db.select(IdleWindow).where(IdleWindow.equipment_id == equipment.id))
    )


def test_owner_adds_a_weekly_window(client, headers, equipment):
    response = client.post(
        windows_url(equipment),
        json=WEEKLY | {"valid_from": "2026-12-01", "valid_to": None},
        headers=headers,
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "kind": "weekly",
        "weekdays": [0, 2, 4],
        "start_time": "09:00",
        "end_time": "17:30",
        "overnight": False,
        "valid_from": "2026-12-01",
        "valid_to": None,
    }
    (window,) = stored_windows(equipment)
    assert window.kind == IdleWindowKind.WEEKLY
    assert window.weekday_numbers == [0, 2, 4]
    assert (window.start_time, window.end_time) == (time(9), time(17, 30))
    assert window.valid_from == date(2026, 12, 1)


def test_owner_adds_a_one_off_window(client, headers, equipment):
    response = client.post(windows_url(equipment), json=ONE_OFF, headers=headers)

    assert response.status_code == 201
    assert response.get_json() == {"id": response.get_json()["id"], "kind": "once"} | ONE_OFF
    (window,) = stored_windows(equipment)
    assert window.start_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    assert window.end_at == datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_a_time_without_offset_is_read_in_the_deployment_zone(client, headers, equipment):
    response = client.post(
        windows_url(equipment),
        json={"start": "2026-12-01T09:00", "end": "2026-12-01T18:00:00"},
        headers=headers,
    )

    assert response.status_code == 201
    assert response.get_json()["start"] == "2026-12-01T09:00:00+08:00"
    (window,) = stored_windows(equipment)
    assert window.start_at == datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


def test_times_in_other_offsets_are_answered_in_the_deployment_zone(client, headers, equipment):
    response = client.post(
        windows_url(equipment),
        json={"start": "2026-12-01T01:00:00Z", "end": "2026-12-01T12:00:00+02:00"},
        headers=headers,
    )

    assert response.get_json()["start"] == "2026-12-01T09:00:00+08:00"
    assert response.get_json()["end"] == "2026-12-01T18:00:00+08:00"


def test_the_deployment_zone_is_a_setting(app, client, headers, equipment):
    app.config["TIMEZONE"] = "Europe/Berlin"

    response = client.post(
        windows_url(equipment),
        json={"start": "2026-12-01T09:00", "end": "2026-12-01T18:00"},
        headers=headers,
    )

    assert response.get_json()["start"] == "2026-12-01T09:00:00+01:00"
    (window,) = stored_windows(equipment)
    assert window.start_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)


def test_kind_may_be_given_explicitly(client, headers, equipment):
    response = client.post(
        windows_url(equipment), json=WEEKLY | {"kind": "weekly"}, headers=headers
    )

    assert response.status_code == 201
    assert response.get_json()["kind"] == "weekly"


def test_list_shows_both_kinds_with_their_own_fields(
    client, make_user, api_headers, headers, equipment
):
    client.post(windows_url(equipment), json=WEEKLY, headers=headers)
    client.post(windows_url(equipment), json=ONE_OFF, headers=headers)

    response = client.get(windows_url(equipment), headers=api_headers(make_user("sme")))

    assert response.status_code == 200
    body = response.get_json()
    assert body["total"] == 2 and body["page"] == 1
    weekly, once = body["items"]
    assert weekly["kind"] == "weekly" and "start" not in weekly
    assert once["kind"] == "once" and "weekdays" not in once
    assert once["start"] == ONE_OFF["start"]


def test_owner_deletes_a_window(client, headers, equipment):
    created = client.post(windows_url(equipment), json=WEEKLY, headers=headers).get_json()

    response = client.delete(f"{windows_url(equipment)}/{created['id']}", headers=headers)

    assert response.status_code == 204
    assert response.data == b""
    assert stored_windows(equipment) == []
    listed = client.get(windows_url(equipment), headers=headers).get_json()
    assert listed["items"] == []


def test_deleting_an_unknown_window_is_not_found(client, headers, equipment, make_equipment):
    other = make_equipment(equipment.platform)
    foreign_window = other.idle_windows[0]

    response = client.delete(f"{windows_url(equipment)}/{foreign_window.id}", headers=headers)
    beyond = client.delete(f"{windows_url(equipment)}/{2**31}", headers=headers)

    assert response.status_code == 404
    assert beyond.status_code == 404
    db.session.expire_all()
    assert db.session.get(IdleWindow, foreign_window.id) is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"start": "2026-12-01T18:00:00+08:00", "end": "2026-12-01T09:00:00+08:00"}, "end"),
        ({"start": "2026-12-01T09:00:00+08:00", "end": "2026-12-01T09:00:00+08:00"}, "end"),
        ({"start": "2026-01-01T00:00:00+08:00", "end": "2027-06-01T00:00:00+08:00"}, "end"),
        ({"start": "2026-12-01T09:00:00+08:00"}, "end"),
        ({"start": "tomorrow morning", "end": "2026-12-01T18:00:00+08:00"}, "start"),
        ({"start": "0001-01-01T00:00:00", "end": "2026-12-01T18:00:00+08:00"}, "start"),
        (WEEKLY | {"weekdays": [0, 7]}, "weekdays"),
        (WEEKLY | {"weekdays": [-1]}, "weekdays"),
        (WEEKLY | {"weekdays": []}, "weekdays"),
        (WEEKLY | {"start_time": "25:00"}, "start_time"),
        (WEEKLY | {"end_time": "9am"}, "end_time"),
        (WEEKLY | {"end_time": "09:00"}, "end_time"),  # empty window
        (WEEKLY | {"valid_from": "2026-12-31", "valid_to": "2026-12-01"}, "valid_to"),
        (WEEKLY | {"valid_from": "31/12/2026"}, "valid_from"),
        ({"weekdays": [1]}, "start_time"),
        (WEEKLY | {"kind": "monthly"}, "kind"),
    ],
)
def test_invalid_windows_are_a_validation_error_and_write_nothing(
    client, headers, equipment, body, field
):
    response = client.post(windows_url(equipment), json=body, headers=headers)

    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["details"]["fields"]
    assert stored_windows(equipment) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (WEEKLY | {"weekdays": "0,2,4"}, "weekdays"),
        (WEEKLY | {"weekdays": [0, "2"]}, "weekdays.1"),
        (WEEKLY | {"start_time": 900}, "start_time"),
        (WEEKLY | {"valid_from": 20261201}, "valid_from"),
        ({"start": 1764550800, "end": "2026-12-01T18:00:00+08:00"}, "start"),
        (ONE_OFF | {"weekdays": [0]}, "weekdays"),  # fields of both kinds
        (ONE_OFF | {"kind": "weekly"}, "start"),
        (WEEKLY | {"repeat": "forever"}, "repeat"),
    ],
)
def test_wrong_types_and_mixed_kinds_are_a_bad_request(client, headers, equipment, body, field):
    response = client.post(windows_url(equipment), json=body, headers=headers)

    assert response.status_code == 400
    assert field in response.get_json()["error"]["details"]["fields"]
    assert stored_windows(equipment) == []


def test_another_platform_cannot_add_or_delete_windows(
    client, make_user, api_headers, make_equipment
):
    equipment = make_equipment()
    (window,) = equipment.idle_windows
    intruder = api_headers(make_user("platform"))

    added = client.post(windows_url(equipment), json=WEEKLY, headers=intruder)
    deleted = client.delete(f"{windows_url(equipment)}/{window.id}", headers=intruder)

    assert (added.status_code, deleted.status_code) == (403, 403)
    assert [w.id for w in stored_windows(equipment)] == [window.id]


@pytest.mark.parametrize("role", ["sme", "admin", "finance"])
def test_only_the_owning_platform_edits_windows(client, make_user, api_headers, equipment, role):
    response = client.post(
        windows_url(equipment), json=WEEKLY, headers=api_headers(make_user(role))
    )

    assert response.status_code == 403
    assert stored_windows(equipment) == []


def test_windows_of_an_invisible_instrument_are_not_found(
    client, make_user, api_headers, make_equipment
):
    hidden = make_equipment(active=False)

    response = client.get(windows_url(hidden), headers=api_headers(make_user("sme")))

    assert response.status_code == 404


def test_an_end_before_the_start_is_refused_only_when_said_not_overnight(
    client, headers, equipment
):
    night = WEEKLY | {"start_time": "22:00", "end_time": "06:00"}

    refused = client.post(
        windows_url(equipment), json=night | {"overnight": False}, headers=headers
    )
    accepted = client.post(
        windows_url(equipment), json=night | {"overnight": True}, headers=headers
    )
    as_the_contract_says = client.post(windows_url(equipment), json=night, headers=headers)

    assert as_the_contract_says.status_code == 201  # API.md: no overnight field needed
    assert as_the_contract_says.get_json()["overnight"] is True
    assert refused.status_code == 422
    assert "end_time" in refused.get_json()["error"]["details"]["fields"]
    assert accepted.status_code == 201
    assert accepted.get_json()["overnight"] is True
    assert (accepted.get_json()["start_time"], accepted.get_json()["end_time"]) == (
        "22:00",
        "06:00",
    )
