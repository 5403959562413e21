"""Who sees whose time on an instrument's week (issue 12, item 3): the SME its own bookings with
their status and everyone else's as plain busy time; the platform and the operators who booked
and why time is busy. An SME never learns another enterprise's name."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.week_grid import BlockState, BusyKind, monday_of
from equipment_share.extensions import db
from equipment_share.models import MaintenanceBlock, ProductionRun
from equipment_share.services import bookings
from equipment_share.services.week_view import taken_time, week_grid, week_legend
from tests.clock import local, next_weekday

TUESDAY = next_weekday(1)
NOW = datetime.now(UTC)


@pytest.fixture
def week(make_org, make_user, make_equipment):
    platform = make_org("platform", name="煤炭平台")
    equipment = make_equipment(platform, lead_time_hours=0)
    ours, theirs = make_org("sme", name="华晟煤化"), make_org("sme", name="恒达铸造")
    world = SimpleNamespace(
        equipment=equipment,
        sme=make_user("sme", ours),
        colleague=make_user("sme", ours),
        other_sme=make_user("sme", theirs),
        manager=make_user("platform", platform),
        other_platform=make_user("platform", make_org("platform")),
        finance=make_user("finance", None),
        admin=make_user("admin", None),
    )
    world.ours = bookings.create_booking(
        world.sme, equipment.id, local(TUESDAY, 10), local(TUESDAY, 11), "R&D"
    )
    world.theirs = bookings.create_booking(
        world.other_sme, equipment.id, local(TUESDAY, 13), local(TUESDAY, 14), "R&D"
    )
    db.session.add_all(
        [
            MaintenanceBlock(
                equipment_id=equipment.id,
                start_at=local(TUESDAY, 15),
                end_at=local(TUESDAY, 16),
                reason="年度校准",
            ),
            ProductionRun(
                equipment_id=equipment.id,
                start_at=local(TUESDAY, 17),
                end_at=local(TUESDAY, 18),
                summary="焦炭批次",
            ),
        ]
    )
    db.session.commit()
    return world


def busy_blocks(viewer, world):
    grid = week_grid(viewer, world.equipment, monday_of(TUESDAY), NOW)
    return [
        (block.start_label, block.occupancy)
        for block in grid.blocks
        if block.state == BlockState.BUSY and block.day == TUESDAY.weekday()
    ]


def names_seen(viewer, world) -> set[str]:
    return {occupancy.who for _, occupancy in busy_blocks(viewer, world) if occupancy.who}


@pytest.mark.parametrize("viewer", ["anonymous", "other_platform"])
def test_visitors_and_other_platforms_see_only_busy_time(week, viewer):
    user = None if viewer == "anonymous" else getattr(week, viewer)

    seen = busy_blocks(user, week)

    assert [start for start, _ in seen] == ["10:00", "13:00", "15:00", "17:00"]
    for _, occupancy in seen:
        assert (occupancy.kind, occupancy.who, occupancy.status, occupancy.booking_id) == (
            BusyKind.BUSY,
            None,
            None,
            None,
        )


@pytest.mark.parametrize("viewer", ["sme", "colleague"])
def test_an_enterprise_sees_its_own_booking_with_its_status_and_nothing_of_the_others(week, viewer):
    seen = dict(busy_blocks(getattr(week, viewer), week))

    mine = seen["10:00"]
    assert (mine.kind, mine.mine, mine.status, mine.booking_id) == (
        BusyKind.BOOKING,
        True,
        "pending",
        week.ours.id,
    )
    assert mine.who is None
    for start in ("13:00", "15:00", "17:00"):
        assert seen[start].kind == BusyKind.BUSY
        assert (seen[start].who, seen[start].status, seen[start].booking_id) == (None, None, None)


def test_the_status_follows_the_booking(week):
    bookings.approve(week.manager, week.ours)
    db.session.commit()

    assert dict(busy_blocks(week.sme, week))["10:00"].status == "confirmed"


def test_the_other_enterprise_never_sees_our_name(week):
    assert names_seen(week.other_sme, week) == set()
    assert dict(busy_blocks(week.other_sme, week))["10:00"].mine is False


@pytest.mark.parametrize("viewer", ["manager", "finance", "admin"])
def test_the_platform_and_the_operators_see_who_booked_and_why(week, viewer):
    seen = dict(busy_blocks(getattr(week, viewer), week))

    assert (seen["10:00"].kind, seen["10:00"].who, seen["10:00"].status) == (
        BusyKind.BOOKING,
        "华晟煤化",
        "pending",
    )
    assert (seen["13:00"].kind, seen["13:00"].who) == (BusyKind.BOOKING, "恒达铸造")
    assert seen["13:00"].booking_id == week.theirs.id
    assert seen["15:00"].kind == BusyKind.MAINTENANCE
    assert seen["17:00"].kind == BusyKind.PRODUCTION
    assert not any(occupancy.mine for occupancy in seen.values())


def test_cancelled_bookings_free_their_time(week):
    bookings.cancel(week.other_sme, week.theirs, "no longer needed")
    db.session.commit()

    assert "13:00" not in dict(busy_blocks(week.manager, week))
    kinds = {row.kind for row in taken_time(week.equipment.id, _tuesday())}
    assert kinds == {BusyKind.BOOKING, BusyKind.MAINTENANCE, BusyKind.PRODUCTION}
    assert [row.status for row in taken_time(week.equipment.id, _tuesday()) if row.booking_id] == [
        BookingStatus.PENDING.value
    ]


def test_the_legend_names_what_the_viewer_can_see(week):
    assert week_legend(None, week.equipment) == (BusyKind.BUSY,)
    assert week_legend(week.sme, week.equipment) == (BusyKind.BUSY, "mine")
    assert week_legend(week.manager, week.equipment) == (
        BusyKind.BOOKING,
        BusyKind.MAINTENANCE,
        BusyKind.PRODUCTION,
    )


def _tuesday():
    return Interval(local(TUESDAY, 0), local(TUESDAY, 0) + timedelta(days=1))
