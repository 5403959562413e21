"""The audit chain in the database: entries written by the real services verify, and an
attacker with database access who edits, deletes or reorders rows with plain SQL is caught at
the first entry they broke, by verify_chain and by `flask verify-audit`."""

from datetime import UTC, date, datetime, time, timedelta
from functools import partial

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from equipment_share.domain.audit_chain import GENESIS_HASH, entry_hash
from equipment_share.extensions import db
from equipment_share.models import AuditChainHead, AuditEntry
from equipment_share.services import audit, bookings, rate_cards, usage
from tests.clock import SHANGHAI

DAY = datetime.now(SHANGHAI).date() + timedelta(days=10)


def local(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def history(make_org, make_user, make_equipment):
    """A booking requested, approved, used, disputed, corrected and confirmed, and a new rate
    card: every entry written by the services, as in production."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user, platform_user = make_user("sme"), make_user("platform", platform)
    booking = bookings.create_booking(sme_user, equipment.id, local(10), local(12), "R&D")
    bookings.approve(platform_user, booking)
    record = usage.record_usage(platform_user, booking, local(10), local(12), now=local(13))
    usage.dispute(sme_user, record, "we left at 11:30")
    usage.correct(platform_user, record, local(10), local(11, 30), "agreed", now=local(13))
    usage.confirm(sme_user, record)
    rate_cards.add_version(platform_user, equipment, _card("450.00"), None)
    db.session.commit()
    return booking


def _card(hourly_rate: str) -> dict:
    return {
        "hourly_rate": hourly_rate,
        "setup_fee": "0",
        "min_charge_minutes": 30,
        "billing_increment_minutes": 15,
    }


def entry_at(position: int) -> AuditEntry:
    return db.session.scalar(select(AuditEntry).where(AuditEntry.position == position))


def entry_count() -> int:
    return db.session.scalar(select(db.func.count()).select_from(AuditEntry))


def drop_append_only_guard() -> None:
    """What an attacker with the database owner's rights does first."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("ALTER TABLE audit_entries DISABLE TRIGGER USER"))
    else:
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_update"))
        db.session.execute(text("DROP TRIGGER IF EXISTS audit_entries_no_delete"))


def attack(statement, parameters: dict | None = None) -> None:
    """SQL run straight against the table, past every service and the guard, and committed."""
    drop_append_only_guard()
    db.session.execute(text(statement) if isinstance(statement, str) else statement, parameters)
    db.session.commit()
    db.session.expire_all()


def test_entries_written_by_the_services_form_an_intact_chain(history):
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.position)))

    assert [entry.position for entry in entries] == list(range(1, len(entries) + 1))
    assert {entry.object_type for entry in entries} == {"booking", "usage", "rate_card"}
    assert len(entries) >= 8
    assert audit.verify_chain() == (len(entries), None)
    assert audit.head() == (entries[-1].position, entries[-1].entry_hash)


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("reason", "'the SME agreed to pay double'"),
        ("to_state", "'cancelled'"),
        ("object_id", "object_id + 1"),
        ("actor_id", "NULL"),
    ],
)
def test_an_edited_row_is_named(history, column, value):
    victim = entry_at(4)

    attack(f"UPDATE audit_entries SET {column} = {value} WHERE position = 4")

    checked, broken = audit.verify_chain()
    assert (broken.position, broken.entry_id) == (4, victim.id)
    assert "content" in broken.reason
    assert checked == 4


