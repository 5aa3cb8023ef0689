"""The explorer's and the dashboard's tables alone (no fetch, no parse), side by side in one run:
Textual's DataTable fed the same rows the way sovtui fed it until issue 12 (replace_rows:
add_row for new keys, update_cell for changed cells) vs VirtualTable (ResourceTable and
NodeTable as the screens use them). Run: python -m tests.bench.table_render

Rows: recorded Ray 2.60 tasks (replicated) through the Tasks view's columns, and recorded
nodes (replicated) through the node table's. Per table and row count, each in a fresh child
process: the first show until the frame that paints it, a poll with equal rows (new objects),
a poll where every row changed (each: until the table's work is done, then the next frame),
and the longest event-loop stall meanwhile.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from typing import Any

from tests.bench.stall_watch import StallWatch

CASES = (("tasks", 500), ("tasks", 10_000), ("nodes", 1000), ("nodes", 5000))


def task_items(count: int, generation: int) -> list[Any]:
    from pydantic import TypeAdapter

    from sovtui.ray_api.state_models import Task
    from tests.bench.explorer_views import replicate

    rows = replicate("tasks", count)
    if generation:  # every row changed: another pid
        rows = [dict(row, worker_pid=(row.get("worker_pid") or 0) + generation) for row in rows]
    return TypeAdapter(list[Task]).validate_python(rows)


def node_items(count: int, generation: int) -> tuple[Any, ...]:
    from sovtui.ray_api.snapshot import build_snapshot
    from sovtui.ray_api.summary_parse import parse_whole
    from tests.support.recorded_ray import RAY_260, replicated_summary

    summaries = parse_whole(replicated_summary(RAY_260, count)).summary
    nodes = build_snapshot(None, None, summaries, []).nodes
    if generation:  # every row changed: another CPU %
        from dataclasses import replace

        nodes = tuple(replace(node, cpu_percent=(generation * 7) % 100) for node in nodes)
    return nodes


async def measure(kind: str, table_kind: str, count: int) -> dict[str, float]:
    from textual.app import App, ComposeResult

    from sovtui.tui.resource_views import VIEWS
    from sovtui.tui.widgets.node_table import COLUMNS, LiveTable, NodeTable, node_row
    from sovtui.tui.widgets.node_table import replace_rows as datatable_rows
    from sovtui.tui.widgets.resource_table import ResourceTable

    view = VIEWS["tasks"]
    # DataTable's update_cell re-measures the column: every row changed is quadratic (500 rows
    # ~8 s on a loaded 2-core machine), so past 1,000 rows it is left out (reported as -1).
    generations = (0, 0, 1) if table_kind != "DataTable" or count <= 1000 else (0, 0)
    items = [task_items(count, g) if kind == "tasks" else node_items(count, g) for g in generations]
    if kind == "tasks":
        titles: tuple[str, ...] = tuple(column.title for column in view.columns)

        def rows_of(batch: Any) -> list[tuple[str, tuple[Any, ...]]]:
            return [(view.row_id(item), view.row(item)) for item in batch]
    else:
        titles = COLUMNS

        def rows_of(batch: Any) -> list[tuple[str, tuple[Any, ...]]]:
            return [(node.node_id, node_row(node)) for node in batch]

    class Bench(App[None]):
        def compose(self) -> ComposeResult:
            if table_kind == "DataTable":
                yield LiveTable(id="table")
            elif kind == "tasks":
                yield ResourceTable(view, id="table")
            else:
                yield NodeTable(id="table")

    app = Bench()
    watcher = StallWatch()
    times: list[float] = []
    async with app.run_test(size=(160, 50)) as pilot:
        table: Any = app.query_one("#table")
        if table_kind == "DataTable":
            table.cursor_type = "row"
            for title in titles:
                table.add_column(title, key=title)
        await pilot.pause()

        watcher.start()
        for batch in items:
            done: list[float] = []
            started = time.perf_counter()

            def painted(started: float = started, done: list[float] = done) -> None:
                done.append(time.perf_counter() - started)

            if table_kind == "DataTable":
                datatable_rows(table, rows_of(batch))
                await asyncio.sleep(0)
                while table._require_update_dimensions or table._updated_cells:
                    await asyncio.sleep(0.001)  # measured on idle: part of the cost
                table.call_after_refresh(painted)
                while not done:
                    await asyncio.sleep(0.001)
            else:
                rendered = table.rendered
                if kind == "tasks":
                    table.show(batch)
                else:
                    table.show_nodes(batch)
                while table.rendered == rendered:
                    await asyncio.sleep(0.001)
                table.call_after_refresh(painted)
                while not done:
                    await asyncio.sleep(0.001)
            times.append(done[0])
            await asyncio.sleep(0.05)
        watcher.stop()
        shown = table.row_count
    assert shown == count, (shown, count)
    return {
        "first_ms": times[0] * 1000,
        "same_ms": times[1] * 1000,
        "changed_ms": times[2] * 1000 if len(times) > 2 else -1.0,
        "stall_ms": watcher.worst * 1000,
    }


def child(argv: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.table_render", "--child", *argv],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if done.returncode != 0:
        return {"error": (done.stderr.strip().splitlines() or ["failed"])[-1]}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=3, metavar=("KIND", "TABLE", "COUNT"))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    if args.child:
        kind, table_kind, count = args.child
        print(json.dumps(asyncio.run(measure(kind, table_kind, int(count)))), flush=True)
        return
    print(
        f"{'rows':<14} {'table':<13} {'first ms':>9} {'same ms':>8} {'changed ms':>10} "
        f"{'stall ms':>9}   (medians of {args.repeats}, interleaved; ratio: DataTable/ours)"
    )
    for kind, count in CASES:
        runs: dict[str, list[dict[str, Any]]] = {"DataTable": [], "VirtualTable": []}
        for _ in range(args.repeats):
            for table_kind in runs:  # interleaved, so machine noise hits both alike
                runs[table_kind].append(child([kind, table_kind, str(count)]))
        medians: dict[str, dict[str, float]] = {}
        for table_kind, results in runs.items():
            good = [result for result in results if "error" not in result]
            if not good:
                print(f"{kind} {count:<8} {table_kind:<13} FAILED: {results[0]['error']}")
                continue

            def median(key: str, good: list[dict[str, Any]] = good) -> float:
                return statistics.median(result[key] for result in good)

            medians[table_kind] = {key: median(key) for key in good[0]}
            row = medians[table_kind]
            print(
                f"{kind} {count:<8} {table_kind:<13} {row['first_ms']:>9.0f} "
                f"{row['same_ms']:>8.0f} {row['changed_ms']:>10.0f} {row['stall_ms']:>9.0f}"
            )
        if len(medians) == 2:
            ratios = "  ".join(
                f"{key} x{medians['DataTable'][key] / max(medians['VirtualTable'][key], 0.1):.1f}"
                for key in ("first_ms", "same_ms", "changed_ms", "stall_ms")
                if medians["DataTable"][key] >= 0
            )
            print(f"{'':<14} ratio         {ratios}")


if __name__ == "__main__":
    main()
