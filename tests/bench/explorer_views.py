"""The explorer's views end to end on a big cluster: 100,000 tasks, 10,000 actors and 10,000 of
every other kind, made by replicating the rows recorded from a real 2.60 head
(tests/data/recorded/ray-2.60.0-explorer). Run: python -m tests.bench.explorer_views

Per view, at the rows the view asks for (VIEW_LIMIT) and at Ray's cap (10,000 rows in one
answer), each in a fresh child process: the real ResourceScreen, fed through an httpx transport
that answers like Ray (filters and limit applied over the replicated rows); the time from the
first request to the frame that draws its rows (fetch + parse + table build), the same from
the push (open ms: composing the screen and its styles included), the median of later polls
(the table's keys unchanged), the longest event-loop stall meanwhile, the requests and bytes
of one poll, and the process's RSS. Then the core parse of a 100,000-task
answer (tests.bench.explorer_parse) and the dashboard at 5,000 nodes
(tests.bench.big_cluster_child), so every target of issue 12 is side by side in one run;
`--idle` adds the explorer idle on `:actors` against a real head (tests.bench.explorer_idle).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import statistics
import subprocess
import sys
import time
from functools import partial
from typing import Any

import httpx
import psutil
from textual.strip import Strip

from tests.bench.stall_watch import StallWatch
from tests.support.recorded_state import (
    AS_RECORDED,
    ID_FIELDS,
    _matches,
    as_recorded,
    recorded_body,
    recorded_rows,
)

VIEWS = ("actors", "tasks", "pg", "objects", "workers", "events")
KIND_OF = {
    "actors": "actors",
    "tasks": "tasks",
    "pg": "placement_groups",
    "objects": "objects",
    "workers": "workers",
}
CLUSTER = {
    "actors": 10_000,
    "tasks": 100_000,
    "placement_groups": 10_000,
    "objects": 10_000,
    "workers": 10_000,
    "events": 10_000,
}
RAY_CAP = 10_000
BASE = {"actors": "actors", "tasks": "tasks"}  # the recordings made without detail


def base_keys(recording: str) -> list[str]:
    rows = json.loads(recorded_body(recording))["data"]["result"]["result"]
    return sorted({key for row in rows for key in row})


def replicate(kind: str, count: int) -> list[dict[str, Any]]:
    rows = recorded_rows(kind)
    key = ID_FIELDS[kind]
    out = []
    for index in range(count):
        row = dict(rows[index % len(rows)])
        if row.get(key):
            row[key] = f"{index:016x}" + str(row[key])[16:]
        out.append(row)
    return out


def replicated_events(count: int) -> bytes:
    body = json.loads(recorded_body("events"))
    groups = body["data"]["events"]
    recorded = [event for events in groups.values() for event in events]
    events = []
    for index in range(count):
        event = dict(recorded[index % len(recorded)])
        event["eventId"] = f"{index:016x}" + str(event.get("eventId", ""))[16:]
        events.append(event)
    body["data"]["events"] = {"global": events}
    return json.dumps(body).encode()


class BigCluster:
    """List answers over replicated rows, like Ray: filters, then the limit (cached per query)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.cache: dict[tuple[str, str], bytes] = {}
        self.sent_bytes = 0

    def answer(self, kind: str, request: httpx.Request) -> httpx.Response:
        query = str(request.url.query)
        content = self.cache.get((kind, query))
        if content is None:
            content = self._build(kind, request)
            self.cache[(kind, query)] = content
        self.sent_bytes += len(content)
        return httpx.Response(200, content=content, headers={"content-type": "application/json"})

    def _build(self, kind: str, request: httpx.Request) -> bytes:
        if kind not in self.rows:
            self.rows[kind] = replicate(kind, CLUSTER[kind])
        rows = self.rows[kind]
        params = request.url.params
        if params.get("detail") != "true" and kind in BASE:  # Ray sends detail fields only then
            keys = base_keys(BASE[kind])
            rows = [{key: row.get(key) for key in keys} for row in rows]
        kept = rows
        for key, predicate, value in zip(
            params.get_list("filter_keys"),
            params.get_list("filter_predicates"),
            params.get_list("filter_values"),
            strict=True,
        ):
            kept = [row for row in kept if _matches(row, key, predicate, value)]
        limit = int(params.get("limit", "100"))
        filtered = bool(params.get_list("filter_keys"))
        cap = len(rows) if filtered else min(len(rows), RAY_CAP)  # unfiltered: Ray keeps 10,000
        answer = {
            "result": True,
            "msg": "",
            "data": {
                "result": {
                    "total": len(rows),
                    "num_after_truncation": cap,
                    "num_filtered": len(kept),
                    "result": kept[:limit],
                    "partial_failure_warning": "",
                    "warnings": None,
                }
            },
        }
        return json.dumps(answer).encode()

    def counted(self, handler: Any, request: httpx.Request) -> httpx.Response:
        response: httpx.Response = handler(request)
        self.sent_bytes += len(response.content)
        return response