def test_edited_changes_and_time_are_named(history):
    usage_entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "correct"))
    assert "fee" in usage_entry.changes

    attack(
        update(AuditEntry)
        .where(AuditEntry.id == usage_entry.id)
        .values(changes=usage_entry.changes | {"fee": {"from": "600.00", "to": "1.00"}})
    )

    broken = audit.verify_chain()[1]
    assert (broken.position, broken.entry_id) == (usage_entry.position, usage_entry.id)

    attack(
        update(AuditEntry)
        .where(AuditEntry.position == 2)
        .values(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    )

    assert audit.verify_chain()[1].position == 2


def test_a_deleted_row_is_named_by_its_position(history):
    follower = entry_at(4)

    attack("DELETE FROM audit_entries WHERE position = 3")

    checked, broken = audit.verify_chain()
    assert broken.position == 3
    assert broken.entry_id == follower.id
    assert "missing" in broken.reason
    assert checked == 3


def test_a_deleted_row_with_the_rest_renumbered_is_named(history):
    total = entry_count()
    follower = entry_at(6)

    attack("DELETE FROM audit_entries WHERE position = 5")
    for position in range(6, total + 1):
        attack(
            "UPDATE audit_entries SET position = :new WHERE position = :old",
            {"new": position - 1, "old": position},
        )

    broken = audit.verify_chain()[1]
    assert (broken.position, broken.entry_id) == (5, follower.id)


@pytest.mark.parametrize(("first", "second"), [(3, 4), (2, 6)])
def test_two_rows_whose_positions_are_swapped_are_named(history, first, second):
    moved_up = entry_at(second)

    attack("UPDATE audit_entries SET position = -1 WHERE position = :p", {"p": first})
    attack(
        "UPDATE audit_entries SET position = :first WHERE position = :second",
        {"first": first, "second": second},
    )
    attack("UPDATE audit_entries SET position = :p WHERE position = -1", {"p": second})

    broken = audit.verify_chain()[1]
    assert (broken.position, broken.entry_id) == (first, moved_up.id)
    assert "does not follow" in broken.reason


def test_a_break_beyond_the_first_batch_is_found(history, monkeypatch):
    monkeypatch.setattr(
        audit, "_entries_in_chain_order", partial(audit._entries_in_chain_order, batch_size=2)
    )
    total = entry_count()
    assert audit.verify_chain() == (total, None)

    attack("UPDATE audit_entries SET reason = 'late edit' WHERE position = :p", {"p": total - 1})

    checked, broken = audit.verify_chain()
    assert (checked, broken.position) == (total - 1, total - 1)


def test_verify_audit_reports_an_intact_chain_and_its_head(history, runner):
    position, head_hash = audit.head()

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == (
        f"audit chain intact: {entry_count()} entries, head {position} {head_hash}"
    )


def test_verify_audit_on_an_empty_log(app, runner):
    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"audit chain intact: 0 entries, head 0 {'0' * 64}"


@pytest.mark.parametrize(
    ("tampering", "position", "reason"),
    [
        ("UPDATE audit_entries SET reason = 'forged' WHERE position = 5", 5, "content"),
        ("DELETE FROM audit_entries WHERE position = 2", 2, "missing"),
    ],
)
def test_verify_audit_names_the_first_broken_entry_and_fails(
    history, runner, tampering, position, reason
):
    expected_id = entry_at(position + 1 if "DELETE" in tampering else position).id
    attack(tampering)

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"broken at position {position} (entry id {expected_id}): " in result.output
    assert reason in result.output
    assert "intact" not in result.output


def test_verify_audit_names_a_reordered_pair(history, runner):
    moved_up = entry_at(4)
    attack("UPDATE audit_entries SET position = -1 WHERE position = 3")
    attack("UPDATE audit_entries SET position = 3 WHERE position = 4")
    attack("UPDATE audit_entries SET position = 4 WHERE position = -1")

    result = runner.invoke(args=["verify-audit"])

    assert result.exit_code == 1
    assert f"broken at position 3 (entry id {moved_up.id})" in result.output


def test_appends_in_one_transaction_keep_positions_contiguous(make_org, make_user, make_equipment):
    """Many changes before one commit, each flushed with the business write it records: every
    append sees the one before it, so no position is taken twice or skipped."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user, platform_user = make_user("sme"), make_user("platform", platform)
    requested = [
        bookings.create_booking(sme_user, equipment.id, local(hour), local(hour + 1))
        for hour in (9, 11, 13, 15)
    ]
    db.session.commit()
    before = entry_count()

    for booking in requested:
        bookings.approve(platform_user, booking)
        audit.record(platform_user, "booking", booking.id, "note", reason="checked twice")
    rate_cards.add_version(platform_user, equipment, _card("500.00"), None)
    db.session.commit()

    positions = list(db.session.scalars(select(AuditEntry.position).order_by(AuditEntry.position)))
    assert positions == list(range(1, before + 4 * 2 + 2))
    assert audit.verify_chain() == (len(positions), None)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_entries SET reason = 'nothing to see' WHERE position = 2",
        "DELETE FROM audit_entries WHERE position = 2",
    ],
)
def test_the_database_refuses_to_change_or_remove_an_entry(history, statement):
    before = [(entry.position, entry.reason) for entry in db.session.scalars(select(AuditEntry))]

    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text(statement))
    db.session.rollback()

    after = [(entry.position, entry.reason) for entry in db.session.scalars(select(AuditEntry))]
    assert after == before


def chain_head() -> tuple[int, str] | None:
    row = db.session.execute(select(AuditChainHead.position, AuditChainHead.entry_hash)).first()
    return tuple(row) if row else None


def test_the_chain_head_is_the_last_entry(history):
    """Appending reads the previous hash from the head row: it is always the last entry's."""
    assert chain_head() == audit.head()
    audit.record(None, "booking", history.id, "note", reason="one more")
    db.session.commit()

    assert chain_head() == audit.head() == (entry_count(), entry_at(entry_count()).entry_hash)
    assert audit.verify_chain() == (entry_count(), None)


def test_an_entry_written_without_the_service_moves_the_head_on(history):
    """The trigger keeps the head, however an entry is written (a seed, a bulk load)."""
    position, previous_hash = audit.head()
    values = {
        "position": position + 1,
        "created_at": datetime.now(UTC),
        "actor_id": None,
        "object_type": "booking",
        "object_id": history.id,
        "action": "note",
        "from_state": "",
        "to_state": "",
        "reason": "written by hand",
        "changes": {},
        "previous_hash": previous_hash,
    }
    values["entry_hash"] = entry_hash(values, previous_hash)
    db.session.execute(insert(AuditEntry), [values])
    db.session.commit()

    assert chain_head() == (position + 1, values["entry_hash"])
    audit.record(None, "booking", history.id, "note", reason="after it")
    db.session.commit()
    assert audit.verify_chain() == (position + 2, None)


def test_a_missing_head_is_made_again_from_the_last_entry(history):
    """Before the first append, or once the tables are emptied, there is no head row: the next
    append makes it from the last entry and the chain goes on unbroken."""
    before = entry_count()
    db.session.execute(delete(AuditChainHead))
    db.session.commit()

    audit.record(None, "booking", history.id, "note", reason="after the head went")
    db.session.commit()

    assert chain_head() == audit.head() and audit.head()[0] == before + 1
    assert audit.verify_chain() == (before + 1, None)


def test_the_first_entry_makes_the_head(app, make_user):
    assert chain_head() is None and entry_count() == 0

    entry = audit.record(make_user("admin"), "user", 1, "note")
    db.session.commit()

    assert (entry.position, entry.previous_hash) == (1, GENESIS_HASH)
    assert chain_head() == (1, entry.entry_hash)
