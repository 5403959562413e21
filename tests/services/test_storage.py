"""What goes into the database comes back the same: money as exact Decimal, instants as UTC."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import StatementError

from equipment_share.extensions import db
from equipment_share.models import Equipment, IdleWindow, IdleWindowKind, Organization


def reloaded(instance):
    db.session.commit()
    db.session.expire_all()
    return db.session.get(type(instance), instance.id)


def test_money_round_trips_exactly_and_sums_to_the_fen(make_equipment):
    first = make_equipment(hourly_rate="0.10", setup_fee="0.20")
    second = make_equipment(hourly_rate="0.20", setup_fee="99999999.99")

    first = reloaded(first)
    total = db.session.scalar(select(func.sum(Equipment.hourly_rate)))

    assert type(first.hourly_rate) is Decimal
    assert first.hourly_rate + first.setup_fee == Decimal("0.30")
    assert type(total) is Decimal
    assert total == Decimal("0.30")
    assert reloaded(second).setup_fee == Decimal("99999999.99")


def test_money_is_stored_as_integer_fen(make_equipment):
    equipment = make_equipment(hourly_rate="1234.56", setup_fee=Decimal("0.1"))

    row = db.session.execute(
        text("SELECT hourly_rate, setup_fee FROM equipment WHERE id = :id"), {"id": equipment.id}
    ).one()

    assert tuple(row) == (123456, 10)


def test_money_comes_back_with_two_decimals(make_equipment):
    equipment = reloaded(make_equipment(hourly_rate="7", setup_fee="0.5"))

    assert str(equipment.hourly_rate) == "7.00"
    assert str(equipment.setup_fee) == "0.50"


def test_instants_come_back_aware_in_utc(make_equipment):
    shanghai = ZoneInfo("Asia/Shanghai")
    equipment = make_equipment()
    equipment.idle_windows.append(
        IdleWindow(
            kind=IdleWindowKind.ONCE,
            start_at=datetime(2026, 5, 1, 8, 0, tzinfo=shanghai),
            end_at=datetime(2026, 5, 1, 12, 0, tzinfo=UTC),
        )
    )
    window = equipment.idle_windows[-1]
    db.session.commit()

    window = reloaded(window)

    assert window.start_at == datetime(2026, 5, 1, 0, 0, tzinfo=UTC)
    assert window.start_at.tzinfo is UTC
    assert window.end_at == datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
    assert window.end_at.tzinfo is UTC


def test_default_timestamps_are_aware_utc_and_recent(make_org):
    organization = reloaded(make_org("sme"))

    assert organization.created_at.tzinfo is UTC
    assert abs(datetime.now(UTC) - organization.created_at) < timedelta(minutes=5)


def test_instants_are_compared_in_utc_by_the_database(make_equipment):
    equipment = make_equipment()
    equipment.idle_windows.append(
        IdleWindow(
            kind=IdleWindowKind.ONCE,
            start_at=datetime(2026, 5, 1, 23, 30, tzinfo=ZoneInfo("Asia/Shanghai")),
            end_at=datetime(2026, 5, 2, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai")),
        )
    )
    db.session.commit()

    # 23:30 in Shanghai is 15:30 UTC: before 16:00 UTC, after 15:00 UTC
    before = select(func.count()).where(IdleWindow.start_at < datetime(2026, 5, 1, 16, tzinfo=UTC))
    after = select(func.count()).where(IdleWindow.start_at > datetime(2026, 5, 1, 15, tzinfo=UTC))
    assert db.session.scalar(before.select_from(IdleWindow)) == 1
    assert db.session.scalar(after.select_from(IdleWindow)) == 1


def test_naive_datetimes_are_refused(app):
    db.session.add(Organization(name="x", kind="sme", created_at=datetime(2026, 1, 1)))

    with pytest.raises(StatementError, match="naive datetime"):
        db.session.flush()
    db.session.rollback()
