"""The schedule across instruments: which instruments are rows, where the free, busy and own bars
sit, what each viewer may know about busy time, and that the work is a fixed number of
statements whatever the number of rows."""

from datetime import time, timedelta

import pytest
from sqlalchemy import event

from equipment_share.domain.schedule import BarKind, Span
from equipment_share.extensions import db
from equipment_share.models import MaintenanceBlock, OrganizationStatus, ProductionRun
from equipment_share.services import bookings
from equipment_share.services.schedule import schedule
from tests.clock import SHANGHAI, local, next_weekday

TUESDAY = next_weekday(1)


@pytest.fixture
def world(make_org, make_user, make_equipment):
    class World:
        platform = make_org("platform", name="煤炭平台")
        other_platform = make_org("platform", name="铸造平台")
        equipment = make_equipment(platform, name="量热仪", slot_minutes=30)
        sme_a = make_user("sme", make_org("sme", name="华晟化工"))
        sme_b = make_user("sme", make_org("sme", name="汾阳焦化"))
        staff = make_user("platform", platform)
        other_staff = make_user("platform", other_platform)
        finance = make_user("finance")

    return World


def book(user, equipment, start_hour, end_hour, day=TUESDAY):
    booking = bookings.create_booking(
        user, equipment.id, local(day, start_hour), local(day, end_hour), "试验"
    )
    db.session.commit()
    return booking


def row_of(viewer, equipment, day=TUESDAY, span=Span.DAY, **options):
    result = schedule(viewer, day=day, span=span, tz=SHANGHAI, **options)
    return next(row for row in result.rows if row.instrument.id == equipment.id)


def bars(row):
    """(kind, first column, columns) of each bar, in drawing order."""
    return [(bar.kind, bar.column, bar.span) for bar in row.bars]


def test_free_time_around_a_booking_in_quarter_hour_columns(world):
    book(world.sme_a, world.equipment, 10, 12)

    row = row_of(None, world.equipment)

    # idle 08:00-20:00; quarter hours from local midnight: 08:00 is column 32
    assert bars(row) == [
        (BarKind.FREE, 32, 8),
        (BarKind.FREE, 48, 32),
        (BarKind.BUSY, 40, 8),
    ]
    first = row.bars[0]
    # minutes of the day's wall clock: 08:00-08:30, the shortest booking on the slot grid
    assert (first.book_start, first.book_end) == (480, 510)


def test_a_week_is_monday_to_sunday_in_hour_columns(world):
    book(world.sme_a, world.equipment, 10, 12)

    result = schedule(None, day=TUESDAY, span=Span.WEEK, tz=SHANGHAI)
    row = next(row for row in result.rows if row.instrument.id == world.equipment.id)

    assert result.axis.days[0] == TUESDAY - timedelta(days=1)
    assert result.axis.columns == 168
    busy = [(bar.column, bar.span) for bar in row.bars if bar.kind == BarKind.BUSY]
    assert busy == [(24 + 10, 2)]  # Tuesday is the second day: 24 columns in
    free = [(bar.column, bar.span) for bar in row.bars if bar.kind == BarKind.FREE]
    assert (24 + 8, 2) in free and (24 + 12, 8) in free
    assert len(free) == 8  # seven days, Tuesday cut in two


def test_the_enterprise_sees_its_own_booking_with_status_and_others_only_as_busy(world):
    own = book(world.sme_a, world.equipment, 10, 12)
    book(world.sme_b, world.equipment, 14, 15)

    row = row_of(world.sme_a, world.equipment)

    mine = [bar for bar in row.bars if bar.kind == BarKind.MINE]
    assert [(bar.booking_id, bar.status, bar.column, bar.span) for bar in mine] == [
        (own.id, "pending", 40, 8)
    ]
    busy = [(bar.column, bar.span) for bar in row.bars if bar.kind == BarKind.BUSY]
    assert busy == [(56, 4)]
    assert all(bar.organization_name is None for bar in row.bars)
    assert BarKind.BOOKED not in {bar.kind for bar in row.bars}


def test_another_enterprise_learns_nothing_of_whose_time_it_is(world):
    book(world.sme_a, world.equipment, 10, 12)

    for viewer in (None, world.sme_b, world.other_staff):
        row = row_of(viewer, world.equipment)
        assert {bar.kind for bar in row.bars} == {BarKind.FREE, BarKind.BUSY}
        assert all(bar.booking_id is None and bar.organization_name is None for bar in row.bars)