async def measure_view(name: str, limit: int, polls: int) -> dict[str, Any]:
    from sovtui.ray_api.state import StateApi
    from sovtui.settings.model import Settings
    from sovtui.tui import resource_views
    from sovtui.tui.resource_views import VIEWS as VIEW_DECLARATIONS
    from sovtui.tui.resource_views import ViewData
    from sovtui.tui.screens.resources import ResourceScreen
    from tests.support.app_factory import make_app
    from tests.support.recorded_ray import RAY_260, RecordedRay
    from tests.support.waiting import wait_for

    resource_views.VIEW_LIMIT = limit  # the fetches read it at call time
    big = BigCluster()
    recorded = RecordedRay(RAY_260)
    for kind in ("actors", "tasks", "placement_groups", "objects", "workers"):
        recorded.override[f"/api/v0/{kind}"] = partial(big.answer, kind)
    for path, recording in AS_RECORDED.items():
        recorded.override[path.split("?")[0]] = partial(big.counted, as_recorded(recording))
    events = replicated_events(CLUSTER["events"])
    recorded.override["/events"] = partial(
        big.counted,
        lambda _request: httpx.Response(
            200, content=events, headers={"content-type": "application/json"}
        ),
    )
    view = VIEW_DECLARATIONS[name]
    times: list[float] = []  # each poll: its request -> its rows painted
    fetched: list[float] = []  # when each poll's request began
    pushed = 0.0
    phases: list[tuple[float, float]] = []  # (fetch + parse, table update) of each poll
    opened: list[float] = []  # push -> the first rows painted

    async def timed_fetch(api: StateApi) -> ViewData:
        # The screen sends its first request as it composes, before the poller asks: the
        # times count from each request, wherever it was sent.
        fetched.append(time.perf_counter())
        return await view.fetch(api)

    class Measured(ResourceScreen):
        awaiting_rows: float | None = None  # the start of the poll whose rows are coming
        painting: float | None = None  # rows in the table, from a poll begun then: not drawn

        def _show(self, data: ViewData) -> None:
            if data is self.latest:  # the first answer again (shown at mount already)
                super()._show(data)
                return
            begin = time.perf_counter()
            self.awaiting_rows = fetched[-1]
            super()._show(data)
            phases.append((begin - fetched[-1], time.perf_counter() - begin))

        def on_mount(self) -> None:  # Textual calls ResourceScreen.on_mount after this
            self.watch(self.table, "rendered", self.rendered, init=False)
            table, draw_line = self.table, self.table.render_line

            def render_line(y: int) -> Strip:
                # The frame that draws the rows: its compositor asks the table for its lines.
                begun, self.painting = self.painting, None
                if begun is not None:
                    now = time.perf_counter()
                    times.append(now - begun)
                    if not opened:
                        opened.append(now - pushed)
                return draw_line(y)

            table.render_line = render_line  # type: ignore[method-assign]

        def rendered(self) -> None:
            # This poll's rows are in the table (built in place or in a thread): the next
            # frame draws them. (The empty table's first render, before any poll, is not it.)
            begun = self.awaiting_rows
            if begun is None:
                return
            self.awaiting_rows = None
            self.painting = begun
            self.table.refresh()  # a quiet poll redraws no line: its frame still counts

    app = make_app(settings=Settings(interval=3600), recorded=recorded)
    watcher = StallWatch()
    async with app.run_test(size=(160, 50)) as pilot:
        # Warm the fake cluster's answers (building them is not the client's cost).
        await view.fetch(StateApi(app.services.connection.client))
        await pilot.pause()
        # The fake cluster's rows (100,000 task dicts, the cached answers) live in this process
        # only because the bench serves them: out of the cyclic GC's full passes, which a TUI
        # process would not make over them (a 60-190 ms stall each). The TUI's own start-up heap
        # is frozen the same way by the app after its first snapshot (SovtuiApp._snapshot_ready).
        gc.collect()
        gc.freeze()
        rss_before = psutil.Process().memory_info().rss / 2**20

        watcher.start()
        await asyncio.sleep(0.05)
        screen = Measured(app.services, dataclasses.replace(view, fetch=timed_fetch))
        pushed = time.perf_counter()
        app.push_screen(screen)
        await wait_for(pilot, lambda: bool(times), 300, what="the first rows")

        def complete() -> bool:  # past a first screenful shown early: every row (ids are unique)
            return screen.table.row_count == len(screen.table.items)

        await wait_for(pilot, complete, 300, what="every row in the table")
        all_rows = time.perf_counter() - pushed
        requests: list[int] = []
        sent: list[int] = []
        for _ in range(polls):
            count = len(times)
            asked, bytes_before = len(recorded.requests), big.sent_bytes
            screen.poller.poll_now()

            def polled(count: int = count) -> bool:
                return len(times) > count

            await wait_for(pilot, polled, 300, what="a poll")
            await wait_for(pilot, complete, 300, what="every row in the table")
            requests.append(len(recorded.requests) - asked)
            sent.append(big.sent_bytes - bytes_before)
        watcher.stop()
        shown = screen.table.row_count
    return {
        "view": name,
        "limit": limit,
        "rows": shown,
        "first_ms": times[0] * 1000,
        "poll_ms": statistics.median(times[1:]) * 1000,
        "all_rows_ms": all_rows * 1000,
        "open_ms": opened[0] * 1000,
        "fetch_parse_ms": phases[0][0] * 1000,
        "table_ms": phases[0][1] * 1000,
        "worst_stall_ms": watcher.worst * 1000,
        "requests": max(requests),
        "bytes": max(sent),
        "rss_mb": psutil.Process().memory_info().rss / 2**20,
        "rss_before_mb": rss_before,
    }


