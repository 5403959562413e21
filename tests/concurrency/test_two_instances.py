"""Scale-out as a deployment does it: two app servers (two gunicorn masters) on one PostgreSQL
database, with their cron jobs running at the same moment.

Bookings raced across both servers never overlap (the exclusion constraint and the instrument's
row lock hold across servers as across workers). The daily jobs (`auto-confirm`,
`apply-rate-cards`, `refresh-idle-spans`) and `send-mail` started on both at once do each thing once: a record is
confirmed once, a rate card applied once, a mail sent once (row locks, FOR UPDATE SKIP LOCKED
for the queues). SQLite has no row locks and one file: scale-out needs PostgreSQL, so these
tests run only there.
"""

import re
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, time, timedelta

import pytest
from sqlalchemy import func, select

from equipment_share.domain.usage import UsageStatus
from equipment_share.extensions import db
from equipment_share.models import (
    AuditEntry,
    Booking,
    IdleSpanCoverage,
    OutboxMessage,
    UsageRecord,
    utcnow,
)
from equipment_share.services import audit, bookings, rate_cards, usage
from tests.clock import SHANGHAI
from tests.concurrency.server import PROJECT_ROOT, app_environment, request, serving
from tests.concurrency.test_double_booking import ALL_DAY, active_bookings, midnight_next_week

pytestmark = pytest.mark.concurrency

WORKERS_EACH = 2  # two servers of two workers: four processes, as in the other races
CLIENTS = 16
ROUNDS = 3
RECORDS = 24
INSTRUMENTS_WITH_NEW_RATES = 4
USE_DAY = datetime.now(SHANGHAI).date() + timedelta(days=10)
COMMAND_TIMEOUT_SECONDS = 180


@pytest.fixture(autouse=True)
def postgresql_only(app):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("scale-out needs PostgreSQL (SQLite: one server, one sender)")


@pytest.fixture
def two_servers(app, tmp_path, make_equipment, make_user, api_headers):
    equipment = make_equipment(
        weekly=ALL_DAY, requires_approval=False, lead_time_hours=0, max_booking_minutes=480
    )
    make_user("platform", equipment.platform)
    equipment_id, headers = equipment.id, api_headers(make_user("sme"))
    with (
        serving(app, tmp_path, headers, name="instance_a", workers=WORKERS_EACH) as first,
        serving(app, tmp_path, headers, name="instance_b", workers=WORKERS_EACH) as second,
    ):
        yield equipment_id, headers, (first, second)


def post_across(servers, headers, equipment_id, slots) -> list:
    """POST every slot at the same moment, the first to one server, the next to the other."""
    barrier = threading.Barrier(len(slots))

    def send(numbered):
        number, (start, end) = numbered
        body = {
            "equipment_id": equipment_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "purpose": "two servers",
        }
        port = servers[number % len(servers)].port
        return request(port, "POST", "/api/v1/bookings", headers, body, barrier)

    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        answers = list(pool.map(send, enumerate(slots)))
    for server in servers:
        assert server.process.poll() is None, server.log_tail()
    return answers


def test_bookings_raced_across_two_servers_never_overlap(two_servers):
    equipment_id, headers, servers = two_servers
    start = midnight_next_week()
    for round_number in range(ROUNDS):
        slot = (start + timedelta(hours=round_number), start + timedelta(hours=round_number + 1))
        answers = post_across(servers, headers, equipment_id, [slot] * CLIENTS)
        statuses = sorted(status for status, _ in answers)
        assert statuses == [201] + [409] * (CLIENTS - 1), answers

    # staggered overlapping slots: whatever is accepted never overlaps
    base = start + timedelta(days=1)
    staggered = [
        (base + timedelta(minutes=30 * index), base + timedelta(minutes=30 * index + 90))
        for index in range(CLIENTS)
    ]
    answers = post_across(servers, headers, equipment_id, staggered)
    assert {status for status, _ in answers} <= {201, 409}
    accepted = active_bookings(equipment_id)
    assert len(accepted) == ROUNDS + sum(status == 201 for status, _ in answers)
    for (_, first_end), (second_start, _) in zip(accepted, accepted[1:], strict=False):
        assert first_end <= second_start


