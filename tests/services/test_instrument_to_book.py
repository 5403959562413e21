"""Booking reads its instrument as plain rows (services/bookings.INSTRUMENT_TO_BOOK), not as an
Equipment with its platform, idle windows and rate card: on a corpus of instruments, what it
reads gives the same rules, idle time, rate card and visibility as the ORM objects do."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import delete

from equipment_share.domain.availability import Interval
from equipment_share.extensions import db
from equipment_share.models import (
    Equipment,
    IdleWindow,
    IdleWindowKind,
    OrganizationStatus,
    RateCardVersion,
)
from equipment_share.services import bookings, rate_cards
from equipment_share.services.access import can_see_equipment
from equipment_share.services.availability import equipment_idle_time
from tests.api.test_rate_cards_api import NEW_CARD as API_CARD

NOW = datetime.now(UTC).replace(microsecond=0)
# the API tests' card, with a late-cancellation fee too
NEW_CARD = {**API_CARD, "late_cancellation_fee": {"kind": "percent", "value": "50"}}


@pytest.fixture
def corpus(make_org, make_user, make_equipment):
    """Instruments that differ in everything booking reads; returns them and some viewers."""
    platform = make_org("platform")
    owner = make_user("platform", platform)
    pending = make_org("platform", status=OrganizationStatus.PENDING)
    instruments = [
        make_equipment(platform),
        make_equipment(platform, requires_approval=False, timezone="Europe/Berlin"),
        make_equipment(
            platform,
            weekly=[((0, 2, 4), time(22), time(6)), ((5,), time(9), time(12))],
            slot_minutes=60,
            min_booking_minutes=60,
            max_booking_minutes=240,
            lead_time_hours=2,
            horizon_days=10,
        ),
        make_equipment(platform, weekly=[]),
        make_equipment(platform, active=False),
        make_equipment(pending),
        make_equipment(platform, hourly_rate="150.00", setup_fee="20.00"),
        make_equipment(platform, weekly=[]),  # never offered
    ]
    with_card, one_off, no_versions = instruments[0], instruments[3], instruments[6]
    rate_cards.add_version(owner, with_card, NEW_CARD, NOW + timedelta(days=3))
    one_off.idle_windows.append(
        IdleWindow(
            kind=IdleWindowKind.ONCE, start_at=NOW + timedelta(days=2), end_at=NOW + timedelta(3)
        )
    )
    db.session.execute(
        delete(RateCardVersion).where(RateCardVersion.equipment_id == no_versions.id)
    )
    db.session.commit()
    viewers = [
        None,
        make_user("sme"),
        owner,
        make_user("platform"),
        make_user("admin"),
        make_user("finance"),
    ]
    return [instrument.id for instrument in instruments], viewers


def read_plain(equipment_id: int, at: datetime, slot: Interval):
    values = {"equipment_id": equipment_id, "at": at, "start": slot.start, "end": slot.end}
    rows = db.session.connection().execute(bookings.INSTRUMENT_TO_BOOK, values).mappings().all()
    return bookings._instrument_to_book(rows)


@pytest.mark.parametrize("days_ahead", [0, 5])
def test_the_plain_read_agrees_with_the_orm_objects(corpus, days_ahead):
    equipment_ids, viewers = corpus
    at = NOW + timedelta(days=days_ahead)
    slot = Interval(at + timedelta(days=1), at + timedelta(days=1, hours=1))
    for equipment_id in equipment_ids:
        db.session.expire_all()
        equipment = db.session.get(Equipment, equipment_id)
        plain = read_plain(equipment_id, at, slot)

        version, card = rate_cards.rate_card_in_force(equipment, at)
        assert (plain.card_id, plain.card) == (version.id if version else None, card)
        assert bookings.booking_rules(plain) == bookings.booking_rules(equipment)
        assert (plain.id, plain.platform_id) == (equipment.id, equipment.platform_id)
        assert (plain.active, plain.requires_approval) == (
            equipment.active,
            equipment.requires_approval,
        )
        for week in range(3):
            window = Interval(at + timedelta(weeks=week), at + timedelta(weeks=week + 1))
            assert equipment_idle_time(plain, window) == equipment_idle_time(equipment, window)
        for viewer in viewers:
            assert can_see_equipment(viewer, plain) == can_see_equipment(viewer, equipment)


def test_the_corpus_covers_what_booking_reads(corpus):
    """Guards the test above: each case it should compare is in the corpus."""
    equipment_ids, viewers = corpus
    later = NOW + timedelta(days=5)  # the added card in force
    plain = [
        read_plain(equipment_id, later, Interval(later, later + timedelta(hours=1)))
        for equipment_id in equipment_ids
    ]
    assert any(instrument.card_id is None for instrument in plain)
    assert any(instrument.card.rate_windows for instrument in plain)
    assert len({len(instrument.idle_windows) for instrument in plain}) >= 3
    assert {window.kind for instrument in plain for window in instrument.idle_windows} == set(
        IdleWindowKind
    )
    assert {instrument.platform.is_approved for instrument in plain} == {True, False}
    assert {instrument.active for instrument in plain} == {True, False}
