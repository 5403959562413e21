"""Usage pages in a locked period: recording, waiving or correcting is refused with a clear
flash (in English and Chinese) and nothing changes."""

from decimal import Decimal

import pytest

from equipment_share.extensions import db
from equipment_share.models import UsageRecord
from equipment_share.services import period_locks
from tests.conftest import count_rows
from tests.web.conftest import page_text
from tests.web.test_usage_pages import (  # noqa: F401 (fixtures)
    YESTERDAY,
    booked,
    local,
    past_booking,
    record_form,
    recorded,
    reload,
    world,
)


@pytest.fixture
def locked_yesterday(make_user):
    lock = period_locks.create_period_lock(make_user("finance", None), YESTERDAY, YESTERDAY)
    db.session.commit()
    return lock


def test_recording_use_of_a_locked_day_is_refused_with_a_flash(
    client,
    world,  # noqa: F811
    login,
    english,
    past_booking,  # noqa: F811
    locked_yesterday,
):
    login(world.manager)

    response = client.post(
        f"/bookings/{past_booking.id}/usage",
        data=record_form(local(10), local(11)),
        follow_redirects=True,
    )

    assert f"The period {YESTERDAY} to {YESTERDAY} is locked" in page_text(response)
    assert "Ask finance for an adjustment instead." in page_text(response)
    assert count_rows(UsageRecord) == 0


def test_waiving_and_correcting_in_a_locked_period_are_refused_in_chinese(
    client,
    world,  # noqa: F811
    login,
    recorded,  # noqa: F811
    make_user,
):
    period_locks.create_period_lock(make_user("finance", None), YESTERDAY, YESTERDAY)
    db.session.commit()
    login(world.manager)

    waived = client.post(
        f"/usage/{recorded.id}/waive", data={"reason": "免单"}, follow_redirects=True
    )
    corrected = client.post(
        f"/usage/{recorded.id}/correct",
        data=record_form(local(10), local(10, 30), reason="更正"),
        follow_redirects=True,
    )

    for response in (waived, corrected):
        assert f"{YESTERDAY} 至 {YESTERDAY} 期间已锁定" in page_text(response)
    assert reload(UsageRecord, recorded).fee == Decimal("205.18")


def test_a_locked_record_offers_no_change_buttons(
    client,
    world,  # noqa: F811
    login,
    english,
    recorded,  # noqa: F811
    make_user,
):
    login(world.manager)
    page = client.get(f"/bookings/{recorded.booking_id}").get_data(as_text=True)
    assert f"/usage/{recorded.id}/waive" in page

    period_locks.create_period_lock(make_user("finance", None), YESTERDAY, YESTERDAY)
    db.session.commit()
    page = client.get(f"/bookings/{recorded.booking_id}").get_data(as_text=True)

    assert f"/usage/{recorded.id}/waive" not in page
    assert f"/usage/{recorded.id}/correct" not in page
    assert "This use is in a locked period" in page
