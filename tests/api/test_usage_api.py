"""Usage records through the API: recording, confirming, disputing, correcting and waiving, who
may do which, the states each needs, what a refusal leaves behind (nothing), and the list.

Bookings are made through the service with `now=` two days before their start, on days that have
passed, so their use can be recorded now. The instrument is idle all day (so a check-in works at
any hour), 150.00/h in 30-minute increments plus 60.00 setup, with a sample item and a no-show
charge in its rate card since a month ago.
"""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.rate_cards import validate_rate_card
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, RateCardVersion, UsageRecord
from equipment_share.services import bookings
from tests.clock import SHANGHAI, at, local
from tests.conftest import count_rows

TODAY = datetime.now(SHANGHAI).date()
DAY = TODAY - timedelta(days=3)
ALL_DAY = [((0, 1, 2, 3, 4, 5, 6), time(0), time(0))]
RATE_CARD = {
    "hourly_rate": "150.00",
    "setup_fee": "60.00",
    "min_charge_minutes": 0,
    "billing_increment_minutes": 30,
    "items": [{"code": "sample", "label": "Sample preparation", "unit_price": "12.50"}],
    "no_show_fee": {"kind": "percent", "value": "50"},
}
# the same rates as the instrument's own listed fields
RATE_CARD_LISTED = {
    name: RATE_CARD[name]
    for name in ("hourly_rate", "setup_fee", "min_charge_minutes", "billing_increment_minutes")
}


def in_utc(day: date, hour: int, minute: int = 0) -> str:
    """The instant as the audit log keeps it."""
    return local(day, hour, minute).astimezone(UTC).isoformat()


def listed_for_a_month(equipment) -> None:
    """The instrument's rate card has been in force for a month (bookings in the past use it)."""
    version = RateCardVersion(
        equipment_id=equipment.id,
        effective_from=datetime.now(UTC) - timedelta(days=30),
        **validate_rate_card(RATE_CARD),
    )
    db.session.add(version)
    db.session.commit()


@pytest.fixture
def equipment(platform_user, make_equipment):
    equipment = make_equipment(
        platform_user.organization, requires_approval=False, weekly=ALL_DAY, **RATE_CARD_LISTED
    )
    listed_for_a_month(equipment)
    return equipment


@pytest.fixture
def headers(api_headers, platform_user, sme_user):
    return {"platform": api_headers(platform_user), "sme": api_headers(sme_user)}


def past_booking(sme_user, equipment, day=DAY, start=(10, 0), end=(12, 0)) -> Booking:
    """A confirmed booking of a day that has passed, made two days before it began."""
    start_at, end_at = local(day, *start), local(day, *end)
    booking = bookings.create_booking(
        sme_user, equipment.id, start_at, end_at, "R&D", now=start_at - timedelta(days=2)
    )
    db.session.commit()
    return booking


def usage_body(day=DAY, start=(10, 5), end=(11, 40), **extra) -> dict:
    """10:05-11:40 by default: 95 minutes, billed as 120 (30-minute increments)."""
    return {"actual_start": at(day, *start), "actual_end": at(day, *end), "note": "ok"} | extra


def record_use(client, headers, booking, **body) -> dict:
    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage", json=usage_body(**body), headers=headers["platform"]
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code
    assert error["message"]
    return error


def usage_log(usage_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "usage", AuditEntry.object_id == usage_id)
            .order_by(AuditEntry.position)
        )
    )


class Unchanged:
    """Counts of records and audit entries, to check that a refused request wrote nothing."""

    def __init__(self):
        self.counts = self.now()

    @staticmethod
    def now() -> tuple[int, int]:
        db.session.expire_all()
        return count_rows(UsageRecord), count_rows(AuditEntry)

    def check(self) -> None:
        assert self.now() == self.counts


# --- the whole life of a record -------------------------------------------------------------