def on_use_day(hour: int, day: int = 0) -> datetime:
    return datetime.combine(USE_DAY + timedelta(days=day), time(hour), tzinfo=SHANGHAI)


@pytest.fixture
def daily_work(app, make_org, make_user, make_equipment):
    """Usage records a week unanswered, instruments whose new rates take effect today, and the
    mail all that wrote (booking events still unaddressed, usage mails)."""
    platform = make_org("platform")
    equipment = make_equipment(platform, requires_approval=False)
    sme_user, platform_user = make_user("sme"), make_user("platform", platform)
    records = []
    for number in range(RECORDS):
        day, hour = divmod(number, 10)
        start, end = on_use_day(8 + hour, day), on_use_day(9 + hour, day)
        booking = bookings.create_booking(sme_user, equipment.id, start, end)
        record = usage.record_usage(platform_user, booking, start, end, now=on_use_day(20, 3))
        record.status_changed_at = utcnow() - timedelta(days=8)
        records.append(record.id)
    versions = []
    for _ in range(INSTRUMENTS_WITH_NEW_RATES):
        other = make_equipment(platform, hourly_rate="300.00")
        card = {
            "hourly_rate": "420.00",
            "setup_fee": "10.00",
            "min_charge_minutes": 30,
            "billing_increment_minutes": 15,
        }
        tomorrow = datetime.now(SHANGHAI).date() + timedelta(days=1)
        versions.append(rate_cards.add_version(platform_user, other, card, tomorrow))
    db.session.flush()
    for version in versions:
        version.effective_from = utcnow()  # the day has come
    db.session.commit()
    return records


def on_both(app, *command: str) -> list[str]:
    """Run `flask --app equipment_share <command>` twice at the same moment (two servers' cron)."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "equipment_share", *command],
            cwd=PROJECT_ROOT,
            env=app_environment(app),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=COMMAND_TIMEOUT_SECONDS)
        assert process.returncode == 0, stderr[-3000:]
        outputs.append(stdout)
    db.session.rollback()  # see what the commands committed
    return outputs


def counted(pattern: str, outputs: list[str]) -> int:
    return sum(int(re.search(pattern, output).group(1)) for output in outputs)


def audit_count(action: str) -> int:
    return db.session.scalar(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    )


def test_daily_jobs_and_mail_on_two_servers_at_once_do_everything_once(app, daily_work):
    db.session.remove()

    confirmed = on_both(app, "auto-confirm")
    applied = on_both(app, "apply-rate-cards")
    refreshed = on_both(app, "refresh-idle-spans")

    assert counted(r"Confirmed (\d+) usage record", confirmed) == RECORDS
    assert audit_count("auto_confirm") == RECORDS
    statuses = db.session.scalars(
        select(UsageRecord.status).where(UsageRecord.id.in_(daily_work))
    ).all()
    assert statuses == [UsageStatus.CONFIRMED] * RECORDS
    assert counted(r"(\d+) instrument\(s\)", applied) == INSTRUMENTS_WITH_NEW_RATES
    assert audit_count("apply_rate_card") == INSTRUMENTS_WITH_NEW_RATES
    assert all("idle span(s)" in output for output in refreshed)
    assert db.session.scalar(select(func.count()).select_from(IdleSpanCoverage)) == 1

    sent = 0
    for _ in range(5):  # each run sends at most 100: go on until the outbox is empty
        outputs = on_both(app, "send-mail")
        assert all("0 failed" in output for output in outputs), outputs
        sent += counted(r"Sent (\d+) message", outputs)
        unsent = db.session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.sent_at.is_(None))
        )
        if not unsent:
            break
    mails = db.session.scalars(select(OutboxMessage)).all()
    assert mails and all(mail.event == "" and mail.sent_at is not None for mail in mails)
    assert sent == len(mails)  # none was sent by both senders
    booked = db.session.scalar(select(func.count()).select_from(Booking))
    assert sum("新预约" in mail.subject for mail in mails) == 2 * booked  # SME and platform
    assert audit.verify_chain()[1] is None
