"""The flight recorder's targets, measured side by side in one run.

    PYTHONPATH=. python tests/bench/bench_recorder.py [--nodes 100] [--hours 2]

1. CPU per recorded poll at 100 nodes (recorded Ray 2.60 node entries, replicated as the
   1000-node benchmark does), maintenance (rollup, retention) included: target <= 5 ms.
2. Database growth per day at 100 nodes every 2 s after downsampling: `--hours` of polls go
   through the real recording path (so the raw window is full and rolled up), then the
   per-minute rows are repeated to fill the day; target <= 50 MB/day.
3. Opening a 7-day recording and computing the 24 h series (cluster CPU and one node's CPU,
   300 min/mean/max buckets each): target <= 200 ms.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sovtui.recorder import query, store
from sovtui.recorder.identity import Target
from sovtui.recorder.writer import RecordingCore
from sovtui.settings.model import HistorySettings
from tests.support.recorder_data import job, snapshot

T0 = 1_795_315_200.0
MB = 1_000_000


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def record_polls(directory: Path, nodes: int, hours: float) -> tuple[list[float], Path]:
    clock = Clock()
    core = RecordingCore(
        Target("http://127.0.0.1:8265", "attached"), HistorySettings(), directory=directory,
        clock=clock,
    )  # fmt: skip
    costs: list[float] = []
    polls = int(hours * 1800)
    running = (job("bench-job", "RUNNING", T0),)
    prepared = [
        snapshot(T0, nodes=nodes, cpu=float(20 + i % 60), obj_fraction=0.1 + (i % 7) / 10,
                 gpus=(float(i % 100), 0.0), jobs=running, job_ids=frozenset({"02000000"}))
        for i in range(64)
    ]  # fmt: skip
    for index in range(polls):
        clock.now = T0 + 2 * index
        template = prepared[index % len(prepared)]
        poll = type(template)(
            template.version, template.nodes, template.totals, template.jobs, taken_at=clock.now
        )
        started = time.process_time()
        core.record(poll)
        costs.append(time.process_time() - started)
    core.maintain()
    path = core.path
    core.close()
    assert path is not None, core.state
    return costs, path


def extend_minutes(path: Path, days: float) -> None:
    """Repeat the rolled-up minutes until they cover `days` (what a long run would hold)."""
    connection = store.open_writer(path)
    try:
        first, last = connection.execute("SELECT min(m), max(m) FROM cluster_minute").fetchone()
        span = last - first + 1
        target = int(days * 1440)
        shift = span
        while shift < target:
            count = min(span, target - shift)
            for table, keys in (
                ("node_minute", "node, "),
                ("cluster_minute", ""),
                ("gpu_minute", "node, idx, "),
            ):
                columns = [
                    r[1] for r in connection.execute(f"PRAGMA table_info({table})").fetchall()
                ]
                rest = ", ".join(c for c in columns if c not in ("node", "idx", "m"))
                connection.execute(
                    f"INSERT OR IGNORE INTO {table} ({keys}m, {rest}) "
                    f"SELECT {keys}m - ? , {rest} FROM {table} WHERE m >= ? AND m < ?",
                    (shift, first, first + count),
                )
            shift += count
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()


def read_24h(path: Path) -> float:
    started = time.perf_counter()
    with query.opened(path) as recording:
        until = recording.last_seen
        cluster = recording.series("cpu_pct", since=until - 86_400, until=until, buckets=300)
        node = recording.series(
            "cpu", node="00000001", since=until - 86_400, until=until, buckets=300
        )
    elapsed = time.perf_counter() - started
    assert len(cluster) > 250 and len(node) > 250, (len(cluster), len(node))
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=100)
    parser.add_argument("--hours", type=float, default=2.0, help="polls through the real path")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sovtui-bench-recorder-") as folder:
        directory = Path(folder)
        costs, path = record_polls(directory, args.nodes, args.hours)
        recorded_size = store.size_on_disk(path)
        extend_minutes(path, 1.0)
        day_size = os.path.getsize(path)
        extend_minutes(path, 7.0)
        week_size = os.path.getsize(path)
        reads = [read_24h(path) for _ in range(5)]
    growth = (week_size - day_size) / 6  # per day of downsampled minutes, past the raw window
    costs_ms = sorted(c * 1000 for c in costs)
    p50 = statistics.median(costs_ms)
    mean = statistics.fmean(costs_ms)
    p99 = costs_ms[int(len(costs_ms) * 0.99)]
    first_read = reads[0] * 1000
    rows = [
        ("CPU per poll, mean (ms)", f"{mean:.2f}", "<= 5", mean <= 5),
        ("CPU per poll, median / p99 (ms)", f"{p50:.2f} / {p99:.2f}", "", None),
        ("growth per day (MB)", f"{growth / MB:.1f}", "<= 50", growth <= 50 * MB),
        ("first day, 1 h of raw polls incl. (MB)", f"{day_size / MB:.1f}", "", None),
        ("7-day file (MB)", f"{week_size / MB:.1f}", "", None),
        ("open 7 d + 24 h series, first (ms)", f"{first_read:.1f}", "<= 200", first_read <= 200),
        ("open 7 d + 24 h series, best (ms)", f"{min(reads) * 1000:.1f}", "", None),
    ]
    print(
        f"recorder benchmark: {args.nodes} nodes, {len(costs)} polls "
        f"({args.hours:g} h at 2 s) recorded, {recorded_size / MB:.1f} MB after them; "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, SQLite {__import__('sqlite3').sqlite_version}"
    )
    print(f"{'measure':<38} {'measured':>16} {'target':>8}")
    for name, value, target, ok in rows:
        mark = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<38} {value:>16} {target:>8} {mark}")
    sys.exit(0 if all(ok is not False for *_, ok in rows) else 1)


if __name__ == "__main__":
    main()
