"""Bookings through the API: booking a slot and every refusal, who sees which bookings, the
state machine of approve/reject/cancel/no-show, and withdrawing an idle window bookings need.

Dates are next week's weekdays at fixed local times, so no test depends on today's date;
make_equipment's instruments are idle Mon-Sun 08:00-20:00 Asia/Shanghai, lead time 24 hours.
"""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.extensions import db
from equipment_share.models import (
    AuditEntry,
    Booking,
    IdleWindow,
    IdleWindowKind,
    OutboxMessage,
)
from equipment_share.services import bookings, notifications, rate_cards
from equipment_share.services.equipment import IDLE_WINDOW_WITHDRAWN
from tests.clock import SHANGHAI, at, local, next_weekday
from tests.conftest import count_rows

TUESDAY = next_weekday(1)
YESTERDAY = datetime.now(SHANGHAI).date() - timedelta(days=1)


@pytest.fixture
def equipment(platform_user, make_equipment):
    return make_equipment(
        platform_user.organization,
        requires_approval=True,
        hourly_rate="150.00",
        setup_fee="60.00",
        min_booking_minutes=60,
    )


@pytest.fixture
def sme_headers(sme_user, api_headers):
    return api_headers(sme_user)


@pytest.fixture
def platform_headers(platform_user, api_headers):
    return api_headers(platform_user)


def book_body(equipment, start_hour, end_hour, day=TUESDAY, **extra) -> dict:
    return {
        "equipment_id": equipment.id,
        "start": at(day, start_hour),
        "end": at(day, end_hour),
        "purpose": "R&D sample tests",
    } | extra


def book(user, equipment, start_hour, end_hour, day=TUESDAY, now=None) -> Booking:
    """A booking made through the service (set-up, not what is under test)."""
    booking = bookings.create_booking(
        user, equipment.id, local(day, start_hour), local(day, end_hour), "set-up", now=now
    )
    db.session.commit()
    return booking


def started_booking(user, equipment) -> Booking:
    """A booking that began yesterday at 10:00, made two days before."""
    return book(user, equipment, 10, 12, day=YESTERDAY, now=local(YESTERDAY, 10) - timedelta(2))


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def assert_nothing_written() -> None:
    assert count_rows(Booking) == 0
    assert count_rows(AuditEntry, AuditEntry.object_type == "booking") == 0
    assert count_rows(OutboxMessage) == 0


def reload(booking: Booking) -> Booking:
    db.session.expire_all()
    return db.session.get(Booking, booking.id)


def audit_trail(booking: Booking) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id)
            .order_by(AuditEntry.id)
        )
    )


# --- booking a slot -------------------------------------------------------------------------


def test_sme_books_a_slot_with_money_as_strings_and_local_times(
    client, sme_user, sme_headers, equipment
):
    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 10, 12), headers=sme_headers
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body == {
        "id": body["id"],
        "equipment_id": equipment.id,
        "organization_id": sme_user.organization_id,
        "start": at(TUESDAY, 10),
        "end": at(TUESDAY, 12),
        "status": "pending",
        "estimated_fee": "360.00",  # 2 h x 150.00 + 60.00 setup
        "purpose": "R&D sample tests",
        "purpose_category": "research",
        "hourly_rate": "150.00",
        "setup_fee": "60.00",
        "late_cancellation": False,
        "status_reason": "",
        "rate_card_id": rate_cards.in_force(equipment).id,
        "usage_id": None,
        "created_at": body["created_at"],
        "updated_at": body["updated_at"],
    }
    assert body["created_at"].endswith("+08:00") and body["updated_at"].endswith("+08:00")
    stored = db.session.get(Booking, body["id"])
    assert stored.start_at == local(TUESDAY, 10).astimezone(UTC)
    assert stored.booked_by_id == sme_user.id
    assert stored.estimated_fee == Decimal("360.00")
    assert [entry.action for entry in audit_trail(stored)] == ["create"]


@pytest.mark.parametrize(("requires_approval", "status"), [(True, "pending"), (False, "confirmed")])
def test_status_follows_whether_the_instrument_requires_approval(
    client, sme_headers, make_equipment, requires_approval, status
):
    equipment = make_equipment(requires_approval=requires_approval)

    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 10, 12), headers=sme_headers
    )

    assert response.status_code == 201
    assert response.get_json()["status"] == status
    assert db.session.get(Booking, response.get_json()["id"]).status == BookingStatus(status)


