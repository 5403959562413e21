"""Worker memory under hostile uploads: one gunicorn worker, each hostile body sent in turn, the
worker's peak resident memory (VmHWM in /proc/PID/status) read after each. Each upload gets a
fresh worker (the one before is stopped; gunicorn starts another), warmed up with a page and an
API request, and its peak reset (`echo 5 > /proc/PID/clear_refs`), so each line is that upload's
own peak in a worker as it serves. Target: every peak at most 150 MB.

    python benchmarks/bench_hostile_uploads.py [--database-url URL] [--warm-up-only] [--preload]

--warm-up-only prints the worker's memory after start, after a few pages and after the warm-up,
and stops there; --preload starts gunicorn with --preload (the app made once in the master and
shared copy-on-write), where Pss, each process's share of shared pages, is the figure to read.

Uploads: production calendars (.ics, the 2 MB limit) with as many events as fit, with deep
recurrence (every minute, no end), with a huge property, with many EXDATEs; photos whose header
claims a giant image, and the largest images the limits let through (PNG and JPEG); bodies of
the largest size the app accepts (JSON and form), and beyond it. Exit status 1 if a peak is
over the target or an upload answered a server error. Linux only (/proc).
"""

import argparse
import io
import json
import os
import secrets
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from bench_booking import _organization, free_port, scratch_database  # noqa: E402
from PIL import Image  # noqa: E402

from equipment_share import create_app  # noqa: E402
from equipment_share.database import upgrade_schema  # noqa: E402
from equipment_share.extensions import db  # noqa: E402
from equipment_share.models import Equipment, OrganizationKind, Role, User  # noqa: E402
from equipment_share.services import rate_cards  # noqa: E402
from equipment_share.services.tokens import issue_token  # noqa: E402

TARGET_MB = 150
PASSWORD = "bench-hostile-uploads-2026"
EMAIL = "platform@bench.example"
MB = 1024 * 1024


def seed() -> tuple[int, str]:
    platform = _organization("Bench platform", OrganizationKind.PLATFORM, 1)
    user = User(email=EMAIL, role=Role.PLATFORM, organization=platform)
    user.set_password(PASSWORD)
    equipment = Equipment(
        platform=platform, name="Bench instrument", category="other", hourly_rate="100.00"
    )
    db.session.add_all([user, equipment])
    db.session.flush()
    rate_cards.start_version(None, equipment)
    token = issue_token(user, "bench")
    db.session.commit()
    return equipment.id, token


# --- hostile bodies ---


def _ics(events: list[str]) -> bytes:
    head = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//hostile//EN\r\n"
    return (head + "".join(events) + "END:VCALENDAR\r\n").encode()


def _event(uid: str, start: datetime, minutes: int, extra: str = "") -> str:
    end = start + timedelta(minutes=minutes)
    return (
        f"BEGIN:VEVENT\r\nUID:{uid}\r\nDTSTAMP:20261201T000000Z\r\n"
        f"DTSTART:{start:%Y%m%dT%H%M%SZ}\r\nDTEND:{end:%Y%m%dT%H%M%SZ}\r\n{extra}END:VEVENT\r\n"
    )


