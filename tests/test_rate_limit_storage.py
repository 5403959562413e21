"""memory:// rate-limit counts without limits' clean-up thread (security.MemoryStorageWithoutTimer):
the same counts and expiry, no thread started per counted request."""

import threading

from limits.storage import memory, storage_from_string

from equipment_share.security import MemoryStorageWithoutTimer


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def test_memory_uri_gives_the_storage_without_a_timer():
    assert isinstance(storage_from_string("memory://"), MemoryStorageWithoutTimer)


def test_counts_expire_and_no_thread_is_started_per_hit(monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(memory.time, "time", clock)
    storage = MemoryStorageWithoutTimer()
    threads_before = threading.active_count()
    started = []
    monkeypatch.setattr(threading.Timer, "start", lambda timer: started.append(timer))

    counts = [storage.incr("token:abc", expiry=60) for _ in range(50)]

    assert counts == list(range(1, 51))
    assert storage.get("token:abc") == 50
    assert started == []
    assert threading.active_count() <= threads_before
    clock.now += 61
    assert storage.get("token:abc") == 0
    assert storage.incr("token:abc", expiry=60) == 1


def test_the_sweep_forgets_keys_nobody_reads_any_more(monkeypatch):
    clock = Clock(1_000_000.0)
    monkeypatch.setattr(memory.time, "time", clock)
    storage = MemoryStorageWithoutTimer()
    storage.incr("token:old", expiry=1)
    clock.now += 5
    storage.next_sweep = 0.0  # the next counted hit sweeps

    storage.incr("token:new", expiry=60)

    assert "token:old" not in storage.storage
    assert storage.storage["token:new"] == 1
