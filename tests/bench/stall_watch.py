"""The longest event-loop stall while a bench measures: a 5 ms tick that should wake on time,
and how much later than that it woke."""

from __future__ import annotations

import asyncio
import time

TICK_S = 0.005


class StallWatch:
    def __init__(self) -> None:
        self.worst = 0.0  # seconds the loop was late at most
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self._ticks())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()

    async def _ticks(self) -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK_S)
            self.worst = max(self.worst, time.perf_counter() - before - TICK_S)