def test_a_time_without_offset_is_read_in_the_deployment_zone(client, sme_headers, equipment):
    body = book_body(equipment, 10, 12) | {
        "start": f"{TUESDAY.isoformat()}T10:00",
        "end": f"{TUESDAY.isoformat()}T04:00:00Z",  # 12:00 in Shanghai
    }

    response = client.post("/api/v1/bookings", json=body, headers=sme_headers)

    assert response.status_code == 201
    assert (response.get_json()["start"], response.get_json()["end"]) == (
        at(TUESDAY, 10),
        at(TUESDAY, 12),
    )


def test_an_overlapping_booking_is_refused_with_the_clashing_interval(
    client, sme_headers, equipment, make_user
):
    first = book(make_user("sme"), equipment, 10, 12)

    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 11, 13), headers=sme_headers
    )

    error = assert_error(response, 409, "booking_conflict")
    assert error["details"]["conflicts"] == [{"start": at(TUESDAY, 10), "end": at(TUESDAY, 12)}]
    assert count_rows(Booking) == 1
    bookings_logged = select(AuditEntry).where(AuditEntry.object_type == "booking")
    assert [entry.object_id for entry in db.session.scalars(bookings_logged)] == [first.id]


def test_a_cancelled_booking_no_longer_holds_its_slot(
    client, sme_headers, equipment, make_user, platform_user
):
    other = make_user("sme")
    bookings.cancel(other, book(other, equipment, 10, 12), "plans changed")
    db.session.commit()

    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 10, 12), headers=sme_headers
    )

    assert response.status_code == 201


def test_back_to_back_bookings_are_allowed(client, sme_headers, equipment):
    answers = [
        client.post("/api/v1/bookings", json=book_body(equipment, *hours), headers=sme_headers)
        for hours in ((10, 12), (12, 14), (8, 10))
    ]

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert count_rows(Booking) == 3


@pytest.mark.parametrize(("start_hour", "end_hour"), [(6, 7), (19, 21), (20, 21)])
def test_time_outside_the_idle_windows_is_refused(
    client, sme_headers, equipment, start_hour, end_hour
):
    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, start_hour, end_hour), headers=sme_headers
    )

    assert_error(response, 422, "outside_idle_window")
    assert_nothing_written()


@pytest.mark.parametrize(
    ("settings", "start", "end", "rule"),
    [
        ({}, local(TUESDAY, 10, 15), local(TUESDAY, 11, 15), "slot_granularity"),
        ({"slot_minutes": 60}, local(TUESDAY, 10, 30), local(TUESDAY, 12), "slot_granularity"),
        ({}, local(TUESDAY, 10), local(TUESDAY, 10, 30), "min_duration"),  # at least 60
        ({}, local(TUESDAY, 8), local(TUESDAY, 17), "max_duration"),  # at most 480
        ({"lead_time_hours": 24 * 30}, local(TUESDAY, 10), local(TUESDAY, 12), "lead_time"),
        ({"horizon_days": 5}, local(TUESDAY, 10), local(TUESDAY, 12), "horizon"),
        ({}, local(YESTERDAY, 10), local(YESTERDAY, 12), "past"),
    ],
)
def test_a_broken_booking_rule_is_named_and_writes_nothing(
    client, sme_headers, platform_user, make_equipment, settings, start, end, rule
):
    equipment = make_equipment(platform_user.organization, min_booking_minutes=60, **settings)
    body = {"equipment_id": equipment.id, "start": start.isoformat(), "end": end.isoformat()}

    response = client.post("/api/v1/bookings", json=body, headers=sme_headers)

    error = assert_error(response, 422, "rule_violation")
    assert error["details"]["rule"] == rule
    assert_nothing_written()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"equipment_id": "1"}, "equipment_id"),
        ({"equipment_id": 1.0}, "equipment_id"),
        ({"equipment_id": True}, "equipment_id"),
        ({"equipment_id": None}, "equipment_id"),
        ({"start": 1764550800}, "start"),
        ({"end": ["2026-12-01T12:00:00+08:00"]}, "end"),
        ({"purpose": 12}, "purpose"),
        ({"room": "204"}, "room"),
    ],
)
def test_wrong_types_are_a_bad_request(client, sme_headers, equipment, change, field):
    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 10, 12) | change, headers=sme_headers
    )

    error = assert_error(response, 400, "bad_request")
    assert field in error["details"]["fields"]
    assert_nothing_written()


