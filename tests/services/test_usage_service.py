"""Usage records through the service: pricing by the frozen card, the record's states, who may
act, and the audit entries that keep every earlier value."""

from datetime import datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import Forbidden, InvalidState, RuleViolation, ValidationFailed
from equipment_share.domain.usage import UsageKind, UsageStatus
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, OutboxMessage, UsageRecord
from equipment_share.services import bookings, rate_cards, usage
from tests.clock import SHANGHAI
from tests.conftest import count_rows

DAY = datetime.now(SHANGHAI).date() + timedelta(days=10)


def local(hour: int, minute: int = 0, day=DAY) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(
        platform,
        requires_approval=False,
        hourly_rate="300.00",
        setup_fee="50.00",
        min_charge_minutes=60,
        billing_increment_minutes=30,
    )
    return equipment, make_user("sme"), make_user("platform", platform)


def book(sme_user, equipment, start_hour=10, end_hour=12):
    booking = bookings.create_booking(
        sme_user, equipment.id, local(start_hour), local(end_hour), "R&D sample tests"
    )
    db.session.commit()
    return booking


def revise(platform_user, equipment, changes: dict, effective_from=None):
    """A new version of the instrument's card in force: the current one with `changes`."""
    current = rate_cards.version_values(rate_cards.in_force(equipment))
    return rate_cards.add_version(platform_user, equipment, current | changes, effective_from)


def usage_log(record: UsageRecord) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(AuditEntry.object_type == "usage", AuditEntry.object_id == record.id)
            .order_by(AuditEntry.position)
        )
    )


