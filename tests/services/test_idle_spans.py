"""Idle spans: each instrument's idle time kept expanded, so that the cross-platform free search
is one query. They must give exactly what expanding the idle windows gives, stay current when
idle windows or time zones change, and not be trusted outside their coverage."""

import random
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import (
    IdleSpan,
    IdleSpanCoverage,
    IdleWindow,
    IdleWindowKind,
    MaintenanceBlock,
    ProductionRun,
)
from equipment_share.services import bookings, idle_spans
from equipment_share.services.availability import free_throughout, load_candidates
from equipment_share.services.catalogue import catalogue_search, search_catalogue
from equipment_share.services.equipment import catalogue_query
from tests.clock import local, next_weekday

TUESDAY = next_weekday(1)


def found(window: Interval) -> set[int]:
    return {equipment.id for equipment in db.session.scalars(search_catalogue(None, free=window))}


def expanded(window: Interval) -> set[int]:
    """The same search the slow way: every candidate's idle windows expanded in Python."""
    return {
        equipment.id
        for equipment in free_throughout(load_candidates(catalogue_query(None)), window)
    }


@pytest.fixture
def covered(app):
    idle_spans.refresh_all()
    return idle_spans.coverage(db.session.connection())


def test_a_refresh_covers_a_quarter_from_yesterday(covered):
    now = datetime.now(UTC)
    assert covered.start <= now - timedelta(hours=24) < covered.start + timedelta(days=1)
    assert covered.end - covered.start == timedelta(days=idle_spans.COVERAGE_DAYS)


def test_the_spans_follow_the_idle_windows(covered, make_equipment):
    evening = Interval(local(TUESDAY, 21), local(TUESDAY, 23))
    morning = Interval(local(TUESDAY, 9), local(TUESDAY, 11))
    equipment = make_equipment()  # Mon-Sun 08:00-20:00
    assert equipment.id in found(morning)
    assert equipment.id not in found(evening)

    extra = IdleWindow(kind=IdleWindowKind.ONCE, start_at=evening.start, end_at=evening.end)
    equipment.idle_windows.append(extra)
    db.session.commit()
    assert equipment.id in found(evening)

    db.session.delete(extra)
    db.session.commit()
    assert equipment.id not in found(evening)


def test_a_new_time_zone_moves_the_spans(covered, make_equipment):
    equipment = make_equipment()  # 08:00-20:00 Shanghai
    shanghai_morning = Interval(local(TUESDAY, 9), local(TUESDAY, 11))
    assert found(shanghai_morning) == {equipment.id}

    equipment.timezone = "Europe/London"  # 08:00-20:00 London is 15:00/16:00-03:00/04:00 here
    db.session.commit()

    assert found(shanghai_morning) == set()
    assert found(Interval(local(TUESDAY, 17), local(TUESDAY, 19))) == {equipment.id}


def test_outside_the_coverage_the_idle_windows_are_expanded(covered, make_equipment, sme_user):
    equipment = make_equipment()
    far = covered.end + timedelta(days=3)
    window = Interval(far.replace(hour=2), far.replace(hour=4))  # 10:00-12:00 in Shanghai
    db.session.add(
        MaintenanceBlock(equipment_id=equipment.id, start_at=window.start, end_at=window.end)
    )
    db.session.commit()

    assert found(window) == set()
    assert found(Interval(window.start - timedelta(days=1), window.end - timedelta(days=1))) == {
        equipment.id
    }


def test_a_refresh_moves_the_coverage_and_drops_what_it_left(covered, make_equipment):
    make_equipment()
    later = datetime.now(UTC) + timedelta(days=10)

    idle_spans.refresh_all(later)

    moved = idle_spans.coverage(db.session.connection())
    assert moved == idle_spans.standard_period(later)
    assert db.session.scalar(select(IdleSpan.start_at).order_by(IdleSpan.start_at).limit(1)) < (
        moved.start + timedelta(days=1)
    )
    assert not db.session.scalars(select(IdleSpan).where(IdleSpan.end_at <= moved.start)).all()
    assert len(db.session.scalars(select(IdleSpanCoverage)).all()) == 1


