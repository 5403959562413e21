"""A real gunicorn with several worker processes on the test's database (SQLite by default,
PostgreSQL when DATABASE_URL is set), and clients that send their requests at the same moment."""

import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from http.client import HTTPConnection
from pathlib import Path

import pytest

from equipment_share.extensions import db

PROJECT_ROOT = Path(__file__).resolve().parents[2]
WORKERS = 4
STARTUP_SECONDS = 90  # four workers importing the app take long on a busy shared machine
REQUEST_TIMEOUT_SECONDS = 30


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


def gunicorn_command(port: int, workers: int = WORKERS) -> list[str]:
    import gunicorn.config

    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
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


def all_at_once(server: Server, requests: list[tuple[str, str, dict, dict | None]]) -> list:
    """Send every (method, path, headers, body) at the same moment; answers in their order."""
    barrier = threading.Barrier(len(requests))

    def send(one):
        method, path, headers, body = one
        return request(server.port, method, path, headers, body, barrier)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        answers = list(pool.map(send, requests))
    assert time.monotonic() - started < REQUEST_TIMEOUT_SECONDS
    assert server.process.poll() is None, server.log_tail()
    return answers


def describe(answers) -> str:
    return "; ".join(
        f"{status} {body.get('error', {}).get('code') if isinstance(body, dict) else body}"
        for status, body in answers
    )


def wait_until_ready(server: Server, headers: dict, workers: int = WORKERS) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            pytest.fail(f"gunicorn exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            status, _ = request(server.port, "GET", "/api/v1/me", headers)
        except OSError:
            status = None
        if status == 200 and len(worker_pids(server.process.pid)) >= workers:
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


def app_environment(app) -> dict:
    """The environment of a process that serves (or runs a command on) the test's database."""
    return os.environ | {
        "DATABASE_URL": app.config["DATABASE_URL"],
        "EQUIPMENT_SHARE_INSTANCE": app.instance_path,
        "SECRET_KEY": app.config["SECRET_KEY"],
        # the tests count the outbox as the requests left it
        "SEND_AFTER_COMMIT": "false",
    }


@contextmanager
def serving(app, tmp_path: Path, headers: dict, *, name: str = "gunicorn", workers=WORKERS):
    """gunicorn serving the test's database with `workers` processes; `headers` authenticate
    the readiness probe (GET /api/v1/me); `name` names its log, so two can run side by side."""
    db.session.remove()  # hold no transaction open while the server writes
    port = free_port()
    environment = app_environment(app)
    log_path = tmp_path / f"{name}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            gunicorn_command(port, workers),
            cwd=PROJECT_ROOT,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(process, port, log_path)
    try:
        wait_until_ready(server, headers, workers)
        yield server
    finally:
        stop(process)
