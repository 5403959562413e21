"""GET /api/v1/notifications and marking them read: one's own only (another's answers 404),
the text in the language of Accept-Language, twice harmless."""

import threading

from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import Notification
from equipment_share.services import bookings, notifications
from tests.clock import local, next_weekday


def book(sme, equipment, hour):
    day = next_weekday(2)
    booking = bookings.create_booking(
        sme, equipment.id, local(day, hour), local(day, hour + 1), "coal ash"
    )
    db.session.commit()
    notifications.expand_booking_events()  # sent (`flask send-mail`): now the notices are there
    return booking


def make_world(make_org, make_user, make_equipment):
    platform_org = make_org("platform")
    platform = make_user("platform", platform_org)
    sme = make_user("sme", make_org("sme", name="华晟煤化科技", name_en="Huasheng"))
    equipment = make_equipment(platform_org, requires_approval=True, name="扫描电镜", name_en="SEM")
    return platform, sme, equipment


def test_the_list_is_the_users_own_newest_first(
    client, api_headers, make_org, make_user, make_equipment
):
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    first, second = book(sme, equipment, 9), book(sme, equipment, 11)
    headers = api_headers(platform) | {"Accept-Language": "en"}
    answer = client.get("/api/v1/notifications", headers=headers)
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["total"] == 2 and body["page"] == 1
    assert [item["object_id"] for item in body["items"]] == [second.id, first.id]
    item = body["items"][0]
    assert item["kind"] == "booking_requested" and item["object_type"] == "booking"
    assert item["text"].startswith("Huasheng requests SEM for ")
    assert item["read_at"] is None and item["created_at"].endswith("+08:00")
    assert client.get("/api/v1/notifications", headers=api_headers(sme)).get_json()["total"] == 0


def test_the_text_is_chinese_by_default(client, api_headers, make_org, make_user, make_equipment):
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    book(sme, equipment, 9)
    body = client.get("/api/v1/notifications", headers=api_headers(platform)).get_json()
    assert body["items"][0]["text"].startswith("华晟煤化科技 申请预约 扫描电镜，时间 ")


def test_mark_one_read_twice_and_the_unread_filter(
    client, api_headers, make_org, make_user, make_equipment
):
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    book(sme, equipment, 9), book(sme, equipment, 11)
    headers = api_headers(platform)
    notice_id = client.get("/api/v1/notifications", headers=headers).get_json()["items"][0]["id"]
    first = client.post(f"/api/v1/notifications/{notice_id}/read", headers=headers)
    assert first.status_code == 200 and first.get_json()["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{notice_id}/read", headers=headers)
    assert again.status_code == 200 and again.get_json()["read_at"] == first.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=headers).get_json()
    assert unread["total"] == 1 and unread["items"][0]["id"] != notice_id


def test_another_users_notification_is_not_found(
    client, api_headers, make_org, make_user, make_equipment
):
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    book(sme, equipment, 9)
    notice = db.session.scalars(select(Notification)).one()
    for other in (sme, make_user("finance"), make_user("platform", platform.organization)):
        answer = client.post(f"/api/v1/notifications/{notice.id}/read", headers=api_headers(other))
        assert answer.status_code == 404
        assert answer.get_json()["error"]["code"] == "not_found"
    db.session.commit()
    assert db.session.get(Notification, notice.id).read_at is None


def test_mark_all_read(client, api_headers, make_org, make_user, make_equipment):
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    book(sme, equipment, 9), book(sme, equipment, 11)
    headers = api_headers(platform)
    answer = client.post("/api/v1/notifications/read-all", headers=headers, json={})
    assert answer.status_code == 200 and answer.get_json() == {"marked": 2, "unread": 0}
    again = client.post("/api/v1/notifications/read-all", headers=headers)
    assert again.get_json() == {"marked": 0, "unread": 0}
    assert client.get("/api/v1/notifications?unread=true", headers=headers).get_json()["total"] == 0


def test_the_operations_are_documented(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/notifications"]
    assert "post" in paths["/api/v1/notifications/{notification_id}/read"]
    assert "post" in paths["/api/v1/notifications/read-all"]


def test_two_requests_marking_one_notice_at_once_both_succeed_with_one_time(
    app, api_headers, make_org, make_user, make_equipment
):
    """Two tabs, one click each, at the same moment: both answer 200 with the same read_at."""
    platform, sme, equipment = make_world(make_org, make_user, make_equipment)
    book(sme, equipment, 9)
    notice_id = db.session.scalars(select(Notification.id)).one()
    headers = api_headers(platform)
    start = threading.Barrier(2)
    answers = []

    def click():
        with app.app_context():  # a context (and database session) of its own, as a worker has
            client = app.test_client()
            start.wait()
            answer = client.post(f"/api/v1/notifications/{notice_id}/read", headers=headers)
            answers.append((answer.status_code, answer.get_json()["read_at"]))
            db.session.remove()

    threads = [threading.Thread(target=click) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [status for status, _ in answers] == [200, 200]
    assert answers[0][1] == answers[1][1] is not None
    db.session.commit()
    assert db.session.get(Notification, notice_id).read_at is not None