def random_instrument(rng, make_equipment):
    weekly = []
    for _ in range(rng.randint(0, 3)):
        weekdays = tuple(sorted(rng.sample(range(7), rng.randint(1, 7))))
        start = time(rng.randrange(0, 24), rng.choice((0, 30)))
        end = time(rng.randrange(0, 24), rng.choice((0, 30)))  # end <= start: overnight
        weekly.append((weekdays, start, end))
    equipment = make_equipment(weekly=weekly)
    for _ in range(rng.randint(0, 2)):
        start = local(TUESDAY + timedelta(days=rng.randint(-2, 3)), rng.randrange(24))
        equipment.idle_windows.append(
            IdleWindow(
                kind=IdleWindowKind.ONCE,
                start_at=start,
                end_at=start + timedelta(hours=rng.randint(1, 30)),
            )
        )
    for table in (ProductionRun, MaintenanceBlock):
        for _ in range(rng.randint(0, 2)):
            start = local(TUESDAY + timedelta(days=rng.randint(-1, 2)), rng.randrange(24))
            db.session.add(
                table(
                    equipment_id=equipment.id,
                    start_at=start,
                    end_at=start + timedelta(hours=rng.randint(1, 12)),
                )
            )
    db.session.commit()
    return equipment


@pytest.mark.parametrize("made_by", ["the session hook", "a refresh"])
def test_the_spans_answer_what_expanding_the_idle_windows_answers(
    covered, make_equipment, sme_user, made_by
):
    rng = random.Random(20261206)
    instruments = [random_instrument(rng, make_equipment) for _ in range(25)]
    instruments += [make_equipment() for _ in range(3)]  # one pattern, expanded once by a refresh
    if made_by == "a refresh":
        idle_spans.refresh_all()
    for equipment in rng.sample(instruments, 8):
        start = local(TUESDAY, rng.randrange(8, 18))
        try:
            bookings.create_booking(
                sme_user, equipment.id, start, start + timedelta(hours=1), "test"
            )
            db.session.commit()
        except Exception:  # not offered then, or too long: the booking rules decide
            db.session.rollback()
    windows = []
    for _ in range(60):
        start = local(TUESDAY + timedelta(days=rng.randint(-2, 3)), rng.randrange(24))
        windows.append(Interval(start, start + timedelta(minutes=rng.choice((30, 60, 180, 900)))))

    answers = [(found(window), expanded(window)) for window in windows]
    totals = [catalogue_search(None, free=window).total() for window in windows]

    assert all(spans == slow for spans, slow in answers)
    # the count is its own statement (from the spans containing the window): the same number
    assert totals == [len(spans) for spans, _ in answers]
    assert sum(bool(spans) for spans, _ in answers) > 20  # the windows do find instruments


def all_spans() -> set[tuple]:
    return set(
        db.session.execute(select(IdleSpan.equipment_id, IdleSpan.start_at, IdleSpan.end_at))
    )


def test_a_daily_refresh_extends_the_spans_as_a_full_rebuild_would(covered, make_equipment):
    rng = random.Random(7)
    for _ in range(20):
        random_instrument(rng, make_equipment)
    overnight = make_equipment(weekly=[((0, 1, 2, 3, 4, 5, 6), time(20), time(8))])
    always = make_equipment(weekly=[((0, 1, 2, 3, 4, 5, 6), time(0), time(0))])
    later = datetime.now(UTC) + timedelta(days=3)

    extended = idle_spans.refresh_all(later)
    after_extension = all_spans()
    idle_spans.refresh_all(later, full=True)

    assert after_extension == all_spans()
    assert 0 < extended < len(after_extension) / 10  # three days' worth, not a quarter's
    always_spans = [span for span in after_extension if span[0] == always.id]
    assert len(always_spans) == 1  # joined at the old end, not cut there
    assert any(span[0] == overnight.id for span in after_extension)