def child(argv: list[str], timeout: float = 600) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, *argv], capture_output=True, text=True, check=False, timeout=timeout
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


EVENTS_NOTE = "Ray sends every event (no limit on /events); polled <= every 30 s"
CAP_NOTE = "Ray's cap, informative: no view asks for it; over 1 MiB a poll expected"


def verdict(name: str, limit: int, result: dict[str, Any]) -> str:
    """The target's verdict at VIEW_LIMIT (what each view asks for); at Ray's cap the same
    figures, labelled informative. /events has no limit: its poll cost is Ray's, said so."""
    from sovtui.tui.resource_views import VIEW_LIMIT

    misses = []
    if result["first_ms"] > 100 or result["poll_ms"] > 100:
        misses.append("time")
    if result["worst_stall_ms"] > 50:
        misses.append("stall")
    costly = result["requests"] > 5 or result["bytes"] > 2**20
    if result["rss_mb"] > 250:
        misses.append("RSS")
    notes = []
    if costly and name == "events":
        notes.append(EVENTS_NOTE)
    elif costly and limit == VIEW_LIMIT:
        misses.append("poll cost")
    if limit != VIEW_LIMIT:
        over = f"over {','.join(misses)}" if misses else "within time,stall,RSS"
        return f"cap: {over}" + (f"; {notes[0]}" if notes else "")
    return ("MISSED " + ",".join(misses) if misses else "ok") + (f"; {notes[0]}" if notes else "")


