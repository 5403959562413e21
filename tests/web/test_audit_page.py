"""The audit page: admins and finance read every change newest first, filter by object, user and
period, page through; everyone else is turned away."""

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry
from equipment_share.services import audit, bookings, usage
from tests.web.conftest import page_text

pytestmark = pytest.mark.usefixtures("english")

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.now(SHANGHAI).date()
USE_DAY = TODAY + timedelta(days=10)


def on_use_day(hour: int, minute: int = 0) -> datetime:
    return datetime.combine(USE_DAY, time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def story(make_org, make_user, make_equipment):
    """A booking requested by an SME, approved, used and disputed; and the instrument's first
    rate card, written by nobody (the system)."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=True)
    sme_user = make_user("sme", email="buyer@sme.example", name="Wang Fang")
    platform_user = make_user("platform", platform, email="desk@platform.example")
    booking = bookings.create_booking(sme_user, equipment.id, on_use_day(10), on_use_day(12))
    bookings.approve(platform_user, booking)
    record = usage.record_usage(
        platform_user, booking, on_use_day(10), on_use_day(12), now=on_use_day(13)
    )
    usage.dispute(sme_user, record, "we left at half past eleven")
    db.session.commit()
    return {
        "booking": booking,
        "record": record,
        "sme_user": sme_user,
        "platform_user": platform_user,
    }


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    login(user)
    return user


def positions(response) -> list[int]:
    return [int(number) for number in re.findall(r'<tr id="entry-(\d+)">', page_text(response))]


def entry_row(response, position: int) -> str:
    match = re.search(rf'<tr id="entry-{position}">(.*?)</tr>', page_text(response), re.DOTALL)
    assert match, f"no entry {position}"
    return match.group(1)


def entries_where(*conditions) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry).where(*conditions).order_by(AuditEntry.position.desc())
        )
    )


def test_admin_reads_every_entry_newest_first(client, admin, story):
    response = client.get("/audit")

    assert response.status_code == 200
    everything = entries_where()
    assert positions(response) == [entry.position for entry in everything]
    assert len(everything) == 6  # rate card, request, approval, completion, use, dispute


def test_each_row_says_who_did_what_to_which_object_and_why(client, admin, story):
    booking, record = story["booking"], story["record"]
    (request,) = entries_where(AuditEntry.object_type == "booking", AuditEntry.action == "create")
    (dispute,) = entries_where(AuditEntry.object_type == "usage", AuditEntry.action == "dispute")
    (first_card,) = entries_where(AuditEntry.object_type == "rate_card")

    response = client.get("/audit")

    requested = entry_row(response, request.position)
    assert "Wang Fang" in requested and "buyer@sme.example" in requested
    assert f'href="/bookings/{booking.id}"' in requested
    assert "pending" in requested
    disputed = entry_row(response, dispute.position)
    assert f"Usage record {record.id}" in disputed
    assert f'href="/bookings/{booking.id}"' in disputed  # the usage record's booking
    assert "we left at half past eleven" in disputed
    assert "status: recorded → disputed" in disputed
    (recorded,) = entries_where(AuditEntry.object_type == "usage", AuditEntry.action == "record")
    assert f"actual_start: — → {USE_DAY} 10:00:00" in entry_row(response, recorded.position)
    assert "fee: — → 600.00" in entry_row(response, recorded.position)
    assert "system" in entry_row(response, first_card.position)
    assert "hourly_rate: 300.00" in entry_row(response, first_card.position)


def test_the_head_of_the_chain_is_shown_with_the_command_that_checks_it(client, admin, story):
    position, entry_hash = audit.head()

    text = page_text(client.get("/audit"))

    assert f"entry {position}, hash {entry_hash[:12]}…" in text
    assert entry_hash[:13] not in text
    assert "flask --app equipment_share verify-audit" in text


def test_filter_by_object_type_and_id(client, admin, story):
    record = story["record"]
    usage_entries = entries_where(AuditEntry.object_type == "usage")

    by_type = client.get("/audit?object_type=usage")
    by_object = client.get(f"/audit?object_type=usage&object_id={record.id}")
    nothing = client.get(f"/audit?object_type=usage&object_id={record.id + 1}")

    assert positions(by_type) == [entry.position for entry in usage_entries]
    assert positions(by_object) == [entry.position for entry in usage_entries]
    assert positions(nothing) == []
    assert "No entries match." in page_text(nothing)


def test_filter_by_user_email_or_id(client, admin, story):
    sme_user, platform_user = story["sme_user"], story["platform_user"]
    by_sme = [entry.position for entry in entries_where(AuditEntry.actor_id == sme_user.id)]
    by_platform = [
        entry.position for entry in entries_where(AuditEntry.actor_id == platform_user.id)
    ]
    assert by_sme and by_platform

    assert positions(client.get("/audit?user=BUYER@sme")) == by_sme
    assert positions(client.get(f"/audit?user={platform_user.id}")) == by_platform
    assert positions(client.get("/audit?user=%25")) == []  # a wildcard is just a character


def test_filter_by_period_in_local_dates(client, admin, story):
    everything = [entry.position for entry in entries_where()]
    today, yesterday, tomorrow = TODAY, TODAY - timedelta(days=1), TODAY + timedelta(days=1)

    assert positions(client.get(f"/audit?start={today}&end={today}")) == everything
    assert positions(client.get(f"/audit?start={tomorrow}")) == []
    assert positions(client.get(f"/audit?end={yesterday}")) == []
    assert positions(client.get(f"/audit?start={yesterday}&end={tomorrow}")) == everything


def test_filters_that_do_not_parse_are_shown_and_ignored(client, admin, story):
    response = client.get("/audit?object_id=abc&start=2026-13-45&object_id=99999999999999")

    assert response.status_code == 200
    text = page_text(response)
    assert "Not a valid integer value." in text
    assert "Not a valid date value." in text
    assert positions(response) == [entry.position for entry in entries_where()]


def test_pages_keep_the_filters(client, admin, story):
    booking = story["booking"]
    for number in range(55):
        audit.record(None, "booking", booking.id, "note", reason=f"note {number}")
    db.session.commit()
    booking_entries = entries_where(AuditEntry.object_type == "booking")

    first = client.get("/audit?object_type=booking")

    assert positions(first) == [entry.position for entry in booking_entries[:50]]
    next_link = re.search(r'href="([^"]*page=2[^"]*)"', page_text(first))
    assert next_link and "object_type=booking" in next_link.group(1)
    second = client.get(next_link.group(1))
    assert positions(second) == [entry.position for entry in booking_entries[50:]]


def test_finance_reads_the_log_too(client, make_user, login, story):
    login(make_user("finance"))

    response = client.get("/audit")

    assert response.status_code == 200
    assert len(positions(response)) == 6
    assert 'href="/audit"' in page_text(response)  # in the navigation
    assert "verify-audit" not in page_text(response)  # the command is for the operator


@pytest.mark.parametrize("role", ["sme", "platform"])
def test_smes_and_platforms_cannot_see_the_log(client, make_user, login, story, role):
    login(make_user(role))

    response = client.get("/audit")

    assert response.status_code == 403
    assert "we left at half past eleven" not in page_text(response)
    assert 'href="/audit"' not in page_text(client.get("/"))


def test_anonymous_visitors_sign_in_first(client):
    response = client.get("/audit")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_an_empty_log_says_so(client, admin):
    text = page_text(client.get("/audit"))

    assert "The audit log is empty." in text
    assert "No entries match." in text
