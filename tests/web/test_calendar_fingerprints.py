"""Feeds answer 304 from a fingerprint of what they are made of (one query, the feed is not
built), and the fingerprint moves with every change the feed shows."""

from datetime import timedelta

import pytest
from sqlalchemy import event

from equipment_share.extensions import db
from equipment_share.models import MaintenanceBlock
from equipment_share.models.organizations import OrganizationStatus
from equipment_share.services import bookings
from equipment_share.services.calendars import equipment_feed_etag, make_feed_secret
from tests.clock import local
from tests.web.test_calendars import in_days


@pytest.fixture
def setting(make_org, make_user, make_equipment):
    """An instrument needing approval, an SME, the platform's user, a booking in a week."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user = make_user("sme")
    booking = bookings.create_booking(
        sme_user, equipment.id, local(in_days(7), 10), local(in_days(7), 12)
    )
    db.session.commit()
    return equipment, sme_user, make_user("platform", platform), booking


@pytest.fixture
def statements(app):
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    yield seen
    event.remove(db.engine, "before_cursor_execute", note)


def etag_after(client, url: str, etag: str) -> tuple[int, str]:
    response = client.get(url, headers={"If-None-Match": etag})
    return response.status_code, response.headers["ETag"]


@pytest.mark.usefixtures("every_read_asked")
def test_an_unchanged_instrument_feed_is_a_304_from_one_query(client, setting, statements):
    equipment = setting[0]
    url = f"/calendar/equipment/{equipment.id}.ics"
    etag = client.get(url).headers["ETag"]
    statements.clear()

    response = client.get(url, headers={"If-None-Match": etag})

    assert response.status_code == 304 and response.headers["ETag"] == etag
    [fingerprint] = [text for text in statements if text.startswith("SELECT")]
    assert "FROM instrument_changes" in fingerprint  # the instrument not even loaded


@pytest.mark.parametrize("hidden_by", ["inactive", "pending platform"])
def test_a_hidden_instrument_s_304_still_checks_who_asks(
    client, setting, login, make_user, hidden_by
):
    """The one-query 304 is for public instruments only; a hidden one is loaded and its
    visibility checked first, so an ETag seen before does not tell a stranger it is unchanged."""
    equipment = setting[0]
    url = f"/calendar/equipment/{equipment.id}.ics"
    etag = client.get(url).headers["ETag"]  # public, and its horizon seen
    if hidden_by == "inactive":
        equipment.active = False
    else:
        equipment.platform.status = OrganizationStatus.PENDING
    db.session.commit()
    login(make_user("admin"))  # who may still see it
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    client.post("/logout")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 404


def test_the_instrument_fingerprint_moves_with_each_change_the_feed_shows(client, setting):
    equipment, sme_user, platform_user, booking = setting
    url = f"/calendar/equipment/{equipment.id}.ics"
    etag = client.get(url).headers["ETag"]

    def changed() -> bool:
        nonlocal etag
        status, new = etag_after(client, url, etag)
        moved, etag = new != etag, new
        assert (status == 200) == moved
        return moved

    assert not changed()
    made = bookings.create_booking(
        sme_user, equipment.id, local(in_days(8), 10), local(in_days(8), 11)
    )
    db.session.commit()
    assert changed()
    bookings.approve(platform_user, booking)
    db.session.commit()
    assert changed()
    bookings.cancel(sme_user, made, "plans changed")
    db.session.commit()
    assert changed()
    db.session.add(
        MaintenanceBlock(
            equipment_id=equipment.id,
            start_at=local(in_days(9), 8),
            end_at=local(in_days(9), 9),
        )
    )
    db.session.commit()
    assert changed()
    equipment.horizon_days += 10
    db.session.commit()
    assert changed()
    assert not changed()


def test_the_personal_fingerprint_moves_with_its_bookings_and_their_instruments(
    client, setting, statements
):
    equipment, sme_user, _, booking = setting
    url = f"/calendar/feed/{make_feed_secret(sme_user)}.ics"
    db.session.commit()
    etag = client.get(url).headers["ETag"]
    statements.clear()

    assert etag_after(client, url, etag) == (304, etag)
    assert len([text for text in statements if "FROM bookings" in text]) == 1

    bookings.cancel(sme_user, booking, "plans changed")
    db.session.commit()
    status, after_cancel = etag_after(client, url, etag)
    assert status == 200 and after_cancel != etag

    equipment.name = "Renamed instrument"
    db.session.commit()
    status, after_rename = etag_after(client, url, after_cancel)
    assert status == 200 and after_rename != after_cancel
    assert etag_after(client, url, after_rename) == (304, after_rename)


def test_the_day_is_part_of_the_fingerprint(app, setting):
    equipment = setting[0]
    today = local(in_days(0), 12)
    assert equipment_feed_etag(equipment, today) == equipment_feed_etag(
        equipment, today + timedelta(hours=1)
    )
    assert equipment_feed_etag(equipment, today) != equipment_feed_etag(
        equipment, today + timedelta(days=1)
    )
