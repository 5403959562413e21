"""Usage records under simultaneous requests, across gunicorn worker processes (SQLite by default,
PostgreSQL when DATABASE_URL is set): check-in, check-out, record, confirm, dispute, correct and
waive sent at the same moment, identical or conflicting, act one after the other, each on what
the previous one left. A change that is no longer possible is refused with 409 invalid_state and
writes nothing. So: one record per booking, one audit entry and one round of mail per success,
each audit entry starting from the state the previous one left, and the counters (corrections)
counting every success.

Select these tests with `pytest -m concurrency`.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from equipment_share.domain.usage import TRANSITIONS, UsageAction
from equipment_share.extensions import db
from equipment_share.models import AuditEntry, Booking, OutboxMessage, UsageRecord, User, utcnow
from equipment_share.services import usage
from tests.clock import SHANGHAI
from tests.concurrency.server import Server, all_at_once, describe, request, serving
from tests.statement_helpers import RATE, SETUP, confirmed_booking, local

pytestmark = pytest.mark.concurrency

# the mail each successful action sends, and to whom
MAIL = {
    "check_in": None,
    "check_out": ("使用记录待确认", "sme"),
    "record": ("使用记录待确认", "sme"),
    "confirm": None,
    "dispute": ("使用记录有异议", "platform"),
    "correct": ("使用记录已更正", "sme"),
    "waive": ("使用记录已更正", "sme"),
}
# the API action (path word) of each audited action
PATH = {
    "check_in": "check-in",
    "record": "usage",
    "check_out": "check-out",
    "confirm": "confirm",
    "dispute": "dispute",
    "correct": "correct",
    "waive": "waive",
}


@dataclass
class Setting:
    platform: User  # for the set-up, before the server starts
    sme: User
    emails: dict  # role by address
    headers: dict  # by role
    server: Server | None = None

    def role_of(self, action: str) -> str:
        return "sme" if action in ("confirm", "dispute") else "platform"


@pytest.fixture
def setting(app, tmp_path, make_user, api_headers):
    platform = make_user("platform")
    sme = make_user("sme")
    return Setting(
        platform,
        sme,
        {platform.email: "platform", sme.email: "sme"},
        {"platform": api_headers(platform), "sme": api_headers(sme)},
    )


def _body(action: str, booking: Booking, now: datetime) -> dict:
    start = booking.start_at
    if action == "record":
        end = min(booking.end_at, now - timedelta(minutes=2))
        return {"actual_start": start.isoformat(), "actual_end": end.isoformat()}
    if action == "correct":
        end = min(booking.end_at, now - timedelta(minutes=2)) - timedelta(minutes=10)
        return {"actual_start": start.isoformat(), "actual_end": end.isoformat(), "reason": "race"}
    if action in ("dispute", "waive"):
        return {"reason": f"{action} race"}
    return {}


def _race(setting: Setting, booking_id: int, record_id: int | None, actions: list[str]) -> list:
    """Send every action for the booking (or its record) at the same moment."""
    # A token's last use is written at most once a minute: write it now, so that only the
    # record's own changes race.
    for headers in setting.headers.values():
        assert request(setting.server.port, "GET", "/api/v1/me", headers)[0] == 200
    booking = db.session.get(Booking, booking_id)
    now = utcnow()
    calls = []
    for action in actions:
        on_booking = action in ("check_in", "record")
        target = f"bookings/{booking_id}" if on_booking else f"usage/{record_id}"
        calls.append(
            (
                "POST",
                f"/api/v1/{target}/{PATH[action]}",
                setting.headers[setting.role_of(action)],
                _body(action, booking, now),
            )
        )
    db.session.rollback()
    return all_at_once(setting.server, calls)


def _usage_entries(record_id: int) -> list[tuple[str, str, str]]:
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.from_state, AuditEntry.to_state)
        .where(AuditEntry.object_type == "usage", AuditEntry.object_id == record_id)
        .order_by(AuditEntry.position)
    )
    return [tuple(row) for row in rows]


def _mails(setting: Setting, booking_id: int) -> Counter:
    messages = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.booking_id == booking_id)
    )
    return Counter(
        (word, setting.emails[message.recipient])
        for message in messages
        for word in {mail[0] for mail in MAIL.values() if mail}
        if word in message.subject
    )


def _check_serialised(
    setting: Setting, booking_id: int, actions: list[str], answers, before: dict
) -> list[str]:
    """Every answer is a success or 409 invalid_state; the record's audit entries are exactly the
    successes, each from the state the previous one left and allowed from it; one round of mail
    per success; the booking completed once. Returns the successful actions in commit order."""
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    for status, body in answers:
        assert status in (200, 201) or (
            status == 409 and body["error"]["code"] == "invalid_state"
        ), describe(answers)
    winners = [action for action, (status, _) in zip(actions, answers, strict=True) if status < 300]
    record = db.session.scalar(select(UsageRecord).where(UsageRecord.booking_id == booking_id))
    entries = _usage_entries(record.id)[len(before["entries"]) :]
    assert sorted(action for action, _, _ in entries) == sorted(winners), describe(answers)
    state = before["state"]
    for action, from_state, to_state in entries:
        assert from_state == state, entries
        if action not in ("check_in", "record") or from_state:
            allowed, _ = TRANSITIONS[UsageAction(action if action != "record" else "check_out")]
            assert from_state in {status.value for status in allowed}, entries
        state = to_state
    assert record.status.value == state
    assert record.corrections == before["corrections"] + sum(
        action in ("correct", "waive") for action in winners
    )
    expected_mail = before["mails"] + Counter(
        MAIL[action] for action in winners if MAIL[action] is not None
    )
    assert _mails(setting, booking_id) == expected_mail, describe(answers)
    completions = db.session.scalar(
        select(func.count()).where(
            AuditEntry.object_type == "booking",
            AuditEntry.object_id == booking_id,
            AuditEntry.action == "complete",
        )
    )
    assert completions == (1 if record.status.value != "in_progress" else 0)
    return [action for action, _, _ in entries]


def _before(setting: Setting, booking_id: int) -> dict:
    record = db.session.scalar(select(UsageRecord).where(UsageRecord.booking_id == booking_id))
    return {
        "entries": _usage_entries(record.id) if record else [],
        "state": record.status.value if record else "",
        "corrections": record.corrections if record else 0,
        "mails": _mails(setting, booking_id),
    }


def _record_id(booking_id: int) -> int | None:
    return db.session.scalar(select(UsageRecord.id).where(UsageRecord.booking_id == booking_id))


def _now_booking(setting: Setting, make_equipment) -> int:
    """A confirmed booking that began half an hour ago (one instrument each: they overlap)."""
    equipment = make_equipment(setting.platform.organization, hourly_rate=RATE, setup_fee=SETUP)
    start = utcnow().replace(second=0, microsecond=0) - timedelta(minutes=30)
    return confirmed_booking(setting.sme, equipment, start, hours=2).id


def test_recording_one_booking_at_once_writes_one_record(app, tmp_path, setting, make_equipment):
    scenarios = [
        ("identical check-ins", "confirmed", ["check_in"] * 8),
        ("check-ins and records", "confirmed", ["check_in", "record"] * 4),
        ("identical records", "confirmed", ["record"] * 8),
        ("check-outs and records of a check-in", "in_progress", ["check_out", "record"] * 4),
        ("identical check-outs", "in_progress", ["check_out"] * 8),
    ]
    booking_ids = []
    for _, state, _ in scenarios:
        booking_id = _now_booking(setting, make_equipment)
        if state == "in_progress":
            booking = db.session.get(Booking, booking_id)
            usage.check_in(setting.platform, booking, now=booking.start_at + timedelta(minutes=5))
        booking_ids.append(booking_id)
    db.session.commit()

    with serving(app, tmp_path, setting.headers["sme"]) as server:
        setting.server = server
        for (name, _, actions), booking_id in zip(scenarios, booking_ids, strict=True):
            before = _before(setting, booking_id)
            answers = _race(setting, booking_id, _record_id(booking_id), actions)

            order = _check_serialised(setting, booking_id, actions, answers, before)
            records = db.session.scalar(
                select(func.count()).where(UsageRecord.booking_id == booking_id)
            )
            assert records == 1, name
            closing = [action for action in order if action in ("record", "check_out")]
            if name == "identical check-ins":
                assert order == ["check_in"], (name, describe(answers))
            else:
                # exactly one request closes the use; a check-in can only come before it
                assert len(closing) == 1, (name, describe(answers))
                assert order[-1] in ("record", "check_out"), (name, order)
                assert order.count("check_in") <= 1, (name, order)


def test_answers_to_one_record_at_once_act_one_after_the_other(
    app, tmp_path, setting, make_equipment
):
    scenarios = [
        ("identical confirmations", ["confirm"] * 8),
        ("identical disputes", ["dispute"] * 8),
        ("confirmations and disputes", ["confirm", "dispute"] * 4),
        ("corrections, waivers and confirmations", ["correct", "waive", "confirm"] * 3),
        ("corrections and disputes", ["correct", "dispute"] * 4),
    ]
    equipment = make_equipment(setting.platform.organization, hourly_rate=RATE, setup_fee=SETUP)
    yesterday = datetime.now(SHANGHAI).date() - timedelta(days=1)
    booking_ids = []
    for hour, _ in enumerate(scenarios):
        booking = confirmed_booking(setting.sme, equipment, local(yesterday, 8 + 2 * hour), hours=1)
        usage.record_usage(
            setting.platform,
            booking,
            booking.start_at,
            booking.end_at,
            now=booking.end_at + timedelta(hours=1),
        )
        booking_ids.append(booking.id)
    db.session.commit()

    with serving(app, tmp_path, setting.headers["sme"]) as server:
        setting.server = server
        for (name, actions), booking_id in zip(scenarios, booking_ids, strict=True):
            before = _before(setting, booking_id)
            answers = _race(setting, booking_id, _record_id(booking_id), actions)

            order = _check_serialised(setting, booking_id, actions, answers, before)
            if name.startswith("identical"):
                assert order == actions[:1], (name, describe(answers))
            # a confirmation is final: nothing after it
            if "confirm" in order:
                assert order.count("confirm") == 1 and order[-1] == "confirm", (name, order)
            # a disputed record waits for a correction, so whichever of confirm and dispute
            # commits first decides; corrections and waivers leave the record open to confirm
            if name == "confirmations and disputes":
                assert order in (["confirm"], ["dispute"]), (name, order)
            elif "confirm" in actions:
                assert order.count("confirm") == 1, (name, order)
            if "dispute" in actions and "correct" not in actions:
                assert order.count("dispute") <= 1, (name, order)
