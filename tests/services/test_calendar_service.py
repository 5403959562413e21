from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import BookingStatus
from equipment_share.domain.errors import Forbidden, OutsideIdleWindow, ValidationFailed
from equipment_share.extensions import db
from equipment_share.models import ProductionRun, utcnow
from equipment_share.services import bookings, calendars
from equipment_share.services.calendars import (
    equipment_feed,
    import_production_calendar,
    make_feed_secret,
    revoke_feed_secret,
    upcoming_runs,
    user_feed,
    user_for_feed_secret,
)
from tests.clock import SHANGHAI, local
from tests.conftest import count_rows


def in_days(days: int) -> date:
    return datetime.now(SHANGHAI).date() + timedelta(days=days)


def ics(*events: tuple[datetime, datetime, str]) -> bytes:
    """A file of the events, whose UIDs are run-<position>@test."""
    return ics_with_uids(
        *(
            (start, end, summary, f"run-{number}@test")
            for number, (start, end, summary) in enumerate(events)
        )
    )


def ics_with_uids(*events: tuple[datetime, datetime, str, str]) -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//test//EN"]
    for start, end, summary, uid in events:
        lines += [
            "BEGIN:VEVENT",
            f"UID:{uid}",
            f"DTSTART:{start.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"DTEND:{end.astimezone(UTC):%Y%m%dT%H%M%SZ}",
            f"SUMMARY:{summary}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    return equipment, make_user("sme"), make_user("platform", platform)


def book(user, equipment, day, start, end):
    booking = bookings.create_booking(user, equipment.id, local(day, start), local(day, end))
    db.session.commit()
    return booking


def events_of(body: bytes) -> dict[str, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


# secret links


def test_a_feed_secret_finds_its_user_until_rotated_or_revoked(setting):
    _, sme_user, _ = setting
    first = make_feed_secret(sme_user)
    db.session.commit()
    assert user_for_feed_secret(first) == sme_user
    assert sme_user.calendar_feed_hash != first  # only the hash is stored

    second = make_feed_secret(sme_user)
    db.session.commit()
    assert user_for_feed_secret(first) is None
    assert user_for_feed_secret(second) == sme_user

    revoke_feed_secret(sme_user)
    db.session.commit()
    assert user_for_feed_secret(second) is None
    assert user_for_feed_secret("") is None


def test_an_inactive_users_secret_finds_nobody(setting):
    _, sme_user, _ = setting
    secret = make_feed_secret(sme_user)
    sme_user.active = False
    db.session.commit()
    assert user_for_feed_secret(secret) is None


# export


def test_the_instrument_feed_shows_bookings_without_names_and_idle_time(setting):
    equipment, sme_user, _ = setting
    booking = book(sme_user, equipment, in_days(7), 10, 12)

    body = equipment_feed(equipment).body

    assert sme_user.organization.name.encode() not in body
    events = events_of(body)
    busy = events[f"booking-{booking.id}@equipment-share"]
    assert str(busy["SUMMARY"]) == "已预约 / Booked"
    assert str(busy["TRANSP"]) == "OPAQUE"
    assert str(busy["STATUS"]) == "TENTATIVE"
    idle = [event for uid, event in events.items() if uid.startswith("idle-")]
    assert idle and all(str(event["TRANSP"]) == "TRANSPARENT" for event in idle)


def test_the_feed_is_stable_while_nothing_changes(setting):
    equipment, sme_user, _ = setting
    book(sme_user, equipment, in_days(7), 10, 12)
    assert equipment_feed(equipment).body == equipment_feed(equipment).body
    assert user_feed(sme_user).body == user_feed(sme_user).body


def test_the_sme_feed_keeps_a_cancelled_booking_as_cancelled_with_a_new_sequence(setting):
    equipment, sme_user, platform_user = setting
    kept = book(sme_user, equipment, in_days(7), 10, 12)
    dropped = book(sme_user, equipment, in_days(8), 10, 12)
    sequence = dropped.sequence
    bookings.cancel(sme_user, dropped, "not needed")
    db.session.commit()
    assert dropped.sequence > sequence

    events = events_of(user_feed(sme_user).body)

    assert str(events[f"booking-{kept.id}@equipment-share"]["STATUS"]) == "TENTATIVE"
    cancelled = events[f"booking-{dropped.id}@equipment-share"]
    assert str(cancelled["STATUS"]) == "CANCELLED"
    assert int(cancelled["SEQUENCE"]) == dropped.sequence
    assert cancelled.decoded("LAST-MODIFIED") == dropped.updated_at.replace(microsecond=0)
    assert platform_user.organization.name not in str(cancelled["SUMMARY"])


def test_the_platform_feed_names_the_sme(setting):
    equipment, sme_user, platform_user = setting
    booking = book(sme_user, equipment, in_days(7), 10, 12)
    event = events_of(user_feed(platform_user).body)[f"booking-{booking.id}@equipment-share"]
    assert sme_user.organization.name in str(event["SUMMARY"])


def test_another_organisations_bookings_are_not_in_a_feed(setting, make_user):
    equipment, sme_user, _ = setting
    book(sme_user, equipment, in_days(7), 10, 12)
    assert events_of(user_feed(make_user("sme")).body) == {}
    assert events_of(user_feed(make_user("platform")).body) == {}


# import


def test_an_import_replaces_the_previous_runs(setting):
    equipment, _, platform_user = setting
    day = in_days(5)
    first = import_production_calendar(
        platform_user,
        equipment,
        ics((local(day, 9), local(day, 11), "A"), (local(day, 13), local(day, 14), "B")),
    )
    db.session.commit()
    assert first.runs == 2
    second = import_production_calendar(
        platform_user, equipment, ics((local(day, 15), local(day, 16), "C"))
    )
    db.session.commit()
    assert second.runs == 1
    runs = db.session.scalars(select(ProductionRun)).all()
    assert [(run.summary, run.start_at) for run in runs] == [("C", local(day, 15).astimezone(UTC))]


def stored_runs(equipment) -> dict[tuple, int]:
    """The instrument's runs as (summary, start, end, UID) with their ids."""
    runs = db.session.scalars(
        select(ProductionRun).where(ProductionRun.equipment_id == equipment.id)
    ).all()
    return {(run.summary, run.start_at, run.end_at, run.source_uid): run.id for run in runs}


def run_key(start, end, summary, uid):
    return (summary, start.astimezone(UTC), end.astimezone(UTC), uid)


def test_a_reimport_keeps_the_runs_it_holds_again_and_replaces_the_rest(
    setting, make_equipment, monkeypatch
):
    monkeypatch.setattr(calendars, "DELETE_CHUNK", 2)  # the stale runs go in two statements
    equipment, _, platform_user = setting
    other = make_equipment(equipment.platform)
    day = in_days(5)
    kept = (local(day, 9), local(day, 10), "kept", "kept@test")
    gone = (local(day, 11), local(day, 12), "gone", "gone@test")
    renamed = (local(day, 13), local(day, 14), "old name", "renamed@test")
    moved = (local(day, 15), local(day, 16), "moved", "moved@test")
    first_file = ics_with_uids(kept, gone, renamed, moved)
    import_production_calendar(platform_user, other, first_file)
    import_production_calendar(platform_user, equipment, first_file)
    db.session.commit()
    before = stored_runs(equipment)

    new = (local(day, 7), local(day, 8), "new", "new@test")  # first: would take the first id
    second = import_production_calendar(
        platform_user,
        equipment,
        ics_with_uids(
            kept,
            (local(day, 13), local(day, 14), "new name", "renamed@test"),
            (local(day, 15), local(day, 17), "moved", "moved@test"),
            new,
        ),
    )
    db.session.commit()

    after = stored_runs(equipment)
    assert second.runs == 4
    assert set(after) == {
        run_key(*kept),
        run_key(local(day, 13), local(day, 14), "new name", "renamed@test"),
        run_key(local(day, 15), local(day, 17), "moved", "moved@test"),
        run_key(*new),
    }
    assert after[run_key(*kept)] == before[run_key(*kept)]  # the same row
    assert len(stored_runs(other)) == 4  # another instrument's runs stay


def test_upcoming_runs_are_in_the_files_order_whichever_import_wrote_them(setting):
    equipment, _, platform_user = setting
    day = in_days(5)
    long_run = (local(day, 9), local(day, 11), "long", "long@test")
    short_run = (local(day, 9), local(day, 10), "short", "short@test")
    import_production_calendar(platform_user, equipment, ics_with_uids(long_run))
    db.session.commit()
    import_production_calendar(platform_user, equipment, ics_with_uids(long_run, short_run))
    db.session.commit()
    fresh = [run.summary for run in upcoming_runs(equipment)]
    assert fresh == ["short", "long"]  # by start, then end, as a fresh import stores them


def test_production_removes_idle_time(setting):
    equipment, sme_user, platform_user = setting
    day = in_days(7)
    import_production_calendar(
        platform_user, equipment, ics((local(day, 9), local(day, 13), "Run"))
    )
    db.session.commit()
    with pytest.raises(OutsideIdleWindow):
        book(sme_user, equipment, day, 10, 11)
    db.session.rollback()
    assert book(sme_user, equipment, day, 14, 15).status == BookingStatus.PENDING


def test_bookings_overlapping_production_are_reported_and_stay_active(setting):
    equipment, sme_user, platform_user = setting
    day = in_days(7)
    clash = book(sme_user, equipment, day, 10, 12)
    clear = book(sme_user, equipment, day, 15, 16)

    result = import_production_calendar(
        platform_user, equipment, ics((local(day, 11), local(day, 13), "Run"))
    )
    db.session.commit()

    assert result.runs == 1
    assert result.conflicts == [clash]
    assert clash.status == BookingStatus.PENDING and clear.status == BookingStatus.PENDING


def test_clashes_are_found_with_every_run_not_only_the_nearest(setting):
    equipment, sme_user, platform_user = setting
    day = in_days(7)
    just_before = book(sme_user, equipment, day, 8, 9)  # ends as the long run starts
    under_the_long_run = book(sme_user, equipment, day, 14, 15)  # after the short run ended
    just_after = book(sme_user, equipment, day, 17, 18)  # starts as the long run ends
    into_the_evening_run = book(sme_user, equipment, day, 19, 20)
    next_day = book(sme_user, equipment, in_days(8), 10, 11)

    result = import_production_calendar(
        platform_user,
        equipment,
        ics(
            (local(day, 9), local(day, 17), "long"),
            (local(day, 10), local(day, 11), "short"),
            (datetime.combine(day, time(19, 30), SHANGHAI), local(day, 21), "evening"),
        ),
    )
    db.session.commit()

    assert result.runs == 3
    assert result.conflicts == [under_the_long_run, into_the_evening_run]
    assert {just_before.status, just_after.status, next_day.status} == {BookingStatus.PENDING}


def test_a_bad_file_changes_nothing(setting):
    equipment, _, platform_user = setting
    day = in_days(5)
    import_production_calendar(platform_user, equipment, ics((local(day, 9), local(day, 11), "A")))
    db.session.commit()

    with pytest.raises(ValidationFailed) as refused:
        import_production_calendar(platform_user, equipment, b"this is not a calendar")
    db.session.rollback()

    assert "calendar" in refused.value.fields
    assert count_rows(ProductionRun) == 1


def test_only_the_owning_platform_imports(setting, make_user):
    equipment, sme_user, _ = setting
    data = ics((local(in_days(5), 9), local(in_days(5), 11), "A"))
    for actor in (sme_user, make_user("platform"), make_user("admin")):
        with pytest.raises(Forbidden):
            import_production_calendar(actor, equipment, data)
    assert count_rows(ProductionRun) == 0


def test_runs_outside_the_horizon_are_not_imported(setting):
    equipment, _, platform_user = setting
    far = in_days(equipment.horizon_days + 5)
    past = in_days(-3)
    result = import_production_calendar(
        platform_user,
        equipment,
        ics((local(far, 9), local(far, 11), "far"), (local(past, 9), local(past, 11), "past")),
        now=utcnow(),
    )
    assert result.runs == 0
