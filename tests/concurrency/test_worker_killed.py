"""A gunicorn worker killed with SIGKILL in the middle of a burst of bookings: every booking
acknowledged with 201 is in the database, none overlap, and the server goes on serving (the
master starts a new worker). Run with `pytest -m concurrency`, on SQLite and PostgreSQL."""

import http.client
import os
import signal
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta

import pytest

from tests.concurrency.server import request, worker_pids
from tests.concurrency.test_double_booking import (  # noqa: F401 - the fixture
    active_bookings,
    hours,
    interval_of,
    midnight_next_week,
    overlaps,
    setting,
)

pytestmark = pytest.mark.concurrency

BOOKINGS = 64
CLIENTS = 16
KILL_AFTER_ANSWERS = 12


def test_sigkill_of_a_worker_loses_no_acknowledged_booking(setting):  # noqa: F811
    # two hours each, every 30 minutes: each clashes with its neighbours, so the workers race
    first = midnight_next_week() + hours(1)
    slots = [(first + hours(n / 2), first + hours(n / 2 + 2)) for n in range(BOOKINGS)]
    answers: list = [None] * BOOKINGS
    answered = threading.Semaphore(0)
    killed: list[int] = []

    def book(index: int) -> None:
        start, end = slots[index]
        body = {
            "equipment_id": setting.equipment_id,
            "start": start.isoformat(),
            "end": end.isoformat(),
            "purpose": "fault test",
        }
        try:
            answers[index] = request(
                setting.server.port, "POST", "/api/v1/bookings", setting.headers, body
            )
        # the worker serving it was killed: before it answered, or while it wrote the answer
        except (OSError, http.client.HTTPException) as error:
            answers[index] = ("no answer", repr(error))
        answered.release()

    def kill_a_worker() -> None:
        for _ in range(KILL_AFTER_ANSWERS):
            answered.acquire()
        victim = worker_pids(setting.server.process.pid)[0]
        os.kill(victim, signal.SIGKILL)
        killed.append(victim)

    killer = threading.Thread(target=kill_a_worker)
    killer.start()
    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        list(pool.map(book, range(BOOKINGS)))
    killer.join(timeout=60)

    assert killed, "no worker was killed"
    acknowledged = [interval_of(body) for status, body in answers if status == 201]
    in_database = active_bookings(setting.equipment_id)
    assert acknowledged, answers
    assert set(acknowledged) <= set(in_database)
    for first_booking, second_booking in zip(in_database, in_database[1:], strict=False):
        assert not overlaps(first_booking, second_booking)
    assert {status for status, _ in answers} <= {201, 409, "no answer"}, answers
    # the master replaced the worker and the server still books
    later: datetime = first + timedelta(days=2)
    status, _ = request(
        setting.server.port,
        "POST",
        "/api/v1/bookings",
        setting.headers,
        {
            "equipment_id": setting.equipment_id,
            "start": later.isoformat(),
            "end": (later + hours(1)).isoformat(),
            "purpose": "after the fault",
        },
    )
    assert status == 201
    assert setting.server.process.poll() is None