def test_platform_records_use_and_the_sme_confirms_it(
    client, headers, sme_user, equipment, platform_user
):
    booking = past_booking(sme_user, equipment)

    record = record_use(client, headers, booking)

    assert record == {
        "id": record["id"],
        "booking_id": booking.id,
        "equipment_id": equipment.id,
        "organization_id": sme_user.organization_id,
        "platform_id": platform_user.organization_id,
        "kind": "usage",
        "status": "recorded",
        "actual_start": at(DAY, 10, 5),
        "actual_end": at(DAY, 11, 40),
        "actual_minutes": 95,
        "billable_minutes": 120,
        "fee": "360.00",
        "lines": [
            {
                "kind": "time",
                "description": "Machine time",
                "quantity": "2.0000",
                "unit_price": "150.00",
                "amount": "300.00",
                "minutes": 120,
            },
            {
                "kind": "setup",
                "description": "Setup fee",
                "quantity": "1",
                "unit_price": "60.00",
                "amount": "60.00",
                "minutes": None,
            },
        ],
        "items": [],
        "overrun": False,
        "note": "ok",
        "status_reason": "",
        "corrections": 0,
        "confirmed_at": None,
        "auto_confirmed": False,
        "created_at": record["created_at"],
        "updated_at": record["updated_at"],
    }
    shown = client.get(f"/api/v1/bookings/{booking.id}", headers=headers["sme"]).get_json()
    assert (shown["status"], shown["usage_id"]) == ("completed", record["id"])

    confirmed = client.post(f"/api/v1/usage/{record['id']}/confirm", headers=headers["sme"])

    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    body = confirmed.get_json()
    assert (body["status"], body["fee"], body["auto_confirmed"]) == ("confirmed", "360.00", False)
    assert body["confirmed_at"].endswith("+08:00")
    assert [(entry.action, entry.to_state) for entry in usage_log(record["id"])] == [
        ("record", "recorded"),
        ("confirm", "confirmed"),
    ]
    assert usage_log(record["id"])[1].actor_id == sme_user.id


def test_items_and_an_overrun_are_priced_and_flagged(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)

    record = record_use(
        client, headers, booking, end=(12, 20), items=[{"code": "sample", "quantity": "3"}]
    )

    # 10:05-12:20: 135 minutes, billed as 150: 375.00 + 60.00 setup + 3 x 12.50
    assert (record["billable_minutes"], record["fee"], record["overrun"]) == (150, "472.50", True)
    assert record["items"] == [{"code": "sample", "quantity": "3"}]
    assert record["lines"][-1] == {
        "kind": "item",
        "description": "Sample preparation",
        "quantity": "3",
        "unit_price": "12.50",
        "amount": "37.50",
        "minutes": None,
    }


def test_a_disputed_record_is_corrected_then_confirmed_and_the_log_keeps_the_old_values(
    client, headers, sme_user, platform_user, equipment
):
    booking = past_booking(sme_user, equipment)
    usage_id = record_use(client, headers, booking)["id"]

    disputed = client.post(
        f"/api/v1/usage/{usage_id}/dispute",
        json={"reason": "We left at 11:00."},
        headers=headers["sme"],
    )
    assert disputed.status_code == 200, disputed.get_data(as_text=True)
    assert (disputed.get_json()["status"], disputed.get_json()["status_reason"]) == (
        "disputed",
        "We left at 11:00.",
    )

    corrected = client.post(
        f"/api/v1/usage/{usage_id}/correct",
        json={
            "actual_start": at(DAY, 10, 5),
            "actual_end": at(DAY, 11, 0),
            "reason": "The log book agrees: 11:00.",
        },
        headers=headers["platform"],
    )

    assert corrected.status_code == 200, corrected.get_data(as_text=True)
    body = corrected.get_json()
    # 55 minutes, billed as 60: 150.00 + 60.00
    assert (body["status"], body["actual_end"], body["billable_minutes"], body["fee"]) == (
        "recorded",
        at(DAY, 11),
        60,
        "210.00",
    )
    assert (body["corrections"], body["status_reason"]) == (1, "The log book agrees: 11:00.")
    assert body["note"] == "ok"  # omitted: kept
    correction = usage_log(usage_id)[-1]
    assert (correction.action, correction.actor_id) == ("correct", platform_user.id)
    assert (correction.from_state, correction.to_state) == ("disputed", "recorded")
    assert correction.reason == "The log book agrees: 11:00."
    assert correction.changes["actual_end"] == {
        "from": in_utc(DAY, 11, 40),
        "to": in_utc(DAY, 11, 0),
    }
    assert correction.changes["fee"] == {"from": "360.00", "to": "210.00"}
    assert "actual_start" not in correction.changes  # unchanged values are not repeated

    confirmed = client.post(f"/api/v1/usage/{usage_id}/confirm", headers=headers["sme"])

    assert (confirmed.status_code, confirmed.get_json()["fee"]) == (200, "210.00")
    assert [entry.action for entry in usage_log(usage_id)] == [
        "record",
        "dispute",
        "correct",
        "confirm",
    ]