@pytest.mark.parametrize(
    ("drop", "change", "fields"),
    [
        (("equipment_id", "start", "end", "purpose"), {}, {"equipment_id", "start", "end"}),
        (("equipment_id",), {}, {"equipment_id"}),
        (("end",), {}, {"end"}),
        ((), {"start": "next Tuesday at ten"}, {"start"}),
        ((), {"end": at(TUESDAY, 9)}, {"end"}),  # before the start
        ((), {"end": at(TUESDAY, 10)}, {"end"}),  # no length
        ((), {"equipment_id": 0}, {"equipment_id"}),
        ((), {"purpose": "x" * 2001}, {"purpose"}),
    ],
)
def test_missing_or_unusable_values_are_a_validation_error(
    client, sme_headers, equipment, drop, change, fields
):
    body = {name: value for name, value in book_body(equipment, 10, 12).items() if name not in drop}

    response = client.post("/api/v1/bookings", json=body | change, headers=sme_headers)

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == fields
    assert_nothing_written()


@pytest.mark.parametrize("role", ["platform", "admin", "finance"])
def test_only_smes_book(client, api_headers, make_user, platform_user, equipment, role):
    user = platform_user if role == "platform" else make_user(role)  # even the owner

    response = client.post(
        "/api/v1/bookings", json=book_body(equipment, 10, 12), headers=api_headers(user)
    )

    assert_error(response, 403, "forbidden")
    assert_nothing_written()


def test_an_invisible_instrument_cannot_be_booked(client, sme_headers, make_equipment):
    hidden = make_equipment(active=False)  # inactive, of another platform

    hidden_answer = client.post(
        "/api/v1/bookings", json=book_body(hidden, 10, 12), headers=sme_headers
    )
    unknown_answer = client.post(
        "/api/v1/bookings",
        json=book_body(hidden, 10, 12, equipment_id=2**31 - 1),
        headers=sme_headers,
    )

    assert_error(hidden_answer, 404, "not_found")
    assert_error(unknown_answer, 404, "not_found")
    assert_nothing_written()


# --- who sees which bookings ----------------------------------------------------------------


@pytest.fixture
def two_platforms(make_org, make_user, make_equipment):
    """Platform A's instrument booked by SMEs 1 and 2, platform B's by SME 2."""
    platform_a, platform_b = make_org("platform"), make_org("platform")
    equipment_a, equipment_b = make_equipment(platform_a), make_equipment(platform_b)
    sme_1, sme_2 = make_user("sme"), make_user("sme")
    a_by_1 = book(sme_1, equipment_a, 10, 12)
    a_by_2 = book(sme_2, equipment_a, 8, 9)
    b_by_2 = book(sme_2, equipment_b, 14, 16)
    users = {
        "sme_1": sme_1,
        "sme_2": sme_2,
        "platform_a": make_user("platform", platform_a),
        "platform_b": make_user("platform", platform_b),
        "admin": make_user("admin"),
        "finance": make_user("finance"),
        "other_sme": make_user("sme"),
        "other_platform": make_user("platform"),
    }
    return users, {"a_by_1": a_by_1, "a_by_2": a_by_2, "b_by_2": b_by_2}


SEES = {
    "sme_1": ["a_by_1"],
    "sme_2": ["a_by_2", "b_by_2"],
    "platform_a": ["a_by_2", "a_by_1"],  # by start: 08:00 before 10:00
    "platform_b": ["b_by_2"],
    "admin": ["a_by_2", "a_by_1", "b_by_2"],
    "finance": ["a_by_2", "a_by_1", "b_by_2"],
    "other_sme": [],
    "other_platform": [],
}


