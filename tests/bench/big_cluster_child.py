"""Child process: the TUI polling an N-node snapshot (recorded nodes, replicated).

Prints one JSON line: per-poll parse+render times, the longest event-loop stall while
they happened, and the process's resident memory.

By default the same answer every poll (the figure the target line reports). A third argument
alternates two answers instead (holding both: RSS ~80 MB higher): `agents`, every node's
agent members differ (its CPU use and time), which is an idle cluster as sovtui sees it (on
a live 2.60 head, 6 s apart, every agent member changed and the raylet member stayed the same
byte for byte); `busy`, every node's raylet member differs too (every node's workers or object
store changed since the last poll).
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
from sovtui.tui.services import Services
from sovtui.tui.widgets.virtual_table import VirtualTable
from tests.bench.stall_watch import StallWatch
from tests.support.app_factory import make_app
from tests.support.recorded_ray import RAY_260, RecordedRay, replicated_summary
from tests.support.waiting import wait_for


class Measured(SovtuiApp):
    """Times each poll from request to the frame that shows it."""

    def __init__(self, services: Services) -> None:
        super().__init__(services)
        self.poll_started = 0.0
        self.poll_times: list[float] = []
        self.shown_started: float | None = None
        self.watched: list[VirtualTable] = []

    def watch_painted(self, painted: bool) -> None:
        if painted:  # the first poll starts now
            self.poll_started = time.perf_counter()

    def poll_now(self) -> None:
        self.poll_started = time.perf_counter()
        self.feed.poller.poll_now()

    def watch_snapshot(self, snapshot: object) -> None:
        if snapshot is None:  # the reactive's initial value, before any poll
            return
        self.shown_started = self.poll_started
        table = self.screen.query_one("#nodes", VirtualTable)
        if table not in self.watched:
            self.watched.append(table)
            self.watch(table, "rendered", self.nodes_rendered, init=False)

    def nodes_rendered(self) -> None:
        # The node table has the poll's rows (built in place or, for thousands, in a thread);
        # the next refresh paints them.
        started = self.shown_started
        if started is None:
            return
        self.shown_started = None
        self.call_after_refresh(lambda: self.poll_times.append(time.perf_counter() - started))


async def main(nodes: int, polls: int, mode: str = "same") -> dict[str, object]:
    body = replicated_summary(RAY_260, nodes)
    bodies = [body]
    if mode in ("agents", "busy"):
        changes = [(b'"now": 1795315268.836613,', b'"now": 1795315270.5,')]
        changes.append((b'"cpu": 88.3,', b'"cpu": 12.5,'))
        if mode == "busy":
            changes.append((b'"objectStoreUsedMemory": 0,', b'"objectStoreUsedMemory": 1,'))
        changed = body
        for old, new in changes:
            assert changed.count(old) == nodes
            changed = changed.replace(old, new)
        bodies.append(changed)
    answered = [0]

    def answer(request: httpx.Request) -> httpx.Response:
        answered[0] += 1
        content = bodies[answered[0] % len(bodies)]
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    recorded = RecordedRay()
    recorded.override["/nodes"] = answer
    app = make_app(settings=Settings(interval=3600), recorded=recorded, app_class=Measured)
    assert isinstance(app, Measured)
    watcher = StallWatch()
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: app.poll_times, 120)  # first poll: builds the 1000 rows
        watcher.start()
        for _ in range(polls):
            count = len(app.poll_times)
            app.poll_now()

            def polled(count: int = count) -> bool:
                return len(app.poll_times) > count

            await wait_for(pilot, polled, 120)
        watcher.stop()
        rows = app.screen.query_one("#nodes").row_count  # type: ignore[attr-defined]
    return {
        "nodes": rows,
        "first_poll_s": app.poll_times[0],
        "poll_s": sorted(app.poll_times[1:])[len(app.poll_times[1:]) // 2],
        "worst_stall_s": watcher.worst,
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
    }


if __name__ == "__main__":
    mode = sys.argv[3] if len(sys.argv) > 3 else "same"
    print(json.dumps(asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), mode))), flush=True)
