"""Object-store occupancy as seen by the benchmark: peak sampling and waiting for frees."""

from __future__ import annotations

import threading
import time

import ray


class StorePeak:
    """Samples the cluster's object-store bytes in a thread; `peak` is the highest seen."""

    def __init__(self, period_s: float = 0.05) -> None:
        self.period_s = period_s
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @staticmethod
    def read() -> int:
        try:
            from ray._private.internal_api import get_memory_info_reply, get_state_from_address

            state = get_state_from_address(ray.get_runtime_context().gcs_address)
            reply = get_memory_info_reply(state)
            return int(reply.store_stats.object_store_bytes_used)
        except Exception:  # a private API: if it moves, report 0 rather than fail the benchmark
            return 0

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.period_s)

    def sample(self) -> None:
        self.peak = max(self.peak, self.read())

    def __enter__(self) -> StorePeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def wait_store_below(limit: int, timeout_s: float = 5.0, period_s: float = 0.05) -> None:
    """Frees are asynchronous; wait so the next run's peak is not inflated by the last output."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and StorePeak.read() > limit:
        time.sleep(period_s)