@pytest.mark.parametrize(("who", "expected"), SEES.items())
def test_each_role_lists_exactly_the_bookings_it_may_see(
    client, api_headers, two_platforms, who, expected
):
    users, made = two_platforms
    headers = api_headers(users[who])

    listed = client.get("/api/v1/bookings", headers=headers)

    assert listed.status_code == 200
    body = listed.get_json()
    assert [item["id"] for item in body["items"]] == [made[name].id for name in expected]
    assert body["total"] == len(expected)
    for name, booking in made.items():
        answer = client.get(f"/api/v1/bookings/{booking.id}", headers=headers)
        if name in expected:
            assert answer.status_code == 200
            assert answer.get_json()["id"] == booking.id
        else:
            assert_error(answer, 404, "not_found")


def test_an_unknown_booking_is_not_found(client, sme_headers):
    assert_error(client.get("/api/v1/bookings/999999", headers=sme_headers), 404, "not_found")
    assert_error(client.get(f"/api/v1/bookings/{2**31}", headers=sme_headers), 404, "not_found")


def test_list_filters(client, api_headers, make_user, make_equipment, platform_user):
    platform = platform_user.organization
    gc, sem = make_equipment(platform), make_equipment(platform)
    sme = make_user("sme")
    wednesday = TUESDAY + timedelta(days=1)
    early = book(sme, gc, 8, 10)
    late = book(sme, gc, 14, 16)
    other_instrument = book(sme, sem, 10, 12)
    next_day = book(sme, gc, 10, 12, day=wednesday)
    bookings.cancel(sme, late, "not needed")
    db.session.commit()
    headers = api_headers(platform_user)

    def ids(**query) -> list[int]:
        response = client.get("/api/v1/bookings", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        return [item["id"] for item in response.get_json()["items"]]

    assert ids() == [early.id, other_instrument.id, late.id, next_day.id]
    assert ids(status="cancelled") == [late.id]
    assert ids(status="pending") == [early.id, other_instrument.id, next_day.id]
    assert ids(status="confirmed") == []
    assert ids(equipment_id=sem.id) == [other_instrument.id]
    assert ids(equipment_id=gc.id, status="pending") == [early.id, next_day.id]
    # overlapping [from, to): a booking ending at `from` or starting at `to` is outside
    assert ids(**{"from": at(TUESDAY, 10), "to": at(TUESDAY, 14)}) == [other_instrument.id]
    assert ids(**{"from": at(TUESDAY, 9), "to": at(TUESDAY, 15)}) == [
        early.id,
        other_instrument.id,
        late.id,
    ]
    assert ids(**{"from": at(wednesday, 0)}) == [next_day.id]
    assert ids(to=at(TUESDAY, 10)) == [early.id]
    assert ids(per_page=2, page=2) == [late.id, next_day.id]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"status": "approved"}, 422, "status"),
        ({"status": "PENDING"}, 422, "status"),
        ({"from": at(TUESDAY, 12), "to": at(TUESDAY, 12)}, 422, "to"),
        ({"from": at(TUESDAY, 12), "to": at(TUESDAY, 10)}, 422, "to"),
        ({"from": "last week"}, 422, "from"),
        ({"equipment_id": "0"}, 422, "equipment_id"),
        ({"per_page": "500"}, 422, "per_page"),
        ({"equipment_id": "gc"}, 400, "equipment_id"),
        ({"organization": "1"}, 400, "organization"),
    ],
)
def test_bad_list_filters_are_refused(client, sme_headers, query, status, field):
    response = client.get("/api/v1/bookings", query_string=query, headers=sme_headers)

    error = assert_error(response, status, "validation_error" if status == 422 else "bad_request")
    assert field in error["details"]["fields"]


# --- approve, reject, cancel, no-show -------------------------------------------------------


def action(client, booking, name, headers, reason=None):
    body = {"reason": reason} if reason is not None else None
    return client.post(f"/api/v1/bookings/{booking.id}/{name}", json=body, headers=headers)


def booking_in(status: str, sme_user, platform_user, equipment) -> Booking:
    booking = book(sme_user, equipment, 10, 12)
    if status == "confirmed":
        bookings.approve(platform_user, booking)
    elif status == "rejected":
        bookings.reject(platform_user, booking, "calibration")
    elif status == "cancelled":
        bookings.cancel(sme_user, booking, "plans changed")
    elif status == "completed":
        booking.status = BookingStatus.COMPLETED
    db.session.commit()
    return booking