def test_check_in_now_then_check_out_prices_the_use(client, headers, sme_user, equipment):
    now = datetime.now(SHANGHAI)
    start = now.replace(minute=now.minute - now.minute % 30, second=0, microsecond=0)
    booking = bookings.create_booking(
        sme_user,
        equipment.id,
        start,
        start + timedelta(minutes=60),  # at least half an hour left
        "R&D",
        now=start - timedelta(days=2),
    )
    db.session.commit()

    checked_in = client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers["platform"])

    assert checked_in.status_code == 201, checked_in.get_data(as_text=True)
    record = checked_in.get_json()
    assert (record["status"], record["actual_end"], record["fee"]) == ("in_progress", None, "0.00")
    assert record["actual_start"].endswith("+08:00")
    assert datetime.fromisoformat(record["actual_start"]) >= now.replace(microsecond=0)

    checked_out = client.post(
        f"/api/v1/usage/{record['id']}/check-out",
        json={"items": [{"code": "sample", "quantity": 2}], "note": "two samples"},
        headers=headers["platform"],
    )

    assert checked_out.status_code == 200, checked_out.get_data(as_text=True)
    body = checked_out.get_json()
    # a minute or so of use, billed as one 30-minute increment: 75.00 + 60.00 + 2 x 12.50
    assert (body["status"], body["billable_minutes"], body["fee"]) == ("recorded", 30, "160.00")
    assert (body["note"], body["items"]) == ("two samples", [{"code": "sample", "quantity": "2"}])
    assert (body["actual_minutes"], body["actual_end"] >= body["actual_start"]) == (1, True)
    db.session.expire_all()
    assert db.session.get(Booking, booking.id).status == BookingStatus.COMPLETED
    assert [entry.action for entry in usage_log(record["id"])] == ["check_in", "check_out"]


def test_check_in_is_refused_outside_the_booked_time(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)
    unchanged = Unchanged()

    response = client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers["platform"])

    assert assert_error(response, 422, "rule_violation")["details"]["rule"] == "check_in_time"
    unchanged.check()


def test_the_platform_waives_a_no_show_charge(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)
    marked = client.post(f"/api/v1/bookings/{booking.id}/no-show", headers=headers["platform"])
    usage_id = marked.get_json()["usage_id"]

    charge = client.get(f"/api/v1/usage/{usage_id}", headers=headers["sme"]).get_json()
    # half of the estimate: 2 h x 150.00 + 60.00 = 360.00
    assert (charge["kind"], charge["status"], charge["fee"]) == ("no_show", "recorded", "180.00")
    assert (charge["actual_start"], charge["actual_end"]) == (None, None)

    waived = client.post(
        f"/api/v1/usage/{usage_id}/waive",
        json={"reason": "The road was closed."},
        headers=headers["platform"],
    )

    assert waived.status_code == 200, waived.get_data(as_text=True)
    body = waived.get_json()
    assert (body["status"], body["fee"], body["lines"]) == ("recorded", "0.00", [])
    assert usage_log(usage_id)[-1].changes["fee"] == {"from": "180.00", "to": "0.00"}


def test_a_no_show_charge_corrected_with_times_becomes_use(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)
    marked = client.post(f"/api/v1/bookings/{booking.id}/no-show", headers=headers["platform"])
    usage_id = marked.get_json()["usage_id"]

    corrected = client.post(
        f"/api/v1/usage/{usage_id}/correct",
        json=usage_body(reason="They came, late."),
        headers=headers["platform"],
    )

    assert corrected.status_code == 200, corrected.get_data(as_text=True)
    body = corrected.get_json()
    assert (body["kind"], body["status"], body["fee"]) == ("usage", "recorded", "360.00")
    shown = client.get(f"/api/v1/bookings/{booking.id}", headers=headers["sme"]).get_json()
    assert shown["status"] == "completed"


# --- who may act ----------------------------------------------------------------------------


