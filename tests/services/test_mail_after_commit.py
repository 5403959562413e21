"""Mail waits for the commit: the database announces a committed request (a signal) and the
notifications send what the request queued; a refused request sends nothing."""

import pytest

from equipment_share.database import request_committed
from equipment_share.extensions import db
from equipment_share.services import notices, notifications
from tests.clock import at, next_weekday


class InlineThread:
    """Runs the background send at once, so the test sees it."""

    def __init__(self, target, daemon):
        self.target = target

    def start(self):
        self.target()


@pytest.fixture
def sends(app, monkeypatch):
    app.config["MAIL_SERVER"] = "smtp.test"
    app.config["SEND_AFTER_COMMIT"] = True
    calls = []
    monkeypatch.setattr(notifications.threading, "Thread", InlineThread)
    monkeypatch.setattr(notifications, "send_pending", lambda: calls.append("sent") or (1, 0))
    return calls


def book(client, headers, equipment_id):
    day = next_weekday(1)
    body = {"equipment_id": equipment_id, "start": at(day, 10), "end": at(day, 12)}
    return client.post("/api/v1/bookings", json=body, headers=headers)


def test_the_notifications_listen_for_the_commit(app):
    assert notifications.send_after_commit in request_committed.receivers_for(app)


def test_a_committed_booking_sends_its_mail_and_a_refused_one_sends_none(
    app, client, sends, make_equipment, make_user, api_headers
):
    equipment_id = make_equipment().id
    headers = api_headers(make_user("sme"))

    assert book(client, headers, equipment_id).status_code == 201
    assert sends == ["sent"]

    assert book(client, headers, equipment_id).status_code == 409  # the same slot again
    assert sends == ["sent"]


def test_with_the_setting_off_only_send_mail_sends(
    app, client, sends, make_equipment, make_user, api_headers
):
    app.config["SEND_AFTER_COMMIT"] = False
    headers = api_headers(make_user("sme"))

    assert book(client, headers, make_equipment().id).status_code == 201
    assert sends == []


def test_without_smtp_a_bookings_notice_appears_right_after_the_commit(
    app, client, monkeypatch, make_equipment, make_user, api_headers
):
    """The demo and an intranet without mail: the mail goes to the log, and the platform's
    users see the request in the app at once, without waiting for the mail timer."""
    app.config["SEND_AFTER_COMMIT"] = True
    monkeypatch.setattr(notifications.threading, "Thread", InlineThread)
    equipment = make_equipment()
    platform_user = make_user("platform", organization=equipment.platform)
    headers = api_headers(make_user("sme"))
    assert notices.unread_count(platform_user) == 0

    assert book(client, headers, equipment.id).status_code == 201

    db.session.rollback()
    assert notices.unread_count(platform_user) == 1