def test_the_platform_sees_who_booked_its_instrument_and_why_time_is_busy(world):
    booking = book(world.sme_a, world.equipment, 10, 12)
    db.session.add_all(
        [
            ProductionRun(
                equipment_id=world.equipment.id,
                start_at=local(TUESDAY, 14),
                end_at=local(TUESDAY, 16),
                summary="批次生产",
            ),
            MaintenanceBlock(
                equipment_id=world.equipment.id,
                start_at=local(TUESDAY, 18),
                end_at=local(TUESDAY, 19),
                reason="校准",
            ),
        ]
    )
    db.session.commit()

    for viewer in (world.staff, world.finance):
        row = row_of(viewer, world.equipment)
        known = [
            (bar.kind, bar.column, bar.span, bar.organization_name, bar.booking_id)
            for bar in row.bars
            if bar.kind != BarKind.FREE
        ]
        assert known == [
            (BarKind.BOOKED, 40, 8, "华晟化工", booking.id),
            (BarKind.PRODUCTION, 56, 8, None, None),
            (BarKind.MAINTENANCE, 72, 4, None, None),
        ]

    public = row_of(None, world.equipment)
    assert [(bar.column, bar.span) for bar in public.bars if bar.kind == BarKind.BUSY] == [
        (40, 8),
        (56, 8),
        (72, 4),
    ]
    free = [(bar.column, bar.span) for bar in public.bars if bar.kind == BarKind.FREE]
    assert free == [(32, 8), (48, 8), (64, 8), (76, 4)]


def test_a_production_run_outside_idle_time_is_not_busy_for_the_public(world):
    db.session.add(
        ProductionRun(
            equipment_id=world.equipment.id,
            start_at=local(TUESDAY, 1),
            end_at=local(TUESDAY, 7),
            summary="夜班",
        )
    )
    db.session.commit()

    assert BarKind.BUSY not in {bar.kind for bar in row_of(None, world.equipment).bars}
    staff_view = row_of(world.staff, world.equipment)
    assert (BarKind.PRODUCTION, 4, 24) in bars(staff_view)


def test_free_starts_after_the_lead_time_on_the_slot_grid(world, make_equipment):
    equipment = make_equipment(world.platform, lead_time_hours=2, slot_minutes=30)
    now = local(TUESDAY, 9, 10)

    row = row_of(None, equipment, now=now)

    (bar,) = row.bars
    # open from 11:10: whole quarter hours from 11:15, bookable from 11:30
    assert (bar.kind, bar.column, bar.span) == (BarKind.FREE, 45, 35)
    assert bar.book_start == 11 * 60 + 30


def test_free_time_too_short_to_book_has_no_link(world, make_equipment):
    equipment = make_equipment(
        world.platform, weekly=[((1,), time(9), time(9, 45))], min_booking_minutes=60
    )

    (bar,) = row_of(None, equipment).bars

    assert bar.kind == BarKind.FREE and (bar.column, bar.span) == (36, 3)
    assert bar.book_start is None


def test_an_instrument_closed_for_booking_has_no_free_bar(world, make_equipment):
    inactive = make_equipment(world.platform, active=False)

    assert row_of(world.staff, inactive).bars == ()
    assert inactive.id not in [
        row.instrument.id
        for row in schedule(world.sme_a, day=TUESDAY, span=Span.DAY, tz=SHANGHAI).rows
    ]


def test_rows_are_the_catalogue_filtered_by_platform_and_category(world, make_equipment, make_org):
    spectrometer = make_equipment(world.other_platform, category="spectroscopy")
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    make_equipment(pending)

    def ids(**filters):
        result = schedule(None, day=TUESDAY, span=Span.DAY, tz=SHANGHAI, **filters)
        return [row.instrument.id for row in result.rows]

    assert ids() == [world.equipment.id, spectrometer.id]
    assert ids(platform_id=world.other_platform.id) == [spectrometer.id]
    assert ids(category="spectroscopy") == [spectrometer.id]
    assert ids(category="chemical_analysis") == [world.equipment.id]


def test_rows_come_in_pages(world, make_equipment):
    more = [make_equipment(world.platform) for _ in range(4)]

    result = schedule(None, day=TUESDAY, span=Span.DAY, tz=SHANGHAI, per_page=2, page=3)

    assert [row.instrument.id for row in result.rows] == [more[-1].id]
    assert (result.total, result.pages, result.has_next) == (5, 3, False)


@pytest.fixture
def statements():
    counted = []

    def count(*args):
        counted.append(args[2])

    event.listen(db.engine, "before_cursor_execute", count)
    yield counted
    event.remove(db.engine, "before_cursor_execute", count)


def test_the_number_of_statements_does_not_grow_with_the_rows(world, make_equipment, statements):
    book(world.sme_a, world.equipment, 10, 12)
    statements.clear()
    schedule(world.sme_a, day=TUESDAY, span=Span.WEEK, tz=SHANGHAI)
    few = len(statements)

    for _ in range(30):
        make_equipment(world.platform)
    statements.clear()
    result = schedule(world.sme_a, day=TUESDAY, span=Span.WEEK, tz=SHANGHAI)

    assert len(result.rows) == 31
    assert len(statements) == few