def test_the_sme_cannot_record_and_the_platform_cannot_confirm(
    client, headers, sme_user, equipment
):
    booking = past_booking(sme_user, equipment)
    unchanged = Unchanged()

    by_sme = client.post(
        f"/api/v1/bookings/{booking.id}/usage", json=usage_body(), headers=headers["sme"]
    )

    assert_error(by_sme, 403, "forbidden")
    assert_error(
        client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers["sme"]),
        403,
        "forbidden",
    )
    unchanged.check()

    usage_id = record_use(client, headers, booking)["id"]
    unchanged = Unchanged()
    for action, body in (("confirm", None), ("dispute", {"reason": "no"})):
        by_platform = client.post(
            f"/api/v1/usage/{usage_id}/{action}", json=body, headers=headers["platform"]
        )
        assert_error(by_platform, 403, "forbidden")
    for action, body in (
        ("correct", usage_body(reason="mine")),
        ("waive", {"reason": "mine"}),
        ("check-out", {}),
    ):
        by_sme = client.post(
            f"/api/v1/usage/{usage_id}/{action}", json=body, headers=headers["sme"]
        )
        assert_error(by_sme, 403, "forbidden")
    unchanged.check()


@pytest.mark.parametrize("who", ["other_sme", "other_platform"])
def test_other_organisations_do_not_learn_the_record_exists(
    client, headers, api_headers, make_user, sme_user, equipment, who
):
    booking = past_booking(sme_user, equipment)
    usage_id = record_use(client, headers, booking)["id"]
    outsider = api_headers(make_user(who.removeprefix("other_")))
    unchanged = Unchanged()

    for response in (
        client.get(f"/api/v1/usage/{usage_id}", headers=outsider),
        client.post(f"/api/v1/usage/{usage_id}/confirm", headers=outsider),
        client.post(f"/api/v1/usage/{usage_id}/dispute", json={"reason": "x"}, headers=outsider),
        client.post(
            f"/api/v1/usage/{usage_id}/correct", json=usage_body(reason="x"), headers=outsider
        ),
        client.post(f"/api/v1/bookings/{booking.id}/usage", json=usage_body(), headers=outsider),
    ):
        assert_error(response, 404, "not_found")
    assert client.get("/api/v1/usage", headers=outsider).get_json()["total"] == 0
    unchanged.check()


@pytest.mark.parametrize("role", ["admin", "finance"])
def test_the_operators_see_records_but_do_not_settle_them(
    client, headers, api_headers, make_user, sme_user, equipment, role
):
    usage_id = record_use(client, headers, past_booking(sme_user, equipment))["id"]
    operator = api_headers(make_user(role))

    assert client.get(f"/api/v1/usage/{usage_id}", headers=operator).status_code == 200
    assert_error(
        client.post(f"/api/v1/usage/{usage_id}/confirm", headers=operator), 403, "forbidden"
    )


def test_an_unknown_record_is_not_found(client, headers):
    assert_error(client.get("/api/v1/usage/999999", headers=headers["sme"]), 404, "not_found")
    assert_error(
        client.post(f"/api/v1/usage/{2**31}/confirm", headers=headers["sme"]), 404, "not_found"
    )


# --- states ---------------------------------------------------------------------------------


def test_actions_in_the_wrong_state_are_refused(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)
    usage_id = record_use(client, headers, booking)["id"]
    client.post(f"/api/v1/usage/{usage_id}/confirm", headers=headers["sme"])
    unchanged = Unchanged()

    for response in (
        client.post(
            f"/api/v1/bookings/{booking.id}/usage", json=usage_body(), headers=headers["platform"]
        ),
        client.post(f"/api/v1/bookings/{booking.id}/check-in", headers=headers["platform"]),
        client.post(f"/api/v1/usage/{usage_id}/confirm", headers=headers["sme"]),
        client.post(
            f"/api/v1/usage/{usage_id}/dispute", json={"reason": "x"}, headers=headers["sme"]
        ),
        client.post(
            f"/api/v1/usage/{usage_id}/correct",
            json=usage_body(reason="late"),
            headers=headers["platform"],
        ),
        client.post(
            f"/api/v1/usage/{usage_id}/waive", json={"reason": "late"}, headers=headers["platform"]
        ),
        client.post(f"/api/v1/usage/{usage_id}/check-out", json={}, headers=headers["platform"]),
    ):
        assert_error(response, 409, "invalid_state")
    unchanged.check()


def test_use_of_a_booking_that_is_not_confirmed_cannot_be_recorded(
    client, headers, sme_user, equipment
):
    booking = past_booking(sme_user, equipment)
    bookings.cancel(
        sme_user, booking, "plans changed", now=booking.start_at - timedelta(days=1, hours=12)
    )
    db.session.commit()
    unchanged = Unchanged()

    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage", json=usage_body(), headers=headers["platform"]
    )

    assert assert_error(response, 409, "invalid_state")["details"]["status"] == "cancelled"
    unchanged.check()


