"""Group robots: an organisation's WeCom or DingTalk webhook gets its notices, queued with them
(a booking's when its mail is sent) and posted by `send-webhooks` to a real HTTP server on 127.0.0.1 that
records what it receives; DingTalk posts are signed; a failure is kept and retried, and never
touches the change."""

import base64
import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from equipment_share.domain.errors import Forbidden, ValidationFailed
from equipment_share.domain.notices import dingtalk_signed_url, is_http_url, robot_error
from equipment_share.extensions import db
from equipment_share.models import Booking, WebhookMessage
from equipment_share.services import bookings, notifications, webhooks
from tests.clock import local, next_weekday


class FakeRobot:
    """A robot endpoint: records each post; answers with `answers` in turn (then the last)."""

    def __init__(self):
        self.posts: list[dict] = []
        self.answers: list[tuple[int, dict]] = [(200, {"errcode": 0, "errmsg": "ok"})]
        robot = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (the http.server API)
                length = int(self.headers.get("Content-Length", 0))
                robot.posts.append(
                    {
                        "path": self.path,
                        "content_type": self.headers.get("Content-Type"),
                        "body": json.loads(self.rfile.read(length).decode("utf-8")),
                    }
                )
                status, answer = (
                    robot.answers.pop(0) if len(robot.answers) > 1 else robot.answers[0]
                )
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def robot():
    with FakeRobot() as robot:
        yield robot


@pytest.fixture
def world(make_org, make_user, make_equipment):
    platform_org = make_org("platform", name="煤炭检测平台")
    platform = make_user("platform", platform_org)
    sme = make_user("sme", make_org("sme", name="华晟煤化科技"))
    equipment = make_equipment(platform_org, requires_approval=True, name="扫描电子显微镜")
    return platform, sme, equipment


def book(sme, equipment, hour=9) -> Booking:
    day = next_weekday(2)
    booking = bookings.create_booking(
        sme, equipment.id, local(day, hour), local(day, hour + 1), "coal ash"
    )
    db.session.commit()
    notifications.expand_booking_events()  # its mail sent: the notices and the robot posts
    return booking


def test_a_wecom_robot_gets_the_platforms_notice_as_text(world, robot):
    platform, sme, equipment = world
    webhooks.set_channel(platform, "wecom", f"{robot.url}/cgi-bin/webhook/send?key=abc", None)
    db.session.commit()
    book(sme, equipment)
    assert webhooks.send_pending() == (1, 0)
    [post] = robot.posts
    assert post["path"] == "/cgi-bin/webhook/send?key=abc"
    assert post["content_type"].startswith("application/json")
    assert post["body"]["msgtype"] == "text"
    content = post["body"]["text"]["content"]
    assert content.startswith("【仪器共享】华晟煤化科技 申请预约 扫描电子显微镜，时间 ")
    message = db.session.scalars(select(WebhookMessage)).one()
    assert message.sent_at is not None and message.attempts == 1 and message.last_error == ""
    assert webhooks.send_pending() == (0, 0)  # sent once
    assert len(robot.posts) == 1


def test_an_sme_without_a_robot_gets_no_post_and_one_organisation_never_sees_anothers(world, robot):
    platform, sme, equipment = world
    webhooks.set_channel(sme, "wecom", f"{robot.url}/sme", None)
    db.session.commit()
    book(sme, equipment)  # a notice for the platform, which has no robot
    assert webhooks.send_pending() == (0, 0)
    assert robot.posts == []


def test_a_dingtalk_post_is_signed_as_dingtalk_documents(world, robot):
    platform, sme, equipment = world
    secret = "SECabc123"
    webhooks.set_channel(platform, "dingtalk", f"{robot.url}/robot/send?access_token=t0k", secret)
    db.session.commit()
    book(sme, equipment)
    assert webhooks.send_pending() == (1, 0)
    [post] = robot.posts
    query = parse_qs(urlsplit(post["path"]).query)
    assert query["access_token"] == ["t0k"]
    timestamp = query["timestamp"][0]
    expected = base64.b64encode(
        hmac.new(secret.encode(), f"{timestamp}\n{secret}".encode(), hashlib.sha256).digest()
    ).decode()
    assert query["sign"] == [expected]
    assert post["body"]["msgtype"] == "text"


def test_the_dingtalk_signature_matches_the_documented_example():
    """DingTalk's Python sample: timestamp and secret joined by a newline, HMAC-SHA256 keyed
    with the secret, Base64, then quote_plus."""
    url = dingtalk_signed_url("https://oapi.dingtalk.com/robot/send?access_token=x", "s", 1)
    digest = hmac.new(b"s", b"1\ns", hashlib.sha256).digest()
    sign = base64.b64encode(digest).decode().replace("+", "%2B").replace("/", "%2F")
    assert url == (
        "https://oapi.dingtalk.com/robot/send?access_token=x&timestamp=1&sign="
        + sign.replace("=", "%3D")
    )