def test_recorded_use_is_priced_by_increment_minimum_and_setup_fee(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    # 10:05-11:10 is 65 minutes, billed as 90 (30-minute increments): 450.00 + 50.00 setup
    record = usage.record_usage(
        platform_user, booking, local(10, 5), local(11, 10), "ok", now=local(12)
    )
    db.session.commit()

    assert (record.status, record.kind) == (UsageStatus.RECORDED, UsageKind.USAGE)
    assert (record.actual_minutes, record.billable_minutes) == (65, 90)
    assert record.fee == Decimal("500.00")
    assert [line["amount"] for line in record.lines] == ["450.00", "50.00"]
    assert record.overrun is False
    assert booking.status == BookingStatus.COMPLETED
    assert record.organization_id == sme_user.organization_id
    assert record.platform_id == equipment.platform_id


def test_use_beyond_the_booked_end_is_allowed_and_flagged(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    record = usage.record_usage(platform_user, booking, local(10), local(12, 20), now=local(13))

    assert record.overrun is True
    assert record.billable_minutes == 150


def test_check_in_and_out_measure_the_real_use(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    record = usage.check_in(platform_user, booking, now=local(9, 50))
    assert record.status == UsageStatus.IN_PROGRESS
    assert booking.status == BookingStatus.CONFIRMED
    usage.check_out(platform_user, record, now=local(11, 50))

    assert (record.actual_start, record.actual_end) == (local(9, 50), local(11, 50))
    assert record.billable_minutes == 120
    assert record.fee == Decimal("650.00")
    assert booking.status == BookingStatus.COMPLETED
    assert [entry.action for entry in usage_log(record)] == ["check_in", "check_out"]


def test_check_in_is_refused_long_before_the_booked_start(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    with pytest.raises(RuleViolation):
        usage.check_in(platform_user, booking, now=local(8, 59))
    assert count_rows(UsageRecord) == 0


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (local(11), local(10), "actual_end"),  # end before start
        (local(8), local(11), "actual_start"),  # two hours early
        (local(12, 30), local(13), "actual_start"),  # starts after the booking ended
        (local(10), local(15), "actual_end"),  # in the future (now is 14:00)
        (None, local(11), "actual_start"),
    ],
)
def test_impossible_times_are_refused_and_nothing_is_written(setting, start, end, field):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    with pytest.raises(ValidationFailed) as refused:
        usage.record_usage(platform_user, booking, start, end, now=local(14))

    assert field in refused.value.fields
    db.session.rollback()
    assert count_rows(UsageRecord) == 0
    assert db.session.get(type(booking), booking.id).status == BookingStatus.CONFIRMED


def test_only_the_owning_platform_records_and_only_the_booking_sme_settles(
    setting, make_org, make_user
):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)
    other_platform_user = make_user("platform", make_org("platform"))

    for actor in (sme_user, other_platform_user):
        with pytest.raises(Forbidden):
            usage.record_usage(actor, booking, local(10), local(11), now=local(12))
    record = usage.record_usage(platform_user, booking, local(10), local(11), now=local(12))

    for actor in (platform_user, make_user("sme")):
        with pytest.raises(Forbidden):
            usage.confirm(actor, record)
        with pytest.raises(Forbidden):
            usage.dispute(actor, record, "wrong")


def test_use_is_recorded_once(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)
    usage.record_usage(platform_user, booking, local(10), local(11), now=local(12))

    with pytest.raises(InvalidState):
        usage.record_usage(platform_user, booking, local(10), local(11, 30), now=local(12))


def test_a_disputed_record_is_corrected_and_its_history_kept(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)
    record = usage.record_usage(platform_user, booking, local(10), local(12), now=local(13))

    with pytest.raises(ValidationFailed):
        usage.dispute(sme_user, record, "  ")
    usage.dispute(sme_user, record, "We left at 11:00")
    assert record.status == UsageStatus.DISPUTED
    with pytest.raises(InvalidState):
        usage.dispute(sme_user, record, "again")
    usage.correct(
        platform_user, record, local(10), local(11), "Checked the log: left at 11:00", now=local(13)
    )
    assert (record.status, record.corrections) == (UsageStatus.RECORDED, 1)
    assert record.fee == Decimal("350.00")
    usage.confirm(sme_user, record)
    db.session.commit()

    assert record.status == UsageStatus.CONFIRMED
    assert record.confirmed_by_id == sme_user.id
    log = usage_log(record)
    assert [(entry.action, entry.from_state, entry.to_state) for entry in log] == [
        ("record", "", "recorded"),
        ("dispute", "recorded", "disputed"),
        ("correct", "disputed", "recorded"),
        ("confirm", "recorded", "confirmed"),
    ]
    assert log[1].reason == "We left at 11:00"
    correction = log[2].changes
    assert correction["fee"] == {"from": "650.00", "to": "350.00"}
    assert correction["actual_end"]["from"] == local(12).astimezone(ZoneInfo("UTC")).isoformat()


def test_a_confirmed_record_is_final(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)
    record = usage.record_usage(platform_user, booking, local(10), local(11), now=local(12))
    usage.confirm(sme_user, record)

    with pytest.raises(InvalidState):
        usage.correct(platform_user, record, local(10), local(10, 30), "late fix")
    with pytest.raises(InvalidState):
        usage.waive(platform_user, record, "goodwill")
    with pytest.raises(InvalidState):
        usage.dispute(sme_user, record, "too late")


def test_a_no_show_is_charged_by_the_frozen_card_and_can_be_corrected_into_use(setting):
    equipment, sme_user, platform_user = setting
    revise(
        platform_user,
        equipment,
        {"no_show_fee": {"kind": "percent", "value": "50"}, "rate_windows": [], "items": []},
    )
    booking = book(sme_user, equipment)  # 2 h at 300 + 50 setup: estimated 650.00

    bookings.mark_no_show(platform_user, booking, now=local(10, 30))
    record = booking.usage_record
    assert (record.kind, record.fee) == (UsageKind.NO_SHOW, Decimal("325.00"))
    assert record.lines[0]["kind"] == "no_show"

    usage.correct(
        platform_user, record, local(10, 30), local(11, 30), "They came late", now=local(12)
    )
    assert (record.kind, record.fee) == (UsageKind.USAGE, Decimal("350.00"))
    assert booking.status == BookingStatus.COMPLETED


def test_no_charge_record_without_a_no_show_fee(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)

    bookings.mark_no_show(platform_user, booking, now=local(10, 30))

    assert booking.usage_record is None


def test_a_late_cancellation_is_charged_and_can_be_waived(setting):
    equipment, sme_user, platform_user = setting
    revise(platform_user, equipment, {"late_cancellation_fee": {"kind": "fixed", "value": "80.00"}})
    booking = book(sme_user, equipment)

    bookings.cancel(sme_user, booking, "plans changed", now=local(9))
    record = booking.usage_record
    assert (record.kind, record.fee) == (UsageKind.LATE_CANCELLATION, Decimal("80.00"))
    with pytest.raises(InvalidState):
        usage.correct(platform_user, record, local(10), local(11), "not possible")
    usage.waive(platform_user, record, "first time")

    assert (record.fee, record.lines, record.status) == (Decimal("0.00"), [], UsageStatus.RECORDED)


def test_an_early_cancellation_costs_nothing(setting):
    equipment, sme_user, platform_user = setting
    revise(platform_user, equipment, {"late_cancellation_fee": {"kind": "fixed", "value": "80.00"}})
    booking = book(sme_user, equipment)

    bookings.cancel(sme_user, booking, "plans changed", now=local(9) - timedelta(days=3))

    assert booking.usage_record is None


def test_items_are_priced_from_the_frozen_card(setting):
    equipment, sme_user, platform_user = setting
    revise(
        platform_user,
        equipment,
        {"items": [{"code": "sample", "label": "Sample", "unit_price": "12.50"}]},
    )
    booking = book(sme_user, equipment)

    with pytest.raises(ValidationFailed) as refused:
        usage.record_usage(
            platform_user,
            booking,
            local(10),
            local(11),
            items=[{"code": "gold", "quantity": "1"}],
            now=local(12),
        )
    assert "items.0.code" in refused.value.fields
    record = usage.record_usage(
        platform_user,
        booking,
        local(10),
        local(11),
        items=[{"code": "sample", "quantity": "3"}],
        now=local(12),
    )

    assert record.lines[-1] == {
        "kind": "item",
        "description": "Sample",
        "quantity": "3",
        "unit_price": "12.50",
        "amount": "37.50",
        "minutes": None,
    }
    assert record.fee == Decimal("387.50")


def test_a_booking_keeps_the_card_it_was_made_under(setting):
    equipment, sme_user, platform_user = setting
    before = book(sme_user, equipment, 10, 12)
    revise(platform_user, equipment, {"hourly_rate": "400.00"})
    after = book(sme_user, equipment, 13, 15)

    assert before.rate_card_id != after.rate_card_id
    assert (before.estimated_fee, after.estimated_fee) == (Decimal("650.00"), Decimal("850.00"))
    first = usage.record_usage(platform_user, before, local(10), local(12), now=local(16))
    second = usage.record_usage(platform_user, after, local(13), local(15), now=local(16))
    assert (first.fee, second.fee) == (Decimal("650.00"), Decimal("850.00"))


def test_a_scheduled_card_applies_to_bookings_made_once_it_is_in_force(setting):
    equipment, sme_user, platform_user = setting
    scheduled = revise(
        platform_user, equipment, {"hourly_rate": "400.00"}, effective_from=DAY - timedelta(days=5)
    )

    assert rate_cards.in_force(equipment).id != scheduled.id
    assert equipment.hourly_rate == Decimal("300.00")  # the listed rate waits for its day
    assert rate_cards.in_force(equipment, local(0, day=DAY)).id == scheduled.id
    assert rate_cards.apply_due_versions(now=local(0, day=DAY)) == 1
    assert equipment.hourly_rate == Decimal("400.00")
    applied = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "apply_rate_card")
    ).one()
    assert applied.changes["hourly_rate"] == {"from": "300.00", "to": "400.00"}
    assert rate_cards.apply_due_versions(now=local(0, day=DAY)) == 0