# --- refused input --------------------------------------------------------------------------


def future() -> str:
    """Far enough ahead that it is still the future when the test runs."""
    return (datetime.now(SHANGHAI) + timedelta(days=2)).isoformat()


@pytest.mark.parametrize(
    ("change", "fields"),
    [
        ({"actual_end": at(DAY, 10, 0)}, {"actual_end"}),  # before the start
        ({"actual_end": at(DAY, 10, 5)}, {"actual_end"}),  # no length
        ({"actual_start": at(DAY, 8, 30)}, {"actual_start"}),  # 90 minutes early
        ({"actual_start": at(DAY, 12, 0)}, {"actual_start", "actual_end"}),  # after the booking
        ({"actual_end": future()}, {"actual_end"}),
        ({"items": [{"code": "gold", "quantity": "1"}]}, {"items.0.code"}),
        ({"items": [{"code": "sample", "quantity": "-1"}]}, {"items.0.quantity"}),
        ({"items": [{"code": "sample", "quantity": "0.0001"}]}, {"items.0.quantity"}),
        ({"actual_start": "at ten"}, {"actual_start"}),
        ({"note": "x" * 2001}, {"note"}),
    ],
)
def test_unusable_values_are_refused_and_change_nothing(
    client, headers, sme_user, equipment, change, fields
):
    booking = past_booking(sme_user, equipment)
    unchanged = Unchanged()

    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage",
        json=usage_body() | change,
        headers=headers["platform"],
    )

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == fields
    unchanged.check()
    assert db.session.get(Booking, booking.id).status == BookingStatus.CONFIRMED


def test_missing_times_are_required(client, headers, sme_user, equipment):
    booking = past_booking(sme_user, equipment)

    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage", json={}, headers=headers["platform"]
    )

    error = assert_error(response, 422, "validation_error")
    assert set(error["details"]["fields"]) == {"actual_start", "actual_end"}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"actual_start": 1764550800}, "actual_start"),
        ({"note": 12}, "note"),
        ({"items": {"code": "sample"}}, "items"),
        ({"items": [{"code": "sample", "quantity": 1.5}]}, "items.0.quantity"),
        ({"items": [{"code": "sample", "quantity": "1", "price": "0"}]}, "items.0.price"),
        ({"fee": "0.00"}, "fee"),
    ],
)
def test_wrong_types_are_a_bad_request(client, headers, sme_user, equipment, change, field):
    booking = past_booking(sme_user, equipment)
    unchanged = Unchanged()

    response = client.post(
        f"/api/v1/bookings/{booking.id}/usage",
        json=usage_body() | change,
        headers=headers["platform"],
    )

    assert field in assert_error(response, 400, "bad_request")["details"]["fields"]
    unchanged.check()


def test_a_correction_and_a_dispute_need_a_reason(client, headers, sme_user, equipment):
    usage_id = record_use(client, headers, past_booking(sme_user, equipment))["id"]
    unchanged = Unchanged()

    no_reason = client.post(
        f"/api/v1/usage/{usage_id}/correct", json=usage_body(), headers=headers["platform"]
    )
    blank_reason = client.post(
        f"/api/v1/usage/{usage_id}/dispute", json={"reason": "  "}, headers=headers["sme"]
    )

    assert set(assert_error(no_reason, 422, "validation_error")["details"]["fields"]) == {"reason"}
    assert set(assert_error(blank_reason, 422, "validation_error")["details"]["fields"]) == {
        "reason"
    }
    unchanged.check()


def test_a_correction_into_the_future_changes_nothing(client, headers, sme_user, equipment):
    usage_id = record_use(client, headers, past_booking(sme_user, equipment))["id"]
    unchanged = Unchanged()

    response = client.post(
        f"/api/v1/usage/{usage_id}/correct",
        json=usage_body(end=(11, 0), reason="typo") | {"actual_end": future()},
        headers=headers["platform"],
    )

    assert set(assert_error(response, 422, "validation_error")["details"]["fields"]) == {
        "actual_end"
    }
    unchanged.check()
    record = db.session.get(UsageRecord, usage_id)
    assert (record.fee, record.corrections) == (360, 0)


# --- the list -------------------------------------------------------------------------------


