"""A monotonic clock and a sleep that move only when the test says so (for polling models)."""

from __future__ import annotations

import asyncio


class ManualTime:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start
        self.slept: list[float] = []  # every delay asked for, in order
        self._sleepers: list[tuple[float, asyncio.Future[None]]] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.slept.append(delay)
        wake: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (self.now + delay, wake)
        self._sleepers.append(entry)
        try:
            await wake
        finally:
            self._sleepers.remove(entry)

    @property
    def sleeping(self) -> int:
        return len(self._sleepers)

    def advance(self, seconds: float) -> None:
        """Move time on; wake every sleeper whose time has come."""
        self.now += seconds
        for deadline, wake in list(self._sleepers):
            if deadline <= self.now and not wake.done():
                wake.set_result(None)