@pytest.mark.parametrize(
    ("before", "name", "after"),
    [
        ("pending", "approve", "confirmed"),
        ("pending", "reject", "rejected"),
        ("pending", "cancel", "cancelled"),
        ("confirmed", "cancel", "cancelled"),
        ("confirmed", "approve", None),
        ("confirmed", "reject", None),
        ("cancelled", "approve", None),
        ("cancelled", "reject", None),
        ("cancelled", "cancel", None),
        ("rejected", "approve", None),
        ("rejected", "cancel", None),
        ("completed", "cancel", None),
    ],
)
def test_the_platform_moves_bookings_through_their_states(
    client, sme_user, platform_user, platform_headers, equipment, before, name, after
):
    booking = booking_in(before, sme_user, platform_user, equipment)
    entries_before = len(audit_trail(booking))

    response = action(client, booking, name, platform_headers, reason="instrument needed")

    if after is None:
        error = assert_error(response, 409, "invalid_state")
        assert error["details"] == {"status": before, "action": name}
        assert reload(booking).status == BookingStatus(before)
        assert len(audit_trail(booking)) == entries_before
        return
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == booking.id and body["status"] == after
    assert body["status_reason"] == ("" if name == "approve" else "instrument needed")
    assert reload(booking).status == BookingStatus(after)
    last = audit_trail(booking)[-1]
    assert (last.action, last.from_state, last.to_state) == (name, before, after)
    assert last.actor_id == platform_user.id


def test_the_booking_sme_cancels_its_own_booking_and_both_sides_are_told(
    client, sme_user, sme_headers, platform_user, equipment
):
    booking = booking_in("confirmed", sme_user, platform_user, equipment)

    response = action(client, booking, "cancel", sme_headers, reason="sample not ready")

    assert response.status_code == 200
    assert response.get_json()["status"] == "cancelled"
    assert response.get_json()["late_cancellation"] is False  # a week ahead
    assert response.get_json()["status_reason"] == "sample not ready"
    notifications.expand_booking_events()
    recipients = set(
        db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.subject.contains("取消"))
        )
    )
    assert {sme_user.email, platform_user.email} <= recipients


@pytest.mark.parametrize("name", ["reject", "cancel"])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_reject_and_cancel_need_a_reason(
    client, sme_user, platform_user, platform_headers, equipment, name, reason
):
    booking = booking_in("pending", sme_user, platform_user, equipment)
    body = {} if reason is None else {"reason": reason}

    response = client.post(
        f"/api/v1/bookings/{booking.id}/{name}", json=body, headers=platform_headers
    )

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == {"reason"}
    assert reload(booking).status == BookingStatus.PENDING


def test_a_reason_of_the_wrong_type_is_a_bad_request(
    client, sme_user, platform_user, platform_headers, equipment
):
    booking = booking_in("pending", sme_user, platform_user, equipment)

    response = action(client, booking, "reject", platform_headers, reason=["too", "busy"])

    assert_error(response, 400, "bad_request")
    assert reload(booking).status == BookingStatus.PENDING


@pytest.mark.parametrize(
    ("who", "name"),
    [
        ("booking_sme", "approve"),
        ("booking_sme", "reject"),
        ("admin", "approve"),
        ("admin", "cancel"),
        ("finance", "reject"),
        ("finance", "cancel"),
        ("booking_sme", "no-show"),
    ],
)
def test_a_party_that_sees_the_booking_but_may_not_act_is_forbidden(
    client, api_headers, make_user, sme_user, platform_user, equipment, who, name
):
    booking = booking_in("pending", sme_user, platform_user, equipment)
    user = sme_user if who == "booking_sme" else make_user(who)

    response = action(client, booking, name, api_headers(user), reason="because")

    assert_error(response, 403, "forbidden")
    assert reload(booking).status == BookingStatus.PENDING
    assert len(audit_trail(booking)) == 1


@pytest.mark.parametrize("name", ["approve", "reject", "cancel", "no-show"])
@pytest.mark.parametrize("who", ["platform", "sme"])
def test_another_organisation_cannot_even_find_the_booking(
    client, api_headers, make_user, sme_user, platform_user, equipment, name, who
):
    """Another platform or SME: the booking is invisible to it, so 404, not 403."""
    booking = booking_in("pending", sme_user, platform_user, equipment)

    response = action(client, booking, name, api_headers(make_user(who)), reason="mine now")

    assert_error(response, 404, "not_found")
    assert reload(booking).status == BookingStatus.PENDING