@pytest.fixture
def records(client, headers, make_user, make_equipment, platform_user, sme_user, equipment):
    """Four records: the SME's on three days (one confirmed, one disputed) on the platform's
    first instrument, and another SME's on its second instrument."""
    second = make_equipment(platform_user.organization, requires_approval=False)
    listed_for_a_month(second)
    other_sme = make_user("sme")
    made = {
        "first": record_use(client, headers, past_booking(sme_user, equipment, day=DAY)),
        "second": record_use(
            client,
            headers,
            past_booking(sme_user, equipment, day=DAY + timedelta(1)),
            day=DAY + timedelta(1),
        ),
        "third": record_use(
            client,
            headers,
            past_booking(sme_user, equipment, day=DAY + timedelta(2)),
            day=DAY + timedelta(2),
        ),
        "other": record_use(client, headers, past_booking(other_sme, second, day=DAY)),
    }
    client.post(f"/api/v1/usage/{made['first']['id']}/confirm", headers=headers["sme"])
    client.post(
        f"/api/v1/usage/{made['second']['id']}/dispute",
        json={"reason": "x"},
        headers=headers["sme"],
    )
    ids = {name: record["id"] for name, record in made.items()}
    return ids, second, other_sme


def listed(client, headers, **query) -> list[int]:
    response = client.get("/api/v1/usage", query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return [item["id"] for item in response.get_json()["items"]]


def test_each_side_lists_its_own_records_by_when_they_happened(
    client, headers, api_headers, make_user, records
):
    ids, _, other_sme = records

    assert listed(client, headers["sme"]) == [ids["first"], ids["second"], ids["third"]]
    assert listed(client, api_headers(other_sme)) == [ids["other"]]
    # the platform sees both SMEs' records; same-day records by start, then id
    assert listed(client, headers["platform"]) == [
        ids["first"],
        ids["other"],
        ids["second"],
        ids["third"],
    ]
    assert len(listed(client, api_headers(make_user("finance")))) == 4


def test_list_filters(client, headers, records, sme_user, equipment):
    ids, second, other_sme = records
    platform = headers["platform"]

    assert listed(client, platform, status="confirmed") == [ids["first"]]
    assert listed(client, platform, status="disputed") == [ids["second"]]
    assert listed(client, platform, equipment_id=second.id) == [ids["other"]]
    assert listed(client, platform, organization_id=other_sme.organization_id) == [ids["other"]]
    assert listed(client, platform, organization_id=sme_user.organization_id) == [
        ids["first"],
        ids["second"],
        ids["third"],
    ]
    assert listed(
        client, platform, **{"from": at(DAY + timedelta(1), 0), "to": at(DAY + timedelta(2), 0)}
    ) == [ids["second"]]
    assert listed(client, platform, **{"from": at(DAY, 10, 5), "to": at(DAY, 10, 6)}) == [
        ids["first"],
        ids["other"],
    ]


def test_the_list_is_paginated(client, headers, records):
    ids, _, _ = records

    response = client.get("/api/v1/usage?per_page=2&page=2", headers=headers["platform"])

    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"]) == (2, 2, 4)
    assert [item["id"] for item in body["items"]] == [ids["second"], ids["third"]]


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ("status=paid", 422, "status"),
        ("from=2026-12-02T00:00:00%2B08:00&to=2026-12-01T00:00:00%2B08:00", 422, "to"),
        ("per_page=500", 422, "per_page"),
        ("equipment_id=abc", 400, "equipment_id"),
        ("platform=3", 400, "platform"),
    ],
)
def test_bad_list_filters_are_refused(client, headers, query, status, field):
    response = client.get(f"/api/v1/usage?{query}", headers=headers["sme"])

    code = "bad_request" if status == 400 else "validation_error"
    assert field in assert_error(response, status, code)["details"]["fields"]


def test_the_openapi_document_lists_the_usage_operations(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]

    assert {"post"} <= set(paths["/api/v1/bookings/{booking_id}/usage"])
    assert {"post"} <= set(paths["/api/v1/bookings/{booking_id}/check-in"])
    assert {"get"} <= set(paths["/api/v1/usage"])
    assert {"get"} <= set(paths["/api/v1/usage/{usage_id}"])
    for action in ("confirm", "dispute", "correct", "waive", "check-out"):
        assert {"post"} <= set(paths[f"/api/v1/usage/{{usage_id}}/{action}"])