def test_a_failed_post_is_kept_with_its_error_and_retried(world, robot):
    platform, sme, equipment = world
    webhooks.set_channel(platform, "wecom", f"{robot.url}/send", None)
    db.session.commit()
    robot.answers = [
        (500, {"error": "busy"}),
        (200, {"errcode": 93000, "errmsg": "invalid webhook url"}),
        (200, {"errcode": 0, "errmsg": "ok"}),
    ]
    book(sme, equipment)
    assert webhooks.send_pending() == (0, 1)
    message = db.session.scalars(select(WebhookMessage)).one()
    assert message.sent_at is None and message.attempts == 1 and "500" in message.last_error
    assert webhooks.send_pending() == (0, 1)
    db.session.refresh(message)
    assert message.attempts == 2 and "93000" in message.last_error
    assert webhooks.send_pending() == (1, 0)
    db.session.refresh(message)
    assert message.sent_at is not None and message.attempts == 3
    assert len(robot.posts) == 3


def test_an_unreachable_robot_never_blocks_the_change_and_gives_up_after_the_attempts(world):
    platform, sme, equipment = world
    with FakeRobot() as gone:
        url = f"{gone.url}/send"
    webhooks.set_channel(platform, "wecom", url, None)  # nothing listens there any more
    db.session.commit()
    booking = book(sme, equipment)
    assert db.session.get(Booking, booking.id).status.value == "pending"
    for _ in range(webhooks.MAX_ATTEMPTS):
        assert webhooks.send_pending() == (0, 1)
    assert webhooks.send_pending() == (0, 0)
    message = db.session.scalars(select(WebhookMessage)).one()
    assert message.attempts == webhooks.MAX_ATTEMPTS and message.last_error


def test_the_send_webhooks_command_posts_the_queue(world, robot, runner):
    platform, sme, equipment = world
    webhooks.set_channel(platform, "wecom", f"{robot.url}/send", None)
    db.session.commit()
    book(sme, equipment)
    result = runner.invoke(args=["send-webhooks"])
    assert result.exit_code == 0, result.output
    assert "Posted 1 message(s); 0 failed" in result.output
    assert len(robot.posts) == 1


@pytest.mark.parametrize(
    ("kind", "url", "secret", "field"),
    [
        ("wecom", "file:///etc/passwd", "", "url"),
        ("wecom", "javascript:alert(1)", "", "url"),
        ("wecom", "ftp://robot.example/send", "", "url"),
        ("wecom", "", "", "url"),
        ("wecom", "https://" + "a" * 500 + ".example/", "", "url"),
        ("slack", "https://robot.example/send", "", "kind"),
        ("wecom", "https://robot.example/send", "SECabc", "secret"),
    ],
)
def test_only_http_robots_of_a_known_kind_are_accepted(world, kind, url, secret, field):
    platform, _, _ = world
    with pytest.raises(ValidationFailed) as refusal:
        webhooks.set_channel(platform, kind, url, secret)
    assert field in refusal.value.fields
    db.session.rollback()
    assert webhooks.channel_of(platform.organization_id) is None


def test_an_empty_secret_keeps_the_stored_one_and_finance_has_no_robot(world, make_user):
    platform, _, _ = world
    webhooks.set_channel(platform, "dingtalk", "https://oapi.dingtalk.com/robot/send", "SEC1")
    webhooks.set_channel(platform, "dingtalk", "https://oapi.dingtalk.com/robot/send?a=1", None)
    channel = webhooks.channel_of(platform.organization_id)
    assert channel.secret == "SEC1" and channel.url.endswith("?a=1")
    with pytest.raises(Forbidden):
        webhooks.set_channel(make_user("finance"), "wecom", "https://robot.example/", None)


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=1", True),
        ("http://10.0.0.5:8080/hook", True),
        ("https:///no-host", False),
        ("https://robot.example/a b", False),
        ("//robot.example/send", False),
    ],
)
def test_is_http_url(url, ok):
    assert is_http_url(url) is ok


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{"errcode":0,"errmsg":"ok"}', None),
        (b"", None),
        (b'{"errcode":310000,"errmsg":"sign not match"}', "errcode 310000: sign not match"),
        (b"<html>", "unreadable answer: b'<html>'"),
        (b"[1]", "unexpected answer: b'[1]'"),
    ],
)
def test_robot_error(body, error):
    assert robot_error(body) == error
