"""No double booking, across processes: a real gunicorn with 4 worker processes on the test's
database (SQLite by default, PostgreSQL when DATABASE_URL is set) and 32 clients that send
their POST /api/v1/bookings at the same moment.

Select these tests with `pytest -m concurrency`.
"""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import time as clock
from http.client import HTTPConnection
from itertools import combinations
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from equipment_share.domain.bookings import ACTIVE_STATUSES
from equipment_share.extensions import db
from equipment_share.models import Booking

pytestmark = pytest.mark.concurrency

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
CLIENTS = 32
ROUNDS = 5
STARTUP_SECONDS = 20
REQUEST_TIMEOUT_SECONDS = 30
SHANGHAI = ZoneInfo("Asia/Shanghai")
ALL_DAY = [((0, 1, 2, 3, 4, 5, 6), clock(0), clock(0))]  # 00:00 to 24:00 every day


@dataclass
class Server:
    process: subprocess.Popen
    port: int
    log_path: Path

    def log_tail(self, characters: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-characters:]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def gunicorn_command(port: int) -> list[str]:
    import gunicorn.config

    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--bind",
        f"127.0.0.1:{port}",
        "equipment_share:create_app()",
    ]
    # Newer gunicorn opens a control socket in the home directory, shared by every server.
    if any(setting.name == "control_socket_disable" for setting in gunicorn.config.KNOWN_SETTINGS):
        command[3:3] = ["--no-control-socket"]
    return command


def worker_pids(master_pid: int) -> list[int]:
    """The processes whose parent is the gunicorn master (Linux /proc)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may contain spaces, so split after the last ')'
        if int(stat.rpartition(")")[2].split()[1]) == master_pid:
            pids.append(int(entry.name))
    return pids


def request(port: int, method: str, path: str, headers: dict, body=None, barrier=None):
    """One request on its own connection; with a barrier, connect first, then wait for the
    others, so that every request is sent at the same moment. Returns (status, JSON body)."""
    connection = HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.connect()
        if barrier is not None:
            barrier.wait(timeout=REQUEST_TIMEOUT_SECONDS)
        payload = None if body is None else json.dumps(body)
        connection.request(
            method, path, body=payload, headers=headers | {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        text = response.read()
        return response.status, json.loads(text) if text else None
    finally:
        connection.close()


def wait_until_ready(server: Server, headers: dict) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _ = request(server.port, "GET", "/api/v1/me", headers)
        except OSError:
            status = None
        if status == 200 and len(worker_pids(server.process.pid)) >= WORKERS:
            return
        time.sleep(0.2)
    pytest.fail(f"gunicorn did not answer within {STARTUP_SECONDS} s:\n{server.log_tail()}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()  # the master stops its workers gracefully
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@dataclass
class Setting:
    equipment_id: int
    headers: dict
    server: Server


@pytest.fixture
def setting(app, tmp_path, make_equipment, make_user, api_headers):
    """An instrument bookable at once all day, an SME with a token, and gunicorn serving the
    test's database with 4 worker processes."""
    equipment = make_equipment(
        weekly=ALL_DAY, requires_approval=False, lead_time_hours=0, max_booking_minutes=480
    )
    equipment_id = equipment.id
    headers = api_headers(make_user("sme"))
    db.session.remove()  # hold no transaction open while the server writes

    port = free_port()
    environment = os.environ | {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "EQUIPMENT_SHARE_INSTANCE": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
    }
    log_path = tmp_path / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            gunicorn_command(port),
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log_path)
    try:
        wait_until_ready(server, headers)
        yield Setting(equipment_id, headers, server)
    finally:
        stop(process)


def midnight_next_week() -> datetime:
    day: date = datetime.now(SHANGHAI).date() + timedelta(days=7)
    return datetime.combine(day, clock(0), tzinfo=SHANGHAI)


def hours(count: float) -> timedelta:
    return timedelta(hours=count)