def test_the_platform_marks_a_started_confirmed_booking_as_no_show(
    client, sme_user, platform_headers, make_equipment, platform_user
):
    equipment = make_equipment(platform_user.organization, requires_approval=False)
    booking = started_booking(sme_user, equipment)

    response = action(client, booking, "no-show", platform_headers)
    again = action(client, booking, "no-show", platform_headers)

    assert response.status_code == 200
    assert response.get_json()["status"] == "no_show"
    assert reload(booking).status == BookingStatus.NO_SHOW
    assert_error(again, 409, "invalid_state")
    assert [entry.action for entry in audit_trail(booking)] == ["create", "no_show"]


def test_a_booking_that_has_not_started_is_no_no_show(
    client, sme_user, platform_user, platform_headers, equipment
):
    booking = booking_in("confirmed", sme_user, platform_user, equipment)

    response = action(client, booking, "no-show", platform_headers)

    error = assert_error(response, 422, "rule_violation")
    assert error["details"]["rule"] == "not_started"
    assert reload(booking).status == BookingStatus.CONFIRMED


def test_a_started_pending_booking_is_no_no_show(client, sme_user, platform_headers, equipment):
    booking = started_booking(sme_user, equipment)  # requires approval: still pending

    response = action(client, booking, "no-show", platform_headers)

    assert_error(response, 409, "invalid_state")
    assert reload(booking).status == BookingStatus.PENDING


# --- withdrawing an idle window bookings depend on -------------------------------------------


def window_url(equipment, window) -> str:
    return f"/api/v1/equipment/{equipment.id}/idle-windows/{window.id}"


def add_one_off(equipment, start: datetime, end: datetime) -> IdleWindow:
    window = IdleWindow(kind=IdleWindowKind.ONCE, start_at=start, end_at=end)
    equipment.idle_windows.append(window)
    db.session.commit()
    return window


def window_ids(equipment) -> list[int]:
    db.session.expire_all()
    return [window.id for window in db.session.get(type(equipment), equipment.id).idle_windows]


def test_a_window_a_future_booking_needs_is_not_withdrawn(
    client, sme_user, platform_headers, equipment
):
    (weekly,) = equipment.idle_windows
    needing = [book(sme_user, equipment, 10, 12), book(sme_user, equipment, 14, 16)]

    response = client.delete(window_url(equipment, weekly), headers=platform_headers)

    error = assert_error(response, 409, "invalid_state")
    assert error["details"]["booking_ids"] == [booking.id for booking in needing]
    assert window_ids(equipment) == [weekly.id]
    assert [reload(booking).status for booking in needing] == [BookingStatus.PENDING] * 2


@pytest.mark.parametrize("force", ["1", "true"])
def test_force_cancels_the_dependent_bookings_with_notice_then_withdraws(
    client, sme_user, platform_user, platform_headers, equipment, force
):
    (weekly,) = equipment.idle_windows
    booking = book(sme_user, equipment, 10, 12)

    response = client.delete(
        window_url(equipment, weekly), query_string={"force": force}, headers=platform_headers
    )

    assert response.status_code == 204, response.get_data(as_text=True)
    assert window_ids(equipment) == []
    cancelled = reload(booking)
    assert cancelled.status == BookingStatus.CANCELLED
    assert cancelled.status_reason == IDLE_WINDOW_WITHDRAWN
    assert cancelled.late_cancellation is False
    last = audit_trail(cancelled)[-1]
    assert (last.action, last.to_state, last.actor_id) == ("cancel", "cancelled", platform_user.id)
    assert last.reason == IDLE_WINDOW_WITHDRAWN
    notifications.expand_booking_events()
    recipients = db.session.scalars(
        select(OutboxMessage.recipient).where(OutboxMessage.subject.contains("取消"))
    ).all()
    assert sme_user.email in recipients


def test_force_zero_is_no_force(client, sme_user, platform_headers, equipment):
    (weekly,) = equipment.idle_windows
    book(sme_user, equipment, 10, 12)

    response = client.delete(
        window_url(equipment, weekly), query_string={"force": "0"}, headers=platform_headers
    )

    assert_error(response, 409, "invalid_state")
    assert window_ids(equipment) == [weekly.id]


