"""The feeds, written from rows with instants the database turns into epoch microseconds,
against the same feeds written the way they were before: from Booking objects and their
instrument and SME, through the previous writer (tests/calendar_oracle.py). Byte for byte, on
SQLite and PostgreSQL, with bookings whose times have microseconds, texts that need escaping and
folding, every status (cancelled ones in the personal feed), free intervals between them, and a
production run and two languages."""

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from flask import current_app
from sqlalchemy import select

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import ACTIVE_STATUSES, BookingStatus
from equipment_share.domain.calendar_export import CalendarEvent
from equipment_share.extensions import db
from equipment_share.models import Booking, ProductionRun, utcnow
from equipment_share.services import calendars
from equipment_share.services.availability import equipment_availability
from equipment_share.services.booking_calendar import booking_event, event_words, ical_status
from tests import calendar_oracle

PURPOSES = [
    "XRD phase analysis, 3 samples",
    "能谱分析；样品 “A”\\B",
    "line one\nline two\r\nthree",
    "长" * 40,
    "",
]


@pytest.fixture
def busy_instrument(make_org, make_user, make_equipment):
    """An instrument in Europe/Berlin (daylight saving, unlike the feeds' Asia/Shanghai) with
    60 bookings of two SMEs at odd instants, every status among them, and a production run."""
    rng = random.Random(14)
    platform = make_org("platform", name="平台, 测试; platform")
    equipment = make_equipment(
        platform,
        name="扫描电镜; SEM, \\ “場”" * 3,
        name_en="Scanning electron microscope",
        location="Building 3, room 201; 北楼",
        timezone="Europe/Berlin",
    )
    smes = [
        make_user("sme", make_org("sme", name="华晟, 煤化", name_en="Huasheng; Coal")),
        make_user("sme", make_org("sme", name="吕梁新材料")),
    ]
    start = utcnow().replace(microsecond=0) - timedelta(days=29)
    for number in range(60):
        start += timedelta(hours=rng.choice([3, 7, 11]), microseconds=rng.choice([0, 1, 999_999]))
        status = rng.choice(list(BookingStatus))
        sme = rng.choice(smes)
        db.session.add(
            Booking(
                equipment_id=equipment.id,
                organization_id=sme.organization_id,
                booked_by_id=sme.id,
                start_at=start,
                end_at=start + timedelta(minutes=rng.choice([30, 90, 150]), microseconds=7),
                status=status,
                purpose=rng.choice(PURPOSES),
                status_reason=rng.choice(["", "plans changed, sorry"]),
                hourly_rate=Decimal("300.00"),
                setup_fee=Decimal("0.00"),
                min_charge_minutes=0,
                billing_increment_minutes=15,
                estimated_fee=Decimal("100.00"),
                late_cancellation=False,
                sequence=rng.randrange(0, 4),
                updated_at=utcnow() - timedelta(days=rng.randrange(0, 40), microseconds=number),
            )
        )
    run_start = utcnow() + timedelta(days=2)
    db.session.add(
        ProductionRun(
            equipment_id=equipment.id,
            start_at=run_start,
            end_at=run_start + timedelta(hours=5),
            summary="batch",
            source_uid="run@test",
        )
    )
    db.session.commit()
    return equipment, smes, make_user("platform", platform, locale="en")


def test_the_instrument_feed_is_what_the_objects_gave(busy_instrument):
    equipment, _, _ = busy_instrument
    now = utcnow()

    feed = calendars.equipment_feed(equipment, now)

    start = calendars._day_start(now)
    window = calendars._equipment_window(equipment, start)
    shown = [
        booking
        for booking in db.session.scalars(
            select(Booking).where(Booking.equipment_id == equipment.id)
        )
        if booking.status in ACTIVE_STATUSES
        and Interval(booking.start_at, booking.end_at).overlaps(window)
    ]
    events = [
        CalendarEvent(
            uid=f"booking-{booking.id}@equipment-share",
            interval=Interval(booking.start_at, booking.end_at),
            summary=calendars.BOOKED,
            status=ical_status(booking),
            sequence=booking.sequence,
            last_modified=booking.updated_at,
        )
        for booking in shown
    ]
    free = equipment_availability(equipment, window).free
    events += [
        CalendarEvent(
            uid=f"idle-{equipment.id}-{interval.start:%Y%m%dT%H%M%SZ}@equipment-share",
            interval=interval,
            summary=calendars.AVAILABLE,
            transparent=True,
        )
        for interval in free
    ]
    stamp = max(
        [start, equipment.updated_at]
        + [window.created_at for window in equipment.idle_windows]
        + [booking.updated_at for booking in shown]
    )
    assert len(shown) > 20 and len(free) > 20
    assert feed.last_modified == stamp
    assert feed.body == calendar_oracle.build_calendar(
        events, name=equipment.name, tz=ZoneInfo(equipment.timezone), now=stamp
    )


@pytest.mark.parametrize("whose", ["sme", "platform"])
def test_the_personal_feed_is_what_the_objects_gave(busy_instrument, whose):
    _, smes, platform_user = busy_instrument
    user = smes[0] if whose == "sme" else platform_user
    now = utcnow()

    feed = calendars.user_feed(user, now)

    since = calendars._day_start(now) - calendars.PAST
    shown = list(db.session.scalars(calendars._user_bookings_query(user, since)))
    words = event_words(calendars._owner_locale(user))
    events = [
        booking_event(booking, with_sme=whose == "platform", words=words) for booking in shown
    ]
    stamp = max([since] + [booking.updated_at for booking in shown])
    assert {booking.status for booking in shown} >= {BookingStatus.CANCELLED, BookingStatus.PENDING}
    assert feed.last_modified == stamp
    expected = calendar_oracle.build_calendar(
        events,
        name=user.organization.name,
        tz=ZoneInfo(current_app.config["TIMEZONE"]),
        now=stamp,
    )
    assert feed.body == expected


def test_epoch_microseconds_from_the_database_are_exact(busy_instrument):
    equipment, _, _ = busy_instrument
    rows = db.session.execute(
        select(
            Booking.start_at,
            calendars.epoch_us(Booking.start_at),
            Booking.updated_at,
            calendars.epoch_us(Booking.updated_at),
        ).where(Booking.equipment_id == equipment.id)
    ).all()
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    for start, start_us, updated, updated_us in rows:
        assert start_us == (start - epoch) // timedelta(microseconds=1)
        assert updated_us == (updated - epoch) // timedelta(microseconds=1)
    assert any(start.microsecond for start, *_ in rows)
