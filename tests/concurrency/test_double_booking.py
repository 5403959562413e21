"""No double booking, across processes: a real gunicorn with 4 worker processes on the test's
database (SQLite by default, PostgreSQL when DATABASE_URL is set) and 32 clients that send
their POST /api/v1/bookings at the same moment.

Select these tests with `pytest -m concurrency`.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from itertools import combinations

import pytest
from sqlalchemy import func, select

from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, OutboxMessage
from equipment_share.services import audit
from tests.clock import SHANGHAI
from tests.concurrency.server import Server, all_at_once, describe, serving

pytestmark = pytest.mark.concurrency

CLIENTS = 32
ROUNDS = 5
ALL_DAY = [((0, 1, 2, 3, 4, 5, 6), clock(0), clock(0))]  # 00:00 to 24:00 every day


@dataclass
class Setting:
    equipment_id: int
    headers: dict
    server: Server


@pytest.fixture
def setting(app, tmp_path, make_equipment, make_user, api_headers):
    """An instrument bookable at once all day, an SME with a token, and gunicorn serving the
    test's database with 4 worker processes."""
    equipment = make_equipment(
        weekly=ALL_DAY, requires_approval=False, lead_time_hours=0, max_booking_minutes=480
    )
    equipment_id = equipment.id
    headers = api_headers(make_user("sme"))
    with serving(app, tmp_path, headers) as server:
        yield Setting(equipment_id, headers, server)


def midnight_next_week() -> datetime:
    day: date = datetime.now(SHANGHAI).date() + timedelta(days=7)
    return datetime.combine(day, clock(0), tzinfo=SHANGHAI)


def hours(count: float) -> timedelta:
    return timedelta(hours=count)


def book_all_at_once(setting: Setting, slots: list[tuple[datetime, datetime]]) -> list:
    """POST every slot at the same moment; answers in the order of the slots."""
    return all_at_once(
        setting.server,
        [
            (
                "POST",
                "/api/v1/bookings",
                setting.headers,
                {
                    "equipment_id": setting.equipment_id,
                    "start": start.isoformat(),
                    "end": end.isoformat(),
                    "purpose": "concurrency test",
                },
            )
            for start, end in slots
        ],
    )


def active_bookings(equipment_id: int) -> list[tuple[datetime, datetime]]:
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    rows = db.session.execute(
        select(Booking.start_at, Booking.end_at)
        .where(Booking.equipment_id == equipment_id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.start_at)
    )
    return [(start, end) for start, end in rows]


def interval_of(answer_body: dict) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(answer_body["start"]), datetime.fromisoformat(answer_body["end"])


def overlaps(first, second) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def test_one_slot_many_clients_exactly_one_wins(setting):
    # Several rounds, each on its own slot, because one race can be won by timing alone.
    midnight = midnight_next_week()
    won = []
    for round_number in range(ROUNDS):
        slot = (midnight + hours(2 * round_number), midnight + hours(2 * round_number + 2))

        answers = book_all_at_once(setting, [slot] * CLIENTS)

        statuses = [status for status, _ in answers]
        assert statuses.count(201) == 1, describe(answers)
        assert statuses.count(409) == CLIENTS - 1, describe(answers)
        winner = next(body for status, body in answers if status == 201)
        assert winner["status"] == "confirmed"
        assert interval_of(winner) == slot
        for status, body in answers:
            if status == 409:
                assert body["error"]["code"] == "booking_conflict"
                conflicts = body["error"]["details"]["conflicts"]
                assert [interval_of(conflict) for conflict in conflicts] == [slot]
        won.append(slot)
        assert active_bookings(setting.equipment_id) == won


def test_distinct_slots_all_succeed(setting):
    # Back to back, one hour each: the lock serialises them but refuses none (the end of a
    # booking is exclusive, so the next one may start at that instant).
    first = midnight_next_week()
    slots = [(first + hours(n), first + hours(n + 1)) for n in range(CLIENTS)]

    answers = book_all_at_once(setting, slots)

    assert [status for status, _ in answers] == [201] * CLIENTS, describe(answers)
    assert [interval_of(body) for _, body in answers] == slots
    assert active_bookings(setting.equipment_id) == slots


def test_staggered_overlapping_slots_never_overlap(setting):
    # Two hours each, starting every 30 minutes: slot n clashes with its 3 neighbours on each side.
    first = midnight_next_week() + hours(2)
    slots = [(first + hours(n / 2), first + hours(n / 2 + 2)) for n in range(CLIENTS)]

    answers = book_all_at_once(setting, slots)

    assert {status for status, _ in answers} <= {201, 409}, describe(answers)
    accepted = [slot for slot, (status, _) in zip(slots, answers, strict=True) if status == 201]
    for first_slot, second_slot in combinations(accepted, 2):
        assert not overlaps(first_slot, second_slot), (first_slot, second_slot)
    # Every refusal names a clash with a booking that was accepted, so none was refused for
    # nothing; hence at least one in every 7 consecutive slots won.
    for slot, (status, body) in zip(slots, answers, strict=True):
        if status == 409:
            assert body["error"]["code"] == "booking_conflict"
            conflicts = [
                interval_of(conflict) for conflict in body["error"]["details"]["conflicts"]
            ]
            assert conflicts, body
            for conflict in conflicts:
                assert conflict in accepted and overlaps(conflict, slot)
    assert len(accepted) >= -(-CLIENTS // 7)
    assert active_bookings(setting.equipment_id) == accepted


def test_bookings_of_many_instruments_at_once_extend_the_audit_chain_in_turn(
    setting, make_equipment
):
    """Bookings of different instruments do not wait on each other's instrument lock; the
    audit chain's head (locked with the booking's INSERT on PostgreSQL) still makes them
    append one at a time: one entry and one outbox row each, the chain intact."""
    instrument_ids = [setting.equipment_id] + [
        make_equipment(
            weekly=ALL_DAY, requires_approval=False, lead_time_hours=0, max_booking_minutes=480
        ).id
        for _ in range(CLIENTS - 1)
    ]
    db.session.commit()
    start = midnight_next_week() + hours(3)
    body = {"start": start.isoformat(), "end": (start + hours(1)).isoformat(), "purpose": "chain"}

    answers = all_at_once(
        setting.server,
        [
            ("POST", "/api/v1/bookings", setting.headers, body | {"equipment_id": instrument_id})
            for instrument_id in instrument_ids
        ],
    )

    assert [status for status, _ in answers] == [201] * CLIENTS, describe(answers)
    booked = sorted(answer["id"] for _, answer in answers)
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    entries = db.session.scalars(
        select(AuditEntry.object_id).where(
            AuditEntry.object_type == "booking", AuditEntry.action == "create"
        )
    ).all()
    events = db.session.scalars(
        select(OutboxMessage.booking_id).where(OutboxMessage.event == "booking_confirmed")
    ).all()
    assert sorted(entries) == booked and sorted(events) == booked
    assert audit.verify_chain() == (db.session.scalar(select(func.count(AuditEntry.id))), None)