def view_rows(views: tuple[str, ...], polls: int) -> list[str]:
    from sovtui.tui.resource_views import VIEW_LIMIT

    lines = [
        f"{'view':<8} {'limit':>6} {'rows':>6} {'open ms':>8} {'first ms':>9} {'poll ms':>8} "
        f"{'stall ms':>9} {'req/poll':>8} {'KiB/poll':>9} {'RSS MB':>7}   target: first<=100 "
        "stall<=50 req<=5 1 MiB RSS<=250",
    ]
    for name in views:
        for limit in sorted({VIEW_LIMIT, RAY_CAP}):
            argv = ["-m", "tests.bench.explorer_views", "--child", name, str(limit), str(polls)]
            result = child(argv)
            if "error" in result:
                lines.append(f"{name:<8} {limit:>6}  FAILED: {result['error']}")
                continue
            lines.append(
                f"{name:<8} {limit:>6} {result['rows']:>6} {result['open_ms']:>8.0f} "
                f"{result['first_ms']:>9.0f} {result['poll_ms']:>8.0f} "
                f"{result['worst_stall_ms']:>9.0f} {result['requests']:>8} "
                f"{result['bytes'] / 1024:>9.0f} {result['rss_mb']:>7.0f}   "
                f"{verdict(name, limit, result)}"
            )
    lines += [
        f"limit {VIEW_LIMIT}: the rows each view asks for, judged against the target; "
        f"limit {RAY_CAP}: {CAP_NOTE}.",
        "open ms: the screen pushed -> its first rows painted (first ms: from its first "
        "request); events: only the newest rows are built, but " + EVENTS_NOTE + ".",
    ]
    return lines


def core_rows() -> list[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.explorer_parse"],
        capture_output=True,
        text=True,
        check=False,
    )
    return ["core parse (sovtui list ... --json, no Textual):", *done.stdout.splitlines()]


def dashboard_rows(nodes: int, polls: int) -> list[str]:
    result = child(["-m", "tests.bench.big_cluster_child", str(nodes), str(polls)])
    if "error" in result:
        return [f"dashboard {nodes} nodes FAILED: {result['error']}"]
    poll_ms, stall_ms = result["poll_s"] * 1000, result["worst_stall_s"] * 1000
    verdict = "ok" if poll_ms <= 150 and stall_ms <= 50 else "MISSED"
    return [
        f"dashboard {result['nodes']} nodes: poll parse+render {poll_ms:.0f} ms (median; first "
        f"{result['first_poll_s'] * 1000:.0f} ms), worst stall {stall_ms:.0f} ms, "
        f"RSS {result['rss_mb']:.0f} MB   target 150 ms / 50 ms: {verdict}"
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("VIEW", "LIMIT", "POLLS"))
    parser.add_argument("--views", default=",".join(VIEWS))
    parser.add_argument("--polls", type=int, default=3)
    parser.add_argument("--nodes", type=int, default=5000)
    parser.add_argument("--skip-core", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument(
        "--idle", action="store_true", help="also the idle cost against a real head (~2 min)"
    )
    args = parser.parse_args()
    if args.child:
        name, limit, polls = args.child
        print(json.dumps(asyncio.run(measure_view(name, int(limit), int(polls)))), flush=True)
        return
    lines = view_rows(tuple(args.views.split(",")), args.polls)
    if not args.skip_core:
        lines += core_rows()
    if not args.skip_dashboard:
        lines += dashboard_rows(args.nodes, args.polls)
    if args.idle:
        done = subprocess.run(
            [sys.executable, "-m", "tests.bench.explorer_idle"],
            capture_output=True,
            text=True,
            check=False,
        )
        lines += done.stdout.splitlines() or [f"idle bench FAILED: {done.stderr[-300:]}"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