def book_all_at_once(setting: Setting, slots: list[tuple[datetime, datetime]]) -> list:
    """POST every slot at the same moment; answers in the order of the slots."""
    barrier = threading.Barrier(len(slots))

    def book(slot):
        start, end = slot
        body = {
            "equipment_id": setting.equipment_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "purpose": "concurrency test",
        }
        return request(
            setting.server.port, "POST", "/api/v1/bookings", setting.headers, body, barrier
        )

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(slots)) as pool:
        answers = list(pool.map(book, slots))
    assert time.monotonic() - started < REQUEST_TIMEOUT_SECONDS
    assert setting.server.process.poll() is None, setting.server.log_tail()
    return answers


def active_bookings(equipment_id: int) -> list[tuple[datetime, datetime]]:
    db.session.rollback()  # a fresh snapshot: the server committed in other processes
    rows = db.session.execute(
        select(Booking.start_at, Booking.end_at)
        .where(Booking.equipment_id == equipment_id, Booking.status.in_(ACTIVE_STATUSES))
        .order_by(Booking.start_at)
    )
    return [(start, end) for start, end in rows]


def interval_of(answer_body: dict) -> tuple[datetime, datetime]:
    return datetime.fromisoformat(answer_body["start"]), datetime.fromisoformat(answer_body["end"])


def overlaps(first, second) -> bool:
    return first[0] < second[1] and second[0] < first[1]


def describe(answers) -> str:
    return "; ".join(
        f"{status} {body.get('error', {}).get('code') if isinstance(body, dict) else body}"
        for status, body in answers
    )


def test_one_slot_many_clients_exactly_one_wins(setting):
    # Several rounds, each on its own slot, because one race can be won by timing alone.
    midnight = midnight_next_week()
    won = []
    for round_number in range(ROUNDS):
        slot = (midnight + hours(2 * round_number), midnight + hours(2 * round_number + 2))

        answers = book_all_at_once(setting, [slot] * CLIENTS)

        statuses = [status for status, _ in answers]
        assert statuses.count(201) == 1, describe(answers)
        assert statuses.count(409) == CLIENTS - 1, describe(answers)
        winner = next(body for status, body in answers if status == 201)
        assert winner["status"] == "confirmed"
        assert interval_of(winner) == slot
        for status, body in answers:
            if status == 409:
                assert body["error"]["code"] == "booking_conflict"
                conflicts = body["error"]["details"]["conflicts"]
                assert [interval_of(conflict) for conflict in conflicts] == [slot]
        won.append(slot)
        assert active_bookings(setting.equipment_id) == won


def test_distinct_slots_all_succeed(setting):
    # Back to back, one hour each: the lock serialises them but refuses none (the end of a
    # booking is exclusive, so the next one may start at that instant).
    first = midnight_next_week()
    slots = [(first + hours(n), first + hours(n + 1)) for n in range(CLIENTS)]

    answers = book_all_at_once(setting, slots)

    assert [status for status, _ in answers] == [201] * CLIENTS, describe(answers)
    assert [interval_of(body) for _, body in answers] == slots
    assert active_bookings(setting.equipment_id) == slots


def test_staggered_overlapping_slots_never_overlap(setting):
    # Two hours each, starting every 30 minutes: slot n clashes with its 3 neighbours on each side.
    first = midnight_next_week() + hours(2)
    slots = [(first + hours(n / 2), first + hours(n / 2 + 2)) for n in range(CLIENTS)]

    answers = book_all_at_once(setting, slots)

    assert {status for status, _ in answers} <= {201, 409}, describe(answers)
    accepted = [slot for slot, (status, _) in zip(slots, answers, strict=True) if status == 201]
    for first_slot, second_slot in combinations(accepted, 2):
        assert not overlaps(first_slot, second_slot), (first_slot, second_slot)
    # Every refusal names a clash with a booking that was accepted, so none was refused for
    # nothing; hence at least one in every 7 consecutive slots won.
    for slot, (status, body) in zip(slots, answers, strict=True):
        if status == 409:
            assert body["error"]["code"] == "booking_conflict"
            conflicts = [
                interval_of(conflict) for conflict in body["error"]["details"]["conflicts"]
            ]
            assert conflicts, body
            for conflict in conflicts:
                assert conflict in accepted and overlaps(conflict, slot)
    assert len(accepted) >= -(-CLIENTS // 7)
    assert active_bookings(setting.equipment_id) == accepted
