"""Idle windows: weekly rules in local time and one-off periods, and the idle time they give."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from equipment_share.domain.availability import Interval
from equipment_share.domain.errors import Forbidden, NotFound, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import IdleWindow, IdleWindowKind
from equipment_share.services.availability import equipment_idle_time
from equipment_share.services.equipment import (
    add_one_off_window,
    add_weekly_window,
    delete_idle_window,
    upcoming_window,
)
from tests.clock import SHANGHAI
from tests.conftest import count_rows

MONDAY = date(2026, 1, 5)
# what demo_data gives every instrument: weekday evenings and weekend days
DEMO_WEEKLY = [
    ((0, 1, 2, 3, 4), time(18, 0), time(22, 0)),
    ((5, 6), time(8, 30), time(17, 30)),
]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local_week(first: date) -> Interval:
    start = datetime.combine(first, time(), SHANGHAI)
    return Interval(start, start + timedelta(days=7))


@pytest.fixture
def owner(make_user):
    return make_user("platform")


@pytest.fixture
def equipment(owner, make_equipment):
    return make_equipment(owner.organization, weekly=[((6,), time(3), time(4))])


def weekly(**changes) -> dict:
    return {"weekdays": [0, 2], "start_time": time(18), "end_time": time(22)} | changes


def test_weekly_window_is_stored_in_local_time(owner, equipment):
    window = add_weekly_window(
        owner,
        equipment,
        weekly(
            weekdays=[4, 0, 4],
            start_time=time(18, 0, 59),
            valid_from=date(2026, 1, 1),
            valid_to=date(2026, 6, 30),
        ),
    )
    db.session.commit()
    db.session.expire_all()

    assert window.kind == IdleWindowKind.WEEKLY
    assert window.weekdays == "0,4"
    assert window.start_time == time(18, 0)  # whole minutes
    assert window.end_time == time(22, 0)
    assert (window.valid_from, window.valid_to) == (date(2026, 1, 1), date(2026, 6, 30))


def test_window_past_midnight_is_accepted_when_marked_overnight(owner, equipment):
    window = add_weekly_window(
        owner, equipment, weekly(start_time=time(22), end_time=time(6), overnight=True)
    )

    assert (window.start_time, window.end_time) == (time(22), time(6))
    assert window.overnight is True


def test_an_end_before_the_start_is_refused_when_said_not_overnight(owner, equipment):
    with pytest.raises(ValidationFailed) as failure:
        add_weekly_window(
            owner, equipment, weekly(start_time=time(18), end_time=time(8), overnight=False)
        )

    assert failure.value.fields["end_time"].template.startswith("The end is before the start.")
    db.session.commit()
    assert count_rows(IdleWindow) == 1


def test_without_a_word_on_it_an_end_before_the_start_is_the_next_day(owner, equipment):
    window = add_weekly_window(owner, equipment, weekly(start_time=time(22), end_time=time(6)))

    assert window.overnight is True


def test_an_overnight_window_must_end_before_it_starts(owner, equipment):
    with pytest.raises(ValidationFailed) as failure:
        add_weekly_window(
            owner, equipment, weekly(start_time=time(8), end_time=time(18), overnight=True)
        )

    assert "end_time" in failure.value.fields


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"weekdays": []}, "weekdays"),
        ({"weekdays": None}, "weekdays"),
        ({"weekdays": [7]}, "weekdays"),
        ({"weekdays": [-1]}, "weekdays"),
        ({"weekdays": [True]}, "weekdays"),
        ({"weekdays": "0,1"}, "weekdays"),
        ({"weekdays": [1.0]}, "weekdays"),  # would be stored as "1.0"
        ({"start_time": "18:00"}, "start_time"),
        ({"start_time": None}, "start_time"),
        ({"end_time": 22}, "end_time"),
        ({"end_time": time(18)}, "end_time"),  # empty
        ({"overnight": "yes"}, "overnight"),
        ({"valid_from": "2026-01-01"}, "valid_from"),
        ({"valid_from": date(2026, 2, 1), "valid_to": date(2026, 1, 31)}, "valid_to"),
    ],
)
def test_invalid_weekly_window_is_refused_and_nothing_written(owner, equipment, changes, field):
    with pytest.raises(ValidationFailed) as failure:
        add_weekly_window(owner, equipment, weekly(**changes))

    assert field in failure.value.fields
    db.session.commit()
    assert count_rows(IdleWindow) == 1


def test_one_off_window_is_stored_in_utc(owner, equipment):
    start = datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)

    window = add_one_off_window(
        owner, equipment, {"start": start, "end": start + timedelta(hours=3)}
    )
    db.session.commit()
    db.session.expire_all()

    assert window.kind == IdleWindowKind.ONCE
    assert window.start_at == utc(2026, 3, 2, 1, 0)
    assert window.end_at == utc(2026, 3, 2, 4, 0)
    assert window.start_at.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (datetime(2026, 3, 2, 9), utc(2026, 3, 2, 12), "start"),  # naive
        (utc(2026, 3, 2, 9), datetime(2026, 3, 2, 12), "end"),
        ("2026-03-02T09:00Z", utc(2026, 3, 2, 12), "start"),
        (None, utc(2026, 3, 2, 12), "start"),
        (utc(2026, 3, 2, 12), utc(2026, 3, 2, 12), "end"),
        (utc(2026, 3, 2, 12), utc(2026, 3, 2, 9), "end"),
        (utc(2026, 3, 2), utc(2027, 3, 4), "end"),  # more than a year
    ],
)
def test_invalid_one_off_window_is_refused_and_nothing_written(owner, equipment, start, end, field):
    with pytest.raises(ValidationFailed) as failure:
        add_one_off_window(owner, equipment, {"start": start, "end": end})

    assert field in failure.value.fields
    db.session.commit()
    assert count_rows(IdleWindow) == 1


def test_window_is_deleted(owner, equipment):
    window = add_weekly_window(owner, equipment, weekly())
    db.session.commit()

    delete_idle_window(owner, equipment, window.id)
    db.session.commit()

    assert window not in equipment.idle_windows
    assert count_rows(IdleWindow) == 1  # the Sunday window is still there


def test_deleting_an_unknown_or_anothers_window_is_not_found(owner, equipment, make_equipment):
    others = make_equipment()

    for window_id in (99999, others.idle_windows[0].id):
        with pytest.raises(NotFound):
            delete_idle_window(owner, equipment, window_id)

    db.session.commit()
    assert count_rows(IdleWindow) == 2


@pytest.mark.parametrize("role", ["platform", "sme", "admin"])
def test_only_the_owning_platform_changes_windows(make_user, equipment, role):
    stranger = make_user(role)
    window = equipment.idle_windows[0]
    one_off = {"start": utc(2026, 3, 2, 1), "end": utc(2026, 3, 2, 4)}

    with pytest.raises(Forbidden):
        add_weekly_window(stranger, equipment, weekly())
    with pytest.raises(Forbidden):
        add_one_off_window(stranger, equipment, one_off)
    with pytest.raises(Forbidden):
        delete_idle_window(stranger, equipment, window.id)

    db.session.commit()
    assert count_rows(IdleWindow) == 1


def test_demo_weekly_rules_give_the_right_utc_intervals(owner, make_equipment):
    equipment = make_equipment(owner.organization, weekly=DEMO_WEEKLY)

    idle = equipment_idle_time(equipment, local_week(MONDAY))

    # Shanghai is UTC+8 all year: 18:00-22:00 local is 10:00-14:00 UTC
    weekdays = [Interval(utc(2026, 1, d, 10), utc(2026, 1, d, 14)) for d in range(5, 10)]
    weekend = [Interval(utc(2026, 1, d, 0, 30), utc(2026, 1, d, 9, 30)) for d in (10, 11)]
    assert idle == weekdays + weekend


def test_weekly_rule_added_by_the_service_feeds_idle_time(owner, equipment):
    add_weekly_window(
        owner,
        equipment,
        weekly(weekdays=[2], valid_from=date(2026, 1, 8)),  # starts after this Wednesday
    )
    add_one_off_window(
        owner, equipment, {"start": utc(2026, 1, 6, 1), "end": utc(2026, 1, 6, 2, 30)}
    )
    db.session.commit()

    idle = equipment_idle_time(equipment, Interval(utc(2026, 1, 4, 16), utc(2026, 1, 18, 16)))

    assert idle == [
        Interval(utc(2026, 1, 6, 1), utc(2026, 1, 6, 2, 30)),  # the one-off, Tuesday
        Interval(utc(2026, 1, 10, 19), utc(2026, 1, 10, 20)),  # Sunday 03:00 local
        Interval(utc(2026, 1, 14, 10), utc(2026, 1, 14, 14)),  # the next Wednesday only
        Interval(utc(2026, 1, 17, 19), utc(2026, 1, 17, 20)),
    ]


def test_windows_of_an_instrument_in_another_time_zone_follow_its_wall_clock(owner, make_equipment):
    berlin = make_equipment(
        owner.organization, timezone="Europe/Berlin", weekly=[((6,), time(9), time(17))]
    )

    # the last Sunday before and the first Sunday after Europe moves its clocks forward
    winter = equipment_idle_time(berlin, Interval(utc(2026, 3, 22), utc(2026, 3, 23)))
    summer = equipment_idle_time(berlin, Interval(utc(2026, 3, 29), utc(2026, 3, 30)))

    assert winter == [Interval(utc(2026, 3, 22, 8), utc(2026, 3, 22, 16))]
    assert summer == [Interval(utc(2026, 3, 29, 7), utc(2026, 3, 29, 15))]


def test_upcoming_window_is_two_weeks_from_now_in_whole_minutes():
    now = utc(2026, 1, 5, 10, 17, 42, 123)

    window = upcoming_window(now=now)

    assert window == Interval(utc(2026, 1, 5, 10, 17), utc(2026, 1, 19, 10, 17))
