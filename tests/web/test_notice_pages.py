"""The bell and its list, the platform's day ("who comes when"), and the group-robot settings of
an organisation's page."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import Notification, WebhookChannel
from equipment_share.services import bookings, notifications
from tests.clock import SHANGHAI, local, next_weekday
from tests.statement_helpers import confirmed_booking
from tests.web.conftest import page_text


@pytest.fixture
def world(make_org, make_user, make_equipment):
    platform_org = make_org("platform", name="煤炭检测平台")
    platform = make_user("platform", platform_org)
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", name_en="Huasheng"))
    equipment = make_equipment(
        platform_org, requires_approval=True, name="扫描电子显微镜", name_en="SEM"
    )
    return platform, sme, equipment


def book(sme, equipment, hour=9):
    day = next_weekday(2)
    booking = bookings.create_booking(
        sme, equipment.id, local(day, hour), local(day, hour + 1), "coal ash"
    )
    db.session.commit()
    notifications.expand_booking_events()  # sent (`flask send-mail`): now the notices are there
    return booking


def test_the_bell_shows_the_unread_count_to_signed_in_users_only(client, login, world):
    platform, sme, equipment = world
    assert 'id="notification-bell"' not in client.get("/").get_data(as_text=True)
    book(sme, equipment, 9), book(sme, equipment, 11)
    login(platform)
    text = client.get("/").get_data(as_text=True)
    assert 'id="notification-bell"' in text
    assert 'id="unread-count">2<' in text
    assert "通知：2 条未读" in page_text(client.get("/"))


def test_the_list_is_newest_first_in_the_readers_language_and_links_to_the_object(
    english, login, world
):
    platform, sme, equipment = world
    first, second = book(sme, equipment, 9), book(sme, equipment, 11)
    login(platform)
    text = page_text(english.get("/notifications"))
    assert text.index(f"Huasheng requests SEM for {local(next_weekday(2), 11):%Y-%m-%d} 11:00") < (
        text.index(f"Huasheng requests SEM for {local(next_weekday(2), 9):%Y-%m-%d} 09:00")
    )
    assert f'value="/bookings/{second.id}"' in text and f'value="/bookings/{first.id}"' in text


def test_opening_a_notice_marks_it_read_and_goes_to_its_booking(client, login, world):
    platform, sme, equipment = world
    booking = book(sme, equipment)
    notice = db.session.scalars(select(Notification)).one()
    login(platform)
    answer = client.post(
        f"/notifications/{notice.id}/read", data={"next": f"/bookings/{booking.id}"}
    )
    assert answer.status_code == 302 and answer.headers["Location"] == f"/bookings/{booking.id}"
    db.session.commit()
    assert db.session.get(Notification, notice.id).read_at is not None
    assert 'id="unread-count"' not in client.get("/").get_data(as_text=True)
    # not to another site, though
    answer = client.post(f"/notifications/{notice.id}/read", data={"next": "//evil.example/"})
    assert answer.headers["Location"].startswith("/notifications")


def test_someone_elses_notice_is_not_found_and_stays_unread(client, login, world, make_user):
    platform, sme, equipment = world
    book(sme, equipment)
    notice = db.session.scalars(select(Notification)).one()
    colleague = make_user("platform", platform.organization)
    db.session.commit()
    login(colleague)
    assert client.post(f"/notifications/{notice.id}/read").status_code == 404
    db.session.commit()
    assert db.session.get(Notification, notice.id).read_at is None


def test_mark_all_as_read(english, login, world):
    platform, sme, equipment = world
    book(sme, equipment, 9), book(sme, equipment, 11)
    login(platform)
    assert "Unread (2)" in page_text(english.get("/notifications"))
    assert english.post("/notifications/read-all").status_code == 302
    text = page_text(english.get("/notifications?unread=1"))
    assert "No unread notifications." in text and "Unread (0)" in text


def test_the_list_is_paginated(english, login, world):
    platform, sme, equipment = world
    db.session.add_all(
        Notification(
            user_id=platform.id,
            kind="booking_confirmed",
            object_type="booking",
            object_id=None,
            params={"enterprise": f"E{number}", "equipment": "SEM", "when": "today"},
        )
        for number in range(35)
    )
    db.session.commit()
    login(platform)
    first = page_text(english.get("/notifications"))
    assert "E34 booked SEM" in first and "E4 booked SEM" not in first and "1 / 2" in first
    assert "E4 booked SEM" in page_text(english.get("/notifications?page=2"))


# --- the platform's day ---


def test_today_lists_todays_bookings_of_the_platforms_instruments_with_check_in(
    english, login, world, make_equipment, make_user
):
    platform, sme, equipment = world
    midnight = datetime.now(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    # under way now (so it can be checked in), which is today whatever the hour
    now = datetime.now(SHANGHAI).replace(second=0, microsecond=0)
    today = confirmed_booking(sme, equipment, now - timedelta(minutes=30))
    tomorrow = confirmed_booking(sme, equipment, midnight + timedelta(days=1, hours=9))
    elsewhere = confirmed_booking(sme, make_equipment(), midnight + timedelta(minutes=30))
    db.session.commit()
    login(platform)
    answer = english.get("/bookings/today")
    assert answer.status_code == 200
    text = page_text(answer)
    assert f'id="booking-{today.id}"' in text
    assert f'id="booking-{tomorrow.id}"' not in text and f'id="booking-{elsewhere.id}"' not in text
    assert f"/bookings/{today.id}/check-in" in text and "Check in" in text
    next_day = page_text(
        english.get(f"/bookings/today?day={(midnight + timedelta(days=1)):%Y-%m-%d}")
    )
    assert f'id="booking-{tomorrow.id}"' in next_day
    assert "Nobody is booked on this day." in page_text(
        english.get(f"/bookings/today?day={(midnight + timedelta(days=5)):%Y-%m-%d}")
    )


def test_today_is_for_platforms(client, login, world):
    _, sme, _ = world
    login(sme)
    assert client.get("/bookings/today").status_code == 403


# --- the group robot on the organisation's page ---


def test_a_platform_sets_tests_and_removes_its_group_robot(english, login, world):
    platform, _, _ = world
    login(platform)
    answer = english.post(
        "/settings/organization/webhook",
        data={
            "kind": "dingtalk",
            "url": "https://oapi.dingtalk.com/robot/send?access_token=1",
            "secret": "SECxyz",
            "action": "save",
        },
    )
    assert answer.status_code == 302
    db.session.commit()
    channel = db.session.get(WebhookChannel, platform.organization_id)
    assert (channel.kind, channel.secret) == ("dingtalk", "SECxyz")
    text = page_text(english.get("/settings/organization"))
    assert "Posting to a DingTalk robot. Posts are signed." in text
    assert "SECxyz" not in text  # the secret is never shown back
    english.post("/settings/organization/webhook", data={"kind": "dingtalk", "action": "test"})
    assert "A test message is queued" in page_text(english.get("/settings/organization"))
    english.post("/settings/organization/webhook", data={"kind": "dingtalk", "action": "remove"})
    db.session.commit()
    assert db.session.get(WebhookChannel, platform.organization_id) is None


def test_a_bad_robot_address_is_shown_next_to_its_field_and_changes_nothing(english, login, world):
    _, sme, _ = world
    login(sme)
    answer = english.post(
        "/settings/organization/webhook",
        data={"kind": "wecom", "url": "file:///etc/passwd", "action": "save"},
    )
    assert answer.status_code == 422
    assert "Enter an http:// or https:// address." in page_text(answer)
    db.session.commit()
    assert db.session.get(WebhookChannel, sme.organization_id) is None
