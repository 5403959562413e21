"""Booking state changes one at a time, across processes: requests that change one booking at the
same moment are served one after the other, each on the state the previous one left, so a
transition that is no longer possible is refused (409 invalid_state) and writes nothing: no audit
entry, no mail.

gunicorn with 4 worker processes on the test's database (SQLite by default, PostgreSQL when
DATABASE_URL is set).
"""

from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta

import pytest
from sqlalchemy import select

from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, OutboxMessage, User
from equipment_share.services.bookings import create_booking
from equipment_share.services.notifications import expand_booking_events
from tests.clock import local, today
from tests.concurrency.server import Server, all_at_once, describe, request, serving

pytestmark = pytest.mark.concurrency

ALL_DAY = [((0, 1, 2, 3, 4, 5, 6), clock(0), clock(0))]  # 00:00 to 24:00 every day
ROUNDS = 3
# who is mailed about each change: decisions go to the SME, cancellations to both sides
RECIPIENTS = {"approve": ("sme",), "reject": ("sme",), "cancel": ("platform", "sme")}
TO_STATE = {"approve": "confirmed", "reject": "rejected", "cancel": "cancelled"}


@dataclass
class Setting:
    sme: str  # e-mail addresses
    platform: str
    headers: dict  # by role
    bookings: list[int]  # pending, one per round
    server: Server | None = None


@pytest.fixture
def setting(app, tmp_path, make_org, make_equipment, make_user, api_headers):
    """An instrument that needs approval, its platform's user and an SME, each with a token,
    and gunicorn serving the test's database."""
    platform = make_org("platform")
    equipment = make_equipment(platform, weekly=ALL_DAY, requires_approval=True, lead_time_hours=0)
    users = {"sme": make_user("sme"), "platform": make_user("platform", platform)}
    headers = {role: api_headers(user) for role, user in users.items()}
    sme_id = users["sme"].id
    bookings = [_pending_booking(sme_id, equipment.id, number) for number in range(ROUNDS)]
    setting = Setting(users["sme"].email, users["platform"].email, headers, bookings)
    with serving(app, tmp_path, headers["sme"]) as server:
        setting.server = server
        yield setting


def _pending_booking(sme_id: int, equipment_id: int, number: int) -> int:
    start = local(today() + timedelta(days=7), 8 + 2 * number)
    booking = create_booking(
        db.session.get(User, sme_id), equipment_id, start, start + timedelta(hours=1), "race"
    )
    db.session.commit()
    assert booking.status.value == "pending"
    return booking.id


def _race(setting: Setting, booking_id: int, actions: list[tuple[str, str]]) -> list:
    """Send every (action, role) for the booking at the same moment."""
    # Each token's last use is recorded at most once a minute: record it now, so that only the
    # booking's own changes race (the token's write is a separate defect, with its own test).
    for headers in setting.headers.values():
        assert request(setting.server.port, "GET", "/api/v1/me", headers)[0] == 200
    return all_at_once(
        setting.server,
        [
            (
                "POST",
                f"/api/v1/bookings/{booking_id}/{action}",
                setting.headers[role],
                {} if action == "approve" else {"reason": f"{action} race"},
            )
            for action, role in actions
        ],
    )


def _changes(booking_id: int) -> list[tuple[str, str, str]]:
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
        .where(
            AuditEntry.object_type == "booking",
            AuditEntry.object_id == booking_id,
            AuditEntry.action != "create",
        )
        .order_by(AuditEntry.position)
    )
    return [tuple(row) for row in rows]


def _mails(setting: Setting, booking_id: int) -> list[tuple[str, str]]:
    """(event, recipient) of the booking's mails after the one about the booking being made."""
    subjects = {"预约已确认": "approve", "预约被拒绝": "reject", "预约已取消": "cancel"}
    expand_booking_events()
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.booking_id == booking_id)
    )
    by_role = {setting.sme: "sme", setting.platform: "platform"}
    return sorted(
        (event, by_role[message.recipient])
        for message in messages
        for word, event in subjects.items()
        if word in message.subject
    )


def _expected_mails(winning_actions: list[str]) -> list[tuple[str, str]]:
    return sorted((action, role) for action in winning_actions for role in RECIPIENTS[action])


def _check_serialised(setting: Setting, booking_id: int, actions, answers) -> list[str]:
    """Every answer is 200 or 409 invalid_state; each 200 wrote one audit entry and one round of
    mail, and the entries chain from pending to the booking's state. Returns the winners."""
    assert {status for status, _ in answers} <= {200, 409}, describe(answers)
    for status, body in answers:
        if status == 409:
            assert body["error"]["code"] == "invalid_state", body
    winners = [
        action for (action, _), (status, _) in zip(actions, answers, strict=True) if status == 200
    ]
    changes = _changes(booking_id)
    assert sorted(action for action, _, _ in changes) == sorted(winners), describe(answers)
    states = ["pending"] + [to_state for _, _, to_state in changes]
    assert [from_state for _, from_state, _ in changes] == states[:-1], changes
    assert [TO_STATE[action] for action, _, _ in changes] == states[1:], changes
    assert db.session.get(Booking, booking_id).status.value == states[-1]
    assert _mails(setting, booking_id) == _expected_mails(winners)
    return winners


def test_approves_and_rejects_at_once_exactly_one_wins(setting):
    actions = [("approve", "platform"), ("reject", "platform")] * 4
    for booking_id in setting.bookings:
        answers = _race(setting, booking_id, actions)

        winners = _check_serialised(setting, booking_id, actions, answers)
        assert len(winners) == 1, describe(answers)


def test_approves_and_cancels_at_once_change_the_booking_one_at_a_time(setting):
    # A cancel that comes after an approval cancels the confirmed booking, as it may: at most
    # one approval and one cancellation succeed, and an approval never follows a cancellation.
    actions = [("approve", "platform"), ("cancel", "sme")] * 4
    for booking_id in setting.bookings:
        answers = _race(setting, booking_id, actions)

        winners = _check_serialised(setting, booking_id, actions, answers)
        assert winners.count("approve") <= 1 and winners.count("cancel") == 1, describe(answers)
        assert [action for action, _, _ in _changes(booking_id)][-1] == "cancel"


def test_ten_identical_cancels_cancel_once(setting):
    actions = [("cancel", "sme")] * 10
    for booking_id in setting.bookings:
        answers = _race(setting, booking_id, actions)

        winners = _check_serialised(setting, booking_id, actions, answers)
        assert winners == ["cancel"], describe(answers)
