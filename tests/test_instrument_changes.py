"""The database's notes of changed instruments (models/instrument_changes.py): every change to an
instrument's bookings, idle windows, production runs and maintenance, by any statement, moves
that instrument's fingerprint (services/page_fingerprints.py) and no other's; writing a note
takes no lock; compacting them keeps the fingerprint moving."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, insert, select, text

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import (
    Booking,
    IdleWindow,
    IdleWindowKind,
    InstrumentChange,
    MaintenanceBlock,
    ProductionRun,
)
from equipment_share.services import bookings, instrument_changes
from equipment_share.services.page_fingerprints import instrument_fingerprint
from tests.clock import local, next_weekday

START = datetime(2030, 3, 4, tzinfo=UTC)
WINDOW = Interval(START, START + timedelta(days=7))
FAR_AWAY = START + timedelta(days=400)  # outside the window: moves the fingerprint all the same


def fingerprint(equipment_id: int) -> tuple:
    db.session.rollback()  # a fresh look, as a new request has
    return instrument_fingerprint(equipment_id, WINDOW).values


def booked_hour() -> tuple[datetime, datetime]:
    start = local(next_weekday(2), 10)
    return start, start + timedelta(hours=1)


def span(hours_from_start: int) -> dict:
    start = FAR_AWAY + timedelta(hours=hours_from_start)
    return {"start_at": start, "end_at": start + timedelta(hours=1)}


ROWS = {
    "production_runs": lambda equipment_id: insert(ProductionRun).values(
        equipment_id=equipment_id, summary="run", **span(0)
    ),
    "maintenance_blocks": lambda equipment_id: insert(MaintenanceBlock).values(
        equipment_id=equipment_id, **span(2)
    ),
    "idle_windows": lambda equipment_id: insert(IdleWindow).values(
        equipment_id=equipment_id, kind=IdleWindowKind.ONCE, **span(4)
    ),
}


@pytest.fixture
def two_instruments(make_org, make_equipment):
    platform = make_org("platform")
    watched, other = make_equipment(platform), make_equipment(platform)
    db.session.commit()
    return watched.id, other.id


@pytest.mark.parametrize("table", sorted(ROWS))
def test_each_change_outside_the_orm_moves_its_instrument_only(two_instruments, table):
    watched, other = two_instruments
    seen, others = [fingerprint(watched)], fingerprint(other)

    db.session.execute(ROWS[table](watched))
    db.session.commit()
    seen.append(fingerprint(watched))
    db.session.execute(
        text(f"UPDATE {table} SET end_at = end_at WHERE equipment_id = :id"), {"id": watched}
    )
    db.session.commit()
    seen.append(fingerprint(watched))
    db.session.execute(
        text(f"DELETE FROM {table} WHERE equipment_id = :id AND start_at >= :far"),
        {"id": watched, "far": FAR_AWAY},
    )
    db.session.commit()
    seen.append(fingerprint(watched))

    assert len(set(seen)) == 4
    assert fingerprint(other) == others


def test_a_booking_changed_outside_the_orm_moves_its_instrument(two_instruments, make_user):
    watched, _ = two_instruments
    sme_user = make_user("sme")
    booking = bookings.create_booking(sme_user, watched, *booked_hour())
    db.session.commit()
    seen = [fingerprint(watched)]
    for statement in (
        "UPDATE bookings SET purpose = 'changed' WHERE id = :id",
        "DELETE FROM bookings WHERE id = :id",
    ):
        db.session.execute(text(statement), {"id": booking.id})
        db.session.commit()
        seen.append(fingerprint(watched))
    assert len(set(seen)) == 3


def test_a_rolled_back_change_leaves_the_fingerprint(two_instruments):
    watched, _ = two_instruments
    before = fingerprint(watched)
    db.session.execute(ROWS["maintenance_blocks"](watched))
    db.session.rollback()
    assert fingerprint(watched) == before


def postgresql_only():
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time: nothing is noted concurrently")


def test_two_open_transactions_note_one_instrument_without_waiting(two_instruments):
    """A note is a row of its own: the second writer does not wait for the first's commit."""
    postgresql_only()
    watched, _ = two_instruments
    with db.engine.connect() as first, db.engine.connect() as second:
        second.execute(text("SET lock_timeout = '2s'"))  # a wait fails the test instead
        first.execute(ROWS["maintenance_blocks"](watched))
        second.execute(ROWS["production_runs"](watched))
        second.commit()
        first.commit()


def test_a_note_committed_after_a_later_one_still_moves_the_fingerprint(two_instruments):
    """The first transaction's note has the smaller id but commits last."""
    postgresql_only()
    watched, _ = two_instruments
    with db.engine.connect() as first, db.engine.connect() as second:
        first.execute(ROWS["maintenance_blocks"](watched))
        second.execute(ROWS["production_runs"](watched))
        second.commit()
        seen = fingerprint(watched)
        first.commit()
    assert fingerprint(watched) != seen


def notes(equipment_id: int) -> int:
    return db.session.scalar(
        select(func.count()).where(InstrumentChange.equipment_id == equipment_id)
    )


def test_compacting_leaves_one_note_and_a_fingerprint_never_seen(two_instruments):
    postgresql_only()
    watched, other = two_instruments
    seen = {fingerprint(watched)}
    for _ in range(3):
        db.session.execute(ROWS["maintenance_blocks"](watched))
        db.session.commit()
        seen.add(fingerprint(watched))
    assert notes(watched) > 1

    with db.engine.connect() as open_transaction:
        open_transaction.execute(ROWS["production_runs"](watched))  # not yet seen: kept
        assert instrument_changes.compact() > 0
        db.session.commit()
        assert notes(watched) == notes(other) == 1
        compacted = fingerprint(watched)
        assert compacted not in seen
        open_transaction.commit()

    assert fingerprint(watched) not in seen | {compacted}
    assert notes(watched) == 2


def test_sqlite_keeps_one_note_an_instrument(two_instruments):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL adds a note a statement, compacted daily")
    watched, _ = two_instruments
    for _ in range(3):
        db.session.execute(ROWS["maintenance_blocks"](watched))
    db.session.commit()
    assert notes(watched) == 1
    assert instrument_changes.compact() == 0


def test_the_daily_job_compacts_the_notes(two_instruments, runner):
    watched, _ = two_instruments
    db.session.execute(ROWS["maintenance_blocks"](watched))
    db.session.execute(ROWS["production_runs"](watched))
    db.session.commit()
    result = runner.invoke(args=["refresh-idle-spans"])
    assert result.exit_code == 0, result.output
    assert "compacted" in result.output
    db.session.rollback()
    assert notes(watched) == 1


def test_booking_rows_are_noted(two_instruments, make_user):
    """The booking service's own INSERT goes through the trigger like any other."""
    watched, _ = two_instruments
    before = fingerprint(watched)
    bookings.create_booking(make_user("sme"), watched, *booked_hour())
    db.session.commit()
    assert fingerprint(watched) != before
    assert db.session.scalar(select(func.count()).select_from(Booking)) == 1
