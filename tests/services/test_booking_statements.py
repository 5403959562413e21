"""What booking a slot asks of the database: a handful of statements, the mail one row (addressed,
and its in-app notices written, when it is sent), the audit chain read at its last entry only
(benchmarks/bench_booking.py has the throughput; the README's Performance section lists the
statements)."""

from datetime import timedelta

import pytest
from sqlalchemy import event, inspect, select

from equipment_share.api.schemas import BookingSchema
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, User
from equipment_share.services import bookings, rate_cards
from tests.clock import local, next_weekday

TUESDAY = next_weekday(1)
# the in-app notices, their group-robot posts and the platform users they go to: when sent
NOT_IN_THE_BOOKING = ("notifications", "webhook", "WHERE users.organization_id")


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def test_booking_a_slot_runs_four_statements_on_postgresql(statements, make_equipment, make_user):
    equipment = make_equipment(requires_approval=False)
    sme_user = make_user("sme")
    make_user("platform", equipment.platform)
    bookings.create_booking(sme_user, equipment.id, local(TUESDAY, 8), local(TUESDAY, 9))
    db.session.commit()
    equipment_id, user_id = equipment.id, sme_user.id
    db.session.remove()  # a new request: only the acting user and organisation are loaded
    actor = db.session.get(User, user_id)
    assert actor.organization is not None
    statements.clear()

    bookings.create_booking(actor, equipment_id, local(TUESDAY, 10), local(TUESDAY, 11))

    work = [text for text in statements if not text.startswith(("BEGIN", "SAVEPOINT"))]
    # PostgreSQL: the lock, the read, the INSERTs of the booking and its outbox row with the
    # chain head's lock in one statement, the audit entry. SQLite (locked by BEGIN IMMEDIATE):
    # the read, the two INSERTs, the chain head, the audit entry.
    assert len(work) <= (4 if db.engine.dialect.name == "postgresql" else 5), "\n".join(work)
    assert not [text for text in work if any(name in text for name in NOT_IN_THE_BOOKING)]
    [load] = [text for text in work if text.startswith("SELECT equipment.id, ")]
    assert "rate_cards" in load and "idle_windows" in load and "organizations" in load
    # what overlaps the slot is read with the instrument, after its lock
    assert all(f"FROM {table}" in load for table in ("production_runs", "maintenance_blocks"))
    assert work[0].startswith("SELECT equipment.id FROM equipment") or "FOR UPDATE" not in load
    # only the columns booking needs
    assert "equipment.description" not in load and "organizations.uscc" not in load
    assert sum("INSERT INTO outbox_messages" in text for text in work) == 1
    # the audit chain: its head row, locked and read in one statement; the entries are not read
    [chain] = [text for text in work if "FROM audit_chain_head" in text]
    if db.engine.dialect.name == "postgresql":
        assert "INSERT INTO bookings" in chain and "INSERT INTO outbox_messages" in chain
        assert (
            "FROM audit_chain_head WHERE audit_chain_head.id = %(id_1)s::INTEGER FOR UPDATE"
            in chain
        )
    assert not [text for text in work if text.startswith("SELECT audit_entries")]


def test_the_rate_card_read_with_the_instrument_is_the_one_in_force(
    app, make_equipment, make_user, platform_user
):
    equipment = make_equipment(platform_user.organization, hourly_rate="100.00")
    sme_user = make_user("sme")
    monday = TUESDAY - timedelta(days=1)
    later = rate_cards.add_version(
        platform_user,
        equipment,
        {
            "hourly_rate": "500.00",
            "setup_fee": "0.00",
            "min_charge_minutes": 0,
            "billing_increment_minutes": 30,
        },
        monday,
    )
    db.session.commit()

    before = bookings.create_booking(sme_user, equipment.id, local(TUESDAY, 10), local(TUESDAY, 11))
    after = bookings.create_booking(
        sme_user, equipment.id, local(TUESDAY, 12), local(TUESDAY, 13), now=later.effective_from
    )

    assert before.rate_card_id != later.id and before.hourly_rate == 100
    assert after.rate_card_id == later.id and after.hourly_rate == 500


def test_the_booking_written_outside_the_flush_is_whole_and_clean(
    statements, make_equipment, make_user
):
    """The booking is one INSERT, not a flush: the object returned holds every column as written,
    is in the session with nothing pending, and its API answer reads no more rows."""
    equipment = make_equipment(requires_approval=True)
    sme_user = make_user("sme")
    db.session.commit()
    statements.clear()

    booking = bookings.create_booking(
        sme_user, equipment.id, local(TUESDAY, 10), local(TUESDAY, 11), purpose=" tests "
    )
    written = len(statements)
    answer = BookingSchema().dump(booking)

    state = inspect(booking)
    assert state.persistent and not state.expired_attributes and not state.modified
    assert not db.session.new and not db.session.dirty
    assert len(statements) == written
    db.session.commit()
    stored = db.session.execute(select(Booking.__table__).where(Booking.id == booking.id)).one()
    assert answer == BookingSchema().dump(db.session.get(Booking, booking.id))
    assert stored.status == "pending" and stored.purpose == "tests" and stored.sequence == 0
    assert booking.equipment is db.session.get(type(equipment), equipment.id)


def test_the_booking_request_acts_as_the_token_check_and_loads_no_user(
    statements, client, api_headers, make_equipment, make_user
):
    """POST /api/v1/bookings needs of its actor only the id, role and organisation that the
    token check reads (one statement of plain columns), not the User and its organisation as
    ORM objects; the booking and its audit entry still name the user."""
    equipment = make_equipment(requires_approval=False)
    sme_user = make_user("sme")
    headers = api_headers(sme_user)
    statements.clear()

    body = {
        "equipment_id": equipment.id,
        "start": local(TUESDAY, 10).isoformat(),
        "end": local(TUESDAY, 11).isoformat(),
    }
    answer = client.post("/api/v1/bookings", json=body, headers=headers)

    assert answer.status_code == 201, answer.get_json()
    reads_of_users = [text for text in statements if "FROM users" in text or "JOIN users" in text]
    [token_check] = reads_of_users
    assert "FROM api_tokens" in token_check and "users.password_hash" not in token_check
    booking = db.session.get(Booking, answer.get_json()["id"])
    assert (booking.booked_by_id, booking.organization_id) == (
        sme_user.id,
        sme_user.organization_id,
    )
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id
        )
    )
    assert (entry.action, entry.actor_id) == ("create", sme_user.id)
