"""Child process: the TUI polling a 1000-node snapshot (recorded nodes, replicated).

Prints one JSON line: per-poll parse+render times, the longest event-loop stall while
they happened, and the process's resident memory.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

import httpx
import psutil

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.services import Services, build_services
from tests.conftest import recorded_connection
from tests.recorded import RAY_260, RecordedRay, replicated_summary


class Measured(SovtuiApp):
    """Times each poll from request to the frame that shows it."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.poll_started = 0.0
        self.poll_times: list[float] = []

    def watch_painted(self, painted: bool) -> None:
        if painted:  # the first poll starts now
            self.poll_started = time.perf_counter()

    def poll_now(self) -> None:
        self.poll_started = time.perf_counter()
        self.feed.poller.poll_now()

    def watch_snapshot(self, snapshot: object) -> None:
        if snapshot is None:  # the reactive's initial value, before any poll
            return
        started = self.poll_started
        # The screen's watcher updates the widgets in the same step; the refresh paints them.
        self.call_after_refresh(lambda: self.poll_times.append(time.perf_counter() - started))


async def main(nodes: int, polls: int) -> dict[str, object]:
    body = replicated_summary(RAY_260, nodes)
    recorded = RecordedRay()
    recorded.override["/nodes"] = lambda request: httpx.Response(
        200, content=body, headers={"content-type": "application/json"}
    )
    app = Measured(build_services(recorded_connection(recorded), Settings(interval=3600)))
    worst_stall = 0.0
    async with app.run_test(size=(160, 50)) as pilot:

        async def watch_loop() -> None:
            nonlocal worst_stall
            while True:
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                worst_stall = max(worst_stall, time.perf_counter() - before - 0.005)

        while not app.poll_times:  # first poll: builds the 1000 rows
            await pilot.pause(0.05)
        watcher = asyncio.create_task(watch_loop())
        for _ in range(polls):
            count = len(app.poll_times)
            app.poll_now()
            while len(app.poll_times) == count:
                await pilot.pause(0.01)
        watcher.cancel()
        rows = app.screen.query_one("#nodes").row_count  # type: ignore[attr-defined]
    return {
        "nodes": rows,
        "first_poll_s": app.poll_times[0],
        "poll_s": sorted(app.poll_times[1:])[len(app.poll_times[1:]) // 2],
        "worst_stall_s": worst_stall,
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]), int(sys.argv[2])))), flush=True)
