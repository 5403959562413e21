"""Reads and writes at once, for a while: readers call GET /api/v1/me with many tokens (each
first use of a token records its last-used time, a write), writers PATCH one instrument. Used by
tests/concurrency/test_reads_under_writes.py (about 20 s) and benchmarks/bench_token_reads.py
(a minute or more)."""

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import HTTPConnection
from itertools import cycle

REQUEST_TIMEOUT_SECONDS = 30


@dataclass
class LoadResult:
    seconds: float
    statuses: Counter = field(default_factory=Counter)  # (kind, status) -> count
    failures: list[str] = field(default_factory=list)  # the first few unexpected answers
    latencies: list[float] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(count for (_, status), count in self.statuses.items() if status != 200)

    def summary(self) -> str:
        ordered = sorted(self.latencies)
        p50 = ordered[len(ordered) // 2] * 1000 if ordered else 0
        p95 = ordered[int(len(ordered) * 0.95)] * 1000 if ordered else 0
        counts = ", ".join(
            f"{kind} {status}: {n}" for (kind, status), n in sorted(self.statuses.items())
        )
        return (
            f"{self.requests} requests in {self.seconds:.0f} s ({self.requests / self.seconds:.0f}/s), "
            f"{self.errors} errors; {counts}; median {p50:.0f} ms, p95 {p95:.0f} ms"
        )


def _call(port: int, method: str, path: str, headers: dict, body=None) -> tuple[int, bytes]:
    connection = HTTPConnection("127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        payload = None if body is None else json.dumps(body)
        connection.request(
            method, path, body=payload, headers=headers | {"Content-Type": "application/json"}
        )
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def run_mixed_load(
    port: int,
    reader_tokens: list[list[str]],
    writer_headers: dict,
    equipment_id: int,
    *,
    writers: int,
    seconds: float,
) -> LoadResult:
    """len(reader_tokens) reader threads (each cycling through its own tokens) and `writers`
    writer threads, all until `seconds` have passed."""
    result = LoadResult(seconds=seconds)
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def record(kind: str, status: int, text: bytes, started: float) -> None:
        with lock:
            result.statuses[(kind, status)] += 1
            result.latencies.append(time.monotonic() - started)
            if status != 200 and len(result.failures) < 10:
                result.failures.append(f"{kind} {status}: {text[:300]!r}")

    def read(tokens: list[str]) -> None:
        for token in cycle(tokens):
            if time.monotonic() >= deadline:
                return
            started = time.monotonic()
            status, text = _call(port, "GET", "/api/v1/me", {"Authorization": f"Bearer {token}"})
            record("read", status, text, started)

    def write(number: int) -> None:
        count = 0
        while time.monotonic() < deadline:
            count += 1
            started = time.monotonic()
            status, text = _call(
                port,
                "PATCH",
                f"/api/v1/equipment/{equipment_id}",
                writer_headers,
                {"description": f"writer {number}, change {count}"},
            )
            record("write", status, text, started)

    with ThreadPoolExecutor(max_workers=len(reader_tokens) + writers) as pool:
        futures = [pool.submit(read, tokens) for tokens in reader_tokens]
        futures += [pool.submit(write, number) for number in range(writers)]
        for future in futures:
            future.result()
    return result