def test_auto_confirm_settles_only_records_left_recorded_long_enough(setting, make_user):
    equipment, sme_user, platform_user = setting
    quiet = usage.record_usage(
        platform_user, book(sme_user, equipment, 10, 11), local(10), local(11), now=local(12)
    )
    disputed = usage.record_usage(
        platform_user, book(sme_user, equipment, 13, 14), local(13), local(14), now=local(15)
    )
    usage.dispute(sme_user, disputed, "wrong")
    db.session.commit()

    assert usage.auto_confirm(days=7, now=quiet.status_changed_at + timedelta(days=6)) == []
    confirmed = usage.auto_confirm(days=7, now=quiet.status_changed_at + timedelta(days=7))

    assert confirmed == [quiet]
    assert quiet.status == UsageStatus.CONFIRMED
    assert quiet.auto_confirmed
    assert disputed.status == UsageStatus.DISPUTED
    assert usage_log(quiet)[-1].actor_id is None


def test_the_sme_is_asked_to_confirm_and_the_platform_hears_of_disputes(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment)
    db.session.query(OutboxMessage).delete()

    record = usage.record_usage(platform_user, booking, local(10), local(11), now=local(12))
    usage.dispute(sme_user, record, "We left at 10:30")
    usage.correct(platform_user, record, local(10), local(12, 30), "agreed", now=local(13))
    db.session.commit()

    mails = db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [mail.recipient for mail in mails] == [
        sme_user.email,
        platform_user.email,
        sme_user.email,
    ]
    assert "¥350.00" in mails[0].body and "CNY 350.00" in mails[0].body
    assert "We left at 10:30" in mails[1].body
    assert "¥800.00" in mails[2].body and "agreed" in mails[2].body


def test_a_stored_version_entered_again_keeps_its_charges(setting):
    equipment, sme_user, platform_user = setting
    charged = revise(platform_user, equipment, {"no_show_fee": {"kind": "percent", "value": "50"}})
    again = rate_cards.add_version(
        platform_user,
        equipment,
        rate_cards.version_values(charged) | {"hourly_rate": "320.00"},
        DAY,
    )

    assert (again.no_show_fee_kind, again.no_show_fee_value) == ("percent", Decimal("50.00"))
