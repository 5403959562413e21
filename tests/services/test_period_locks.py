"""Locked periods: finance locks a period and its usage can no longer be recorded, checked out,
corrected, waived or charged; usage outside it goes on as before; nothing is written on refusal."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from equipment_share.domain.errors import Forbidden, PeriodLocked, ValidationFailed
from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, PeriodLock, UsageRecord
from equipment_share.services import bookings, period_locks, usage
from tests.conftest import count_rows
from tests.services.test_usage_service import DAY, book, local, revise


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(
        platform, requires_approval=False, hourly_rate="300.00", setup_fee="50.00"
    )
    return equipment, make_user("sme"), make_user("platform", platform), make_user("finance", None)


def lock(finance_user, first=DAY, last=DAY):
    made = period_locks.create_period_lock(finance_user, first, last)
    db.session.commit()
    return made


def assert_refused(change) -> None:
    with pytest.raises(PeriodLocked) as refused:
        change()
    db.session.rollback()
    assert refused.value.code == "period_locked"
    assert refused.value.details["period_from"] == DAY.isoformat()


def test_use_in_a_locked_period_cannot_be_recorded_or_checked_in(setting):
    equipment, sme_user, platform_user, finance_user = setting
    booking = book(sme_user, equipment)
    lock(finance_user)

    assert_refused(
        lambda: usage.record_usage(platform_user, booking, local(10), local(11), now=local(12))
    )
    assert_refused(lambda: usage.check_in(platform_user, booking, now=local(9, 50)))
    assert count_rows(UsageRecord) == 0


def test_a_recorded_use_in_a_locked_period_cannot_be_corrected_or_waived(setting):
    equipment, sme_user, platform_user, finance_user = setting
    record = usage.record_usage(
        platform_user, book(sme_user, equipment), local(10), local(11), now=local(12)
    )
    db.session.commit()
    lock(finance_user)

    assert_refused(
        lambda: usage.correct(
            platform_user, record, local(10), local(10, 30), "wrong", now=local(12)
        )
    )
    assert_refused(lambda: usage.waive(platform_user, record, "goodwill"))
    record = db.session.get(UsageRecord, record.id)
    assert (record.fee, record.status, record.corrections) == (
        Decimal("350.00"),
        UsageStatus.RECORDED,
        0,
    )
    # settling is the SME's answer, not a change of the use: it stays open
    usage.confirm(sme_user, record)
    assert record.status == UsageStatus.CONFIRMED


def test_a_check_in_cannot_be_checked_out_once_its_period_is_locked(setting):
    equipment, sme_user, platform_user, finance_user = setting
    record = usage.check_in(platform_user, book(sme_user, equipment), now=local(10))
    db.session.commit()
    lock(finance_user)

    assert_refused(lambda: usage.check_out(platform_user, record, now=local(11)))
    assert db.session.get(UsageRecord, record.id).status == UsageStatus.IN_PROGRESS


def test_a_no_show_in_a_locked_period_is_not_charged(setting):
    equipment, sme_user, platform_user, finance_user = setting
    revise(platform_user, equipment, {"no_show_fee": {"kind": "percent", "value": "50"}})
    db.session.commit()
    booking = book(sme_user, equipment)
    lock(finance_user)

    assert_refused(lambda: bookings.mark_no_show(platform_user, booking, now=local(10, 30)))
    assert count_rows(UsageRecord) == 0


def test_a_correction_cannot_move_use_into_a_locked_day(setting):
    equipment, sme_user, platform_user, finance_user = setting
    record = usage.record_usage(
        platform_user, book(sme_user, equipment), local(10), local(11), now=local(12)
    )
    db.session.commit()
    lock(finance_user, DAY + timedelta(days=1), DAY + timedelta(days=1))

    # the day before and the day after the locked one stay open
    usage.correct(platform_user, record, local(10), local(10, 30), "shorter", now=local(12))
    db.session.commit()
    assert record.status == UsageStatus.RECORDED


def test_days_outside_every_locked_period_stay_open(setting):
    equipment, sme_user, platform_user, finance_user = setting
    lock(finance_user, DAY - timedelta(days=30), DAY - timedelta(days=1))
    lock(finance_user, DAY + timedelta(days=1), DAY + timedelta(days=30))

    record = usage.record_usage(
        platform_user, book(sme_user, equipment), local(10), local(11), now=local(12)
    )

    assert record.status == UsageStatus.RECORDED


def test_locking_is_for_finance_checks_its_dates_and_is_audited(setting):
    equipment, sme_user, platform_user, finance_user = setting
    for actor in (sme_user, platform_user):
        with pytest.raises(Forbidden):
            period_locks.create_period_lock(actor, DAY, DAY)
    with pytest.raises(ValidationFailed) as refused:
        period_locks.create_period_lock(finance_user, DAY, DAY - timedelta(days=1))
    assert set(refused.value.fields) == {"period_to"}
    with pytest.raises(ValidationFailed) as refused:
        period_locks.create_period_lock(finance_user, None, None)
    assert set(refused.value.fields) == {"period_from", "period_to"}
    db.session.rollback()
    assert count_rows(PeriodLock) == 0

    made = lock(finance_user)

    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == "period_lock")
    ).one()
    assert (entry.object_id, entry.action, entry.actor_id) == (made.id, "lock", finance_user.id)
    assert entry.changes["period_from"]["to"] == DAY.isoformat()
