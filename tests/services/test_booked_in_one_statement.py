"""On PostgreSQL a booking's INSERT, its outbox row and the audit chain head's lock are one
statement (services/bookings.BOOKED_IN_ONE_STATEMENT); elsewhere, and before, three. Both
ways must write the same rows: the booking, its "booked" event, and an audit entry that
extends the chain."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, OutboxMessage
from equipment_share.services import audit, bookings
from tests.clock import local, next_weekday

TUESDAY = next_weekday(1)
# what differs between two bookings made one after the other: ids, times, the chain's place
UNCOMPARED = {"id", "booking_id", "object_id", "created_at", "updated_at", "start_at", "end_at"}
UNCOMPARED_IN_CHAIN = {"position", "previous_hash", "entry_hash"}

# (requires approval, purpose, purpose category, hourly rate, setup fee, hours)
CASES = [
    (False, "", None, "300.00", "0.00", 1),
    (True, "  spectra of sample 7 ", "product_testing", "150.00", "60.00", 2),
    (False, "认证测试", "certification", "0.00", "0.00", 3),
    (True, "x" * 2000, "other", "99.99", "12.34", 1),
]


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if db.engine.dialect.name not in bookings.ONE_STATEMENT_DIALECTS:
        pytest.skip("the one-statement booking is PostgreSQL's")


def written(booking_id: int) -> dict:
    """The rows a booking wrote, as plain values, without what differs from one to the next."""

    def plain(table, *conditions, leave_out=UNCOMPARED) -> dict:
        [row] = db.session.execute(select(table).where(*conditions)).mappings().all()
        return {name: value for name, value in row.items() if name not in leave_out}

    return {
        "booking": plain(Booking.__table__, Booking.id == booking_id),
        "event": plain(OutboxMessage.__table__, OutboxMessage.booking_id == booking_id),
        "audit": plain(
            AuditEntry.__table__,
            AuditEntry.object_type == "booking",
            AuditEntry.object_id == booking_id,
            leave_out=UNCOMPARED | UNCOMPARED_IN_CHAIN,
        ),
    }


@pytest.mark.parametrize(("approval", "purpose", "category", "rate", "setup", "hours"), CASES)
def test_one_statement_writes_what_three_do(
    monkeypatch, make_equipment, make_user, approval, purpose, category, rate, setup, hours
):
    equipment = make_equipment(requires_approval=approval, hourly_rate=rate, setup_fee=setup)
    sme_user = make_user("sme")
    db.session.commit()

    def book(start_hour: int) -> int:
        start = local(TUESDAY, start_hour)
        booking = bookings.create_booking(
            sme_user,
            equipment.id,
            start,
            start + timedelta(hours=hours),
            purpose,
            purpose_category=category,
        )
        db.session.commit()
        return booking.id

    in_one = book(8)
    monkeypatch.setattr(bookings, "ONE_STATEMENT_DIALECTS", frozenset())
    in_three = book(14)

    assert written(in_one) == written(in_three)
    assert written(in_one)["booking"]["status"] == ("pending" if approval else "confirmed")
    assert audit.verify_chain()[1] is None


def test_one_statement_without_a_chain_head_yet_starts_the_chain(make_equipment, make_user):
    """Before the first entry there is no head row to lock: the entry makes it as before."""
    equipment = make_equipment(requires_approval=False)
    sme_user = make_user("sme")
    db.session.commit()
    db.session.execute(audit.HEAD.delete())
    db.session.commit()

    booking = bookings.create_booking(sme_user, equipment.id, local(TUESDAY, 9), local(TUESDAY, 10))
    db.session.commit()

    assert db.session.execute(select(audit.HEAD.c.position)).scalar_one() == audit.head()[0]
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.object_type == "booking", AuditEntry.object_id == booking.id
        )
    )
    assert entry.position == audit.head()[0]
    checked, broken = audit.verify_chain()
    assert broken is None and checked == entry.position