def test_only_the_bookings_that_need_the_window_are_cancelled(
    client, sme_user, platform_headers, equipment
):
    """An evening one-off window: the booking inside it needs it; the one in the weekly
    window does not, and neither does one that the weekly window also covers."""
    (weekly,) = equipment.idle_windows
    evening = add_one_off(equipment, local(TUESDAY, 19), local(TUESDAY, 22))
    in_the_evening = book(sme_user, equipment, 20, 21)
    across = book(sme_user, equipment, 19, 20, day=TUESDAY)  # weekly covers it too
    by_day = book(sme_user, equipment, 10, 12)

    refused = client.delete(window_url(equipment, evening), headers=platform_headers)
    forced = client.delete(
        window_url(equipment, evening), query_string={"force": "1"}, headers=platform_headers
    )

    assert assert_error(refused, 409, "invalid_state")["details"]["booking_ids"] == [
        in_the_evening.id
    ]
    assert forced.status_code == 204
    assert window_ids(equipment) == [weekly.id]
    assert reload(in_the_evening).status == BookingStatus.CANCELLED
    assert reload(across).status == BookingStatus.PENDING
    assert reload(by_day).status == BookingStatus.PENDING


def test_a_window_no_booking_needs_is_withdrawn_at_once(
    client, sme_user, platform_headers, equipment
):
    (weekly,) = equipment.idle_windows
    # the one-off window covers the booking too, so the weekly window is not needed for it
    add_one_off(equipment, local(TUESDAY, 9), local(TUESDAY, 13))
    covered_twice = book(sme_user, equipment, 10, 12)

    response = client.delete(window_url(equipment, weekly), headers=platform_headers)

    assert response.status_code == 204
    assert weekly.id not in window_ids(equipment)
    assert reload(covered_twice).status == BookingStatus.PENDING


@pytest.mark.parametrize("kind", ["started", "cancelled"])
def test_past_and_inactive_bookings_do_not_hold_a_window(
    client, sme_user, platform_user, platform_headers, equipment, kind
):
    (weekly,) = equipment.idle_windows
    if kind == "started":
        booking = started_booking(sme_user, equipment)
    else:
        booking = booking_in("cancelled", sme_user, platform_user, equipment)
    status = booking.status

    response = client.delete(window_url(equipment, weekly), headers=platform_headers)

    assert response.status_code == 204
    assert window_ids(equipment) == []
    assert reload(booking).status == status


def test_another_platform_cannot_force_a_withdrawal(
    client, sme_user, api_headers, make_user, equipment
):
    (weekly,) = equipment.idle_windows
    booking = book(sme_user, equipment, 10, 12)

    response = client.delete(
        window_url(equipment, weekly),
        query_string={"force": "1"},
        headers=api_headers(make_user("platform")),
    )

    assert_error(response, 403, "forbidden")
    assert window_ids(equipment) == [weekly.id]
    assert reload(booking).status == BookingStatus.PENDING


# --- the OpenAPI document -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "methods"),
    [
        ("/api/v1/bookings", {"get", "post"}),
        ("/api/v1/bookings/{booking_id}", {"get"}),
        ("/api/v1/bookings/{booking_id}/approve", {"post"}),
        ("/api/v1/bookings/{booking_id}/reject", {"post"}),
        ("/api/v1/bookings/{booking_id}/cancel", {"post"}),
        ("/api/v1/bookings/{booking_id}/no-show", {"post"}),
        ("/api/v1/equipment/{equipment_id}/availability", {"get"}),
    ],
)
def test_openapi_document_lists_the_booking_operations(client, path, methods):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert methods <= set(paths[path])


def test_openapi_document_describes_bookings(client):
    document = client.get("/api/v1/openapi.json").get_json()

    booking = document["components"]["schemas"]["Booking"]["properties"]
    assert booking["estimated_fee"]["type"] == "string"
    post = document["paths"]["/api/v1/bookings"]["post"]
    assert {"201", "400", "401", "403", "404", "409", "422"} <= set(post["responses"])
    delete = document["paths"]["/api/v1/equipment/{equipment_id}/idle-windows/{window_id}"]
    assert "409" in delete["delete"]["responses"]
    assert "force" in [parameter["name"] for parameter in delete["delete"]["parameters"]]
