"""When a "free between … and …" search finds nothing: the nearest free windows, from the same
rules as booking (idle time, blocks, booking rules), and whether one window can be booked."""

from datetime import timedelta

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import OrganizationStatus
from equipment_share.services import bookings
from equipment_share.services.suggestions import (
    NOT_FREE,
    NOT_OPEN,
    suggest_free_windows,
    window_problem,
)
from tests.clock import local, next_weekday

DAY = next_weekday(1)  # a Tuesday at least a week ahead
MORNING = Interval(local(DAY, 9), local(DAY, 11))


def book(sme, equipment, start, end):
    bookings.create_booking(sme, equipment.id, start, end, "test")
    db.session.commit()


@pytest.fixture
def sme(make_user):
    return make_user("sme")


@pytest.fixture
def sem(make_equipment, sme):
    """The SEM, booked on the searched morning."""
    equipment = make_equipment(name="扫描电子显微镜", category="microscopy", keywords=["SEM"])
    book(sme, equipment, MORNING.start, MORNING.end)
    return equipment


def test_a_free_window_can_be_booked(make_equipment):
    assert window_problem(make_equipment(), MORNING) is None


TOMORROW = DAY + timedelta(days=1)


@pytest.mark.parametrize(
    ("window", "reason"),
    [
        (MORNING, NOT_FREE.template),
        (Interval(local(DAY, 7), local(DAY, 9)), NOT_FREE.template),  # before the idle hours
        (
            Interval(local(DAY, 12, 10), local(DAY, 13)),
            "Start and end must fall on the %(slot)d-minute slot grid.",
        ),
        (
            Interval(local(TOMORROW, 8), local(TOMORROW, 20)),
            "A booking lasts at most %(minutes)d minutes.",
        ),
        (
            Interval(local(DAY, 9) - timedelta(days=60), local(DAY, 10) - timedelta(days=60)),
            "The requested time is in the past.",
        ),
    ],
)
def test_why_a_window_cannot_be_booked(sem, window, reason):
    problem = window_problem(sem, window)

    assert problem is not None
    assert problem.template == reason


def test_a_closed_instrument_cannot_be_booked(make_equipment):
    assert window_problem(make_equipment(active=False), MORNING) == NOT_OPEN


def test_the_same_day_the_next_day_and_similar_instruments(sem, make_equipment, sme):
    similar = make_equipment(name="金相显微镜", category="microscopy")
    busy_similar = make_equipment(name="偏光显微镜", category="microscopy")
    book(sme, busy_similar, local(DAY, 10), local(DAY, 12))
    make_equipment(name="光谱仪", category="spectroscopy")

    found = suggest_free_windows(None, MORNING, text="SEM")

    assert [(s.equipment.id, s.interval) for s in found.same_day] == [
        (sem.id, Interval(local(DAY, 11), local(DAY, 13)))
    ]
    next_day = DAY + timedelta(days=1)
    assert [(s.equipment.id, s.interval) for s in found.later_days] == [
        (sem.id, Interval(local(next_day, 9), local(next_day, 11)))
    ]
    assert [(s.equipment.id, s.interval) for s in found.similar] == [(similar.id, MORNING)]


def test_a_day_booked_through_leaves_the_later_days(make_equipment, sme):
    equipment = make_equipment(keywords=["XRD"])
    book(sme, equipment, local(DAY, 8), local(DAY, 16))
    book(sme, equipment, local(DAY, 16), local(DAY, 20))

    found = suggest_free_windows(None, MORNING, text="XRD")

    assert found.same_day == []
    assert [s.interval.start for s in found.later_days] == [local(DAY + timedelta(days=1), 9)]


def test_the_nearest_other_hours_come_first(make_equipment, sme):
    near = make_equipment(name="near", category="spectroscopy")
    far = make_equipment(name="far", category="spectroscopy")
    book(sme, near, local(DAY, 8), local(DAY, 11))  # free again from 11:00
    book(sme, far, local(DAY, 8), local(DAY, 15))  # free again from 15:00

    found = suggest_free_windows(None, MORNING, category="spectroscopy")

    assert [s.equipment.id for s in found.same_day] == [near.id, far.id]
    assert found.similar == []  # the category searched is the category suggested


def test_windows_longer_than_the_longest_booking_are_not_suggested(make_equipment, sme):
    equipment = make_equipment(keywords=["BET"], max_booking_minutes=60)
    book(sme, equipment, local(DAY, 9), local(DAY, 10))

    found = suggest_free_windows(None, MORNING, text="BET")

    assert not found


def test_nothing_when_the_text_matches_no_instrument(sem):
    found = suggest_free_windows(None, MORNING, text="不存在的仪器")

    assert not found
    assert found.same_day == found.later_days == found.similar == []


def test_instruments_closed_for_booking_are_never_suggested(make_equipment, make_org, sme):
    make_equipment(keywords=["TGA"], active=False)
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    make_equipment(pending, keywords=["TGA"])
    booked = make_equipment(keywords=["TGA"], category="thermal_analysis")
    book(sme, booked, MORNING.start, MORNING.end)
    make_equipment(category="thermal_analysis", active=False)

    found = suggest_free_windows(None, MORNING, text="TGA")

    assert {s.equipment.id for s in found.same_day + found.later_days} == {booked.id}
    assert found.similar == []