def ics_many_events(limit: int) -> bytes:
    """As many one-off events inside the horizon as fit under the limit."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    events, size, number = [], 200, 0
    while True:
        event = _event(f"e{number}", start + timedelta(minutes=7 * number), 5)
        if size + len(event) > limit:
            return _ics(events)
        events.append(event)
        size += len(event)
        number += 1


def ics_deep_recurrence(limit: int) -> bytes:
    """Series that repeat every minute with no end, as many as fit."""
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    events, size, number = [], 200, 0
    while size < limit - 400:
        event = _event(f"r{number}", start, 1, "RRULE:FREQ=MINUTELY\r\n")
        events.append(event)
        size += len(event)
        number += 1
    return _ics(events)


def ics_huge_property(limit: int) -> bytes:
    """One event whose description fills the file (folded lines)."""
    start = datetime.now(UTC) + timedelta(days=1)
    folded = "DESCRIPTION:" + "\r\n ".join("x" * 73 for _ in range((limit - 500) // 76)) + "\r\n"
    return _ics([_event("big", start, 60, folded)])


def ics_many_exdates(limit: int) -> bytes:
    """One daily series with EXDATE lines filling the file."""
    start = datetime.now(UTC).replace(hour=1, minute=0, second=0, microsecond=0)
    exdates, size, day = [], 400, 0
    while size < limit - 600:
        line = f"EXDATE:{start + timedelta(days=day):%Y%m%dT%H%M%SZ}\r\n"
        exdates.append(line)
        size += len(line)
        day += 1
    return _ics([_event("x", start, 30, "RRULE:FREQ=DAILY\r\n" + "".join(exdates))])


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height pixels: the header, a tiny compressed stream, the end."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1024))
        + chunk(b"IEND", b"")
    )


def png_largest(width: int, height: int, mode: str = "RGBA") -> bytes:
    """A real PNG of one colour: tiny on the wire, width x height pixels decoded."""
    output = io.BytesIO()
    Image.new(mode, (width, height), (200, 30, 30, 255)[: len(mode)]).save(
        output, format="PNG", optimize=False
    )
    return output.getvalue()


def jpeg_largest(width: int, height: int) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (width, height), (30, 90, 200)).save(output, format="JPEG", quality=90)
    return output.getvalue()


def json_largest(limit: int) -> bytes:
    """A flat JSON array of one-character strings, as long as the limit allows."""
    count = (limit - 2) // 4
    return b"[" + b",".join([b'"a"'] * count) + b"]"


def form_largest(limit: int) -> bytes:
    """An url-encoded form of many short fields, as long as the limit allows."""
    count = limit // 6
    return b"&".join([b"a=bbbb"] * count)[:limit]


# --- the worker ---


class Worker:
    def __init__(
        self, database_url: str, instance: Path, secret_key: str, log_path: Path, preload=False
    ):
        self.port = free_port()
        self.log_path = log_path
        environment = os.environ | {
            "DATABASE_URL": database_url,
            "EQUIPMENT_SHARE_INSTANCE": str(instance),
            "SECRET_KEY": secret_key,
            "FLASK_WTF_CSRF_ENABLED": "false",
            "FLASK_RATELIMIT_ENABLED": "false",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "1",
            "--timeout",
            "120",
            *(["--preload"] if preload else []),
            "--bind",
            f"127.0.0.1:{self.port}",
            "equipment_share:create_app()",
        ]
        with open(log_path, "wb") as log:
            self.process = subprocess.Popen(
                command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait(self) -> None:
        for _ in range(600):
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(self.log_path.read_text()[-3000:])

    def pids(self) -> list[int]:
        return [
            int(entry.name)
            for entry in Path("/proc").iterdir()
            if entry.name.isdigit() and _parent(entry) == self.process.pid
        ]

    def pid(self) -> int:
        return self.pids()[0]

    def fresh(self, warm_up) -> None:
        """Stop the worker; gunicorn's master starts a new one, warmed up with `warm_up()`."""
        old = self.pid()
        os.kill(old, signal.SIGTERM)
        for _ in range(600):
            pids = self.pids()
            if pids and old not in pids:
                break
            time.sleep(0.1)
        self.wait()
        warm_up()

    def reset_peak(self) -> None:
        Path(f"/proc/{self.pid()}/clear_refs").write_text("5")

    def memory_mb(self, field: str) -> float:
        for line in Path(f"/proc/{self.pid()}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
        raise RuntimeError(field)

    def pss_mb(self) -> float:
        for line in Path(f"/proc/{self.pid()}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("Pss")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _parent(entry: Path) -> int | None:
    try:
        return int((entry / "stat").read_text().rpartition(")")[2].split()[1])
    except OSError:
        return None


def uploads(equipment_id: int, token: str) -> list[tuple[str, str, str, dict]]:
    """(name, method, path, requests keyword arguments) of every hostile upload."""
    api = {"Authorization": f"Bearer {token}"}
    calendar = f"/api/v1/equipment/{equipment_id}/production-calendar"
    ics_headers = api | {"Content-Type": "text/calendar"}
    limit = 2 * MB
    page = f"/manage/equipment/{equipment_id}"
    form = {
        "name": "Bench instrument",
        "category": "other",
        "hourly_rate": "100.00",
        "setup_fee": "0.00",
        "min_charge_minutes": "0",
        "billing_increment_minutes": "1",
        "slot_minutes": "30",
        "min_booking_minutes": "30",
        "max_booking_minutes": "480",
        "lead_time_hours": "0",
        "horizon_days": "90",
        "cancellation_deadline_hours": "24",
        "active": "y",
        "timezone": "Asia/Shanghai",
    }

    def photo(name: str, data: bytes, kind: str) -> dict:
        return {"data": form, "files": {"photo": (name, data, kind)}, "session": True}

    return [
        ("ics: events filling 2 MB", "POST", calendar, {"data": ics_many_events(limit), "headers": ics_headers}),
        ("ics: every-minute series filling 2 MB", "POST", calendar, {"data": ics_deep_recurrence(limit), "headers": ics_headers}),
        ("ics: one 2 MB property", "POST", calendar, {"data": ics_huge_property(limit), "headers": ics_headers}),
        ("ics: a series with 2 MB of EXDATEs", "POST", calendar, {"data": ics_many_exdates(limit), "headers": ics_headers}),
        ("ics: 8 MB (over its limit)", "POST", calendar, {"data": ics_many_events(8 * MB - 1024), "headers": ics_headers}),
        ("photo: PNG header claiming 60000 x 60000", "POST", page, photo("a.png", png_header_only(60000, 60000), "image/png")),
        ("photo: PNG header claiming 4899 x 4899", "POST", page, photo("b.png", png_header_only(4899, 4899), "image/png")),
        ("photo: real PNG 6000 x 4000 RGBA (24 MP)", "POST", page, photo("c.png", png_largest(6000, 4000), "image/png")),
        ("photo: real JPEG 6000 x 4000 (24 MP)", "POST", page, photo("d.jpg", jpeg_largest(6000, 4000), "image/jpeg")),
        ("API JSON: an 8 MB array", "POST", "/api/v1/equipment", {"data": json_largest(8 * MB - 64), "headers": api | {"Content-Type": "application/json"}}),
        ("page form: 8 MB of fields", "POST", page, {"data": form_largest(8 * MB - 64), "headers": {"Content-Type": "application/x-www-form-urlencoded"}, "session": True}),
        ("body: 9 MB (over the limit)", "POST", "/api/v1/equipment", {"data": b"[" + b"0," * (9 * MB // 2) + b"0]", "headers": api | {"Content-Type": "application/json"}}),
    ]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--warm-up-only", action="store_true")
    parser.add_argument("--preload", action="store_true")
    options = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop gunicorn on the way out
    failed = False
    with tempfile.TemporaryDirectory() as directory:
        scratch = scratch_database(options.database_url, Path(directory))
        instance, secret_key = Path(directory) / "instance", secrets.token_hex(16)
        worker = None
        try:
            app = create_app({"DATABASE_URL": scratch.url, "SECRET_KEY": secret_key})
            with app.app_context():
                upgrade_schema()
                equipment_id, token = seed()
                db.session.remove()
                db.engine.dispose()
            worker = Worker(
                scratch.url,
                instance,
                secret_key,
                Path(directory) / "gunicorn.log",
                preload=options.preload,
            )
            worker.wait()

            def memory() -> str:
                rss, peak = worker.memory_mb("VmRSS"), worker.memory_mb("VmHWM")
                return f"VmRSS {rss:.1f} MB, VmHWM {peak:.1f} MB, Pss {worker.pss_mb():.1f} MB"

            print(f"a started worker: {memory()}")
            session = requests.Session()
            signed_in = session.post(
                f"{worker.url}/login",
                data={"email": EMAIL, "password": PASSWORD},
                allow_redirects=False,
            )
            assert signed_in.status_code == 302, signed_in.status_code
            for path in ("/", "/dashboard", f"/equipment/{equipment_id}/week", "/api/v1/me"):
                api = path.startswith("/api/")
                (requests if api else session).get(
                    worker.url + path, headers={"Authorization": f"Bearer {token}"} if api else {}
                )
            print(f"after a sign-in and four pages: {memory()}")

            def warm_up():
                session.get(f"{worker.url}/manage/equipment/{equipment_id}")
                requests.post(
                    f"{worker.url}/api/v1/equipment/{equipment_id}/production-calendar",
                    data=ics_many_events(2000),
                    headers={"Authorization": f"Bearer {token}", "Content-Type": "text/calendar"},
                )

            warm_up()
            print(f"{scratch.description}; gunicorn, 1 worker")
            print(f"a warmed-up worker (a page and a calendar import): {memory()}")
            if options.warm_up_only:
                # a sign-in's password hash (scrypt) takes 32 MiB for a moment: a fresh worker
                # that has signed nobody in, as each upload below gets
                worker.fresh(warm_up)
                print(f"a fresh worker after the warm-up alone: {memory()}")
                return 0
            print(f"{'upload':<45} {'bytes':>10} {'status':>6} {'peak MB':>8} {'seconds':>8}")
            for name, method, path, arguments in uploads(equipment_id, token):
                client = session if arguments.pop("session", False) else requests
                size = len(arguments.get("data") or b"") + sum(
                    len(item[1]) for item in (arguments.get("files") or {}).values()
                )
                worker.fresh(warm_up)
                worker.reset_peak()
                started = time.perf_counter()
                answer = client.request(
                    method, worker.url + path, allow_redirects=False, timeout=120, **arguments
                )
                seconds = time.perf_counter() - started
                peak = worker.memory_mb("VmHWM")
                over = peak > TARGET_MB or answer.status_code >= 500
                failed |= over
                print(
                    f"{name:<45} {size:>10} {answer.status_code:>6} {peak:>8.0f} {seconds:>8.1f}"
                    + ("  <-- over" if over else "")
                )
            print(json.dumps({"target_mb": TARGET_MB, "failed": failed}))
        finally:
            if worker is not None:
                worker.stop()
            scratch.drop()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
