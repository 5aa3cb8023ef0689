"""The recording's tables, the metrics they hold, and the migrations between schema versions.

One SQLite file per cluster (see store.py). Numbers are stored as scaled integers (SQLite
packs a small integer in 1-4 bytes, a float always in 8): CPU in tenths of a percent,
memory and disk in MiB, the object store in KiB, load in hundredths. Times are integer ms.

`node_raw` and `cluster_raw` hold every poll for `raw_minutes`; `node_minute` and
`cluster_minute` the min, mean and max of each minute for `keep_days` (so spikes survive any
zoom). GPUs have their own pair of tables, filled only where a node has GPUs.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MIB = 1024.0 * 1024.0
KIB = 1024.0


@dataclass(frozen=True)
class Metric:
    name: str  # the column (raw) and the stem of the min/avg/max columns (minute)
    label: str
    unit: str  # "%", "B", "B/s", "" (load, counts)
    scale: float  # stored integer = round(value * scale)
    read: Callable[[Any], float | None]  # from a NodeView (node metrics) or a snapshot summary


NODE_METRICS: tuple[Metric, ...] = (
    Metric("cpu", "CPU", "%", 10.0, lambda n: n.cpu_percent),
    Metric("mem", "memory used", "B", 1 / MIB, lambda n: n.memory_used),
    Metric("obj", "object store used", "B", 1 / KIB, lambda n: n.object_store_used),
    Metric("disk", "disk used", "B", 1 / MIB, lambda n: n.disk_used),
    Metric("disk_read", "disk read", "B/s", 1.0, lambda n: n.disk_read_bps),
    Metric("disk_write", "disk write", "B/s", 1.0, lambda n: n.disk_write_bps),
    Metric("net_sent", "network sent", "B/s", 1.0, lambda n: n.net_sent_bps),
    Metric("net_recv", "network received", "B/s", 1.0, lambda n: n.net_recv_bps),
    Metric("load", "load (1 min)", "", 100.0, lambda n: n.load1),
)

# Read from a dict the writer builds per poll (see writer.cluster_values).
CLUSTER_METRICS: tuple[Metric, ...] = (
    Metric("nodes", "nodes alive", "", 1.0, lambda v: v.get("nodes")),
    Metric("cpu_used", "CPUs in use (Ray)", "", 100.0, lambda v: v.get("cpu_used")),
    Metric("cpu_total", "CPUs", "", 100.0, lambda v: v.get("cpu_total")),
    Metric("cpu_pct", "CPU (machines)", "%", 10.0, lambda v: v.get("cpu_pct")),
    Metric("gpu_used", "GPUs in use (Ray)", "", 100.0, lambda v: v.get("gpu_used")),
    Metric("gpu_total", "GPUs", "", 100.0, lambda v: v.get("gpu_total")),
    Metric("mem_used", "memory in use (Ray)", "B", 1 / MIB, lambda v: v.get("mem_used")),
    Metric("mem_total", "memory (Ray)", "B", 1 / MIB, lambda v: v.get("mem_total")),
    Metric("obj_used", "object store used", "B", 1 / KIB, lambda v: v.get("obj_used")),
    Metric("obj_total", "object store", "B", 1 / KIB, lambda v: v.get("obj_total")),
)

GPU_METRICS: tuple[Metric, ...] = (
    Metric("util", "GPU utilisation", "%", 10.0, lambda g: g.utilization),
    Metric("gmem", "GPU memory used", "B", 1.0, lambda g: _mib(g.memory_used_mb)),
)


def _mib(value: float | None) -> float | None:
    return None if value is None else value * MIB


def _raw_columns(metrics: tuple[Metric, ...]) -> str:
    return ", ".join(f"{m.name} INTEGER" for m in metrics)


def _minute_columns(metrics: tuple[Metric, ...]) -> str:
    return ", ".join(
        f"{m.name}_min INTEGER, {m.name}_avg INTEGER, {m.name}_max INTEGER" for m in metrics
    )


_V1 = f"""
CREATE TABLE cluster (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    key TEXT NOT NULL, session_name TEXT, address TEXT NOT NULL, mode TEXT NOT NULL,
    project TEXT, slurm_job TEXT, ray_version TEXT,
    first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, max_nodes INTEGER NOT NULL DEFAULT 0,
    end_state TEXT, rolled_until INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE nodes (
    id INTEGER PRIMARY KEY, node_id TEXT NOT NULL UNIQUE, ip TEXT, hostname TEXT,
    is_head INTEGER NOT NULL DEFAULT 0, cpus REAL, gpus REAL, mem_total REAL, obj_total REAL,
    disk_total REAL, state TEXT, first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL
);
CREATE TABLE node_states (
    node INTEGER NOT NULL, t INTEGER NOT NULL, state TEXT NOT NULL, PRIMARY KEY (node, t)
) WITHOUT ROWID;
CREATE TABLE node_raw (
    t INTEGER NOT NULL, node INTEGER NOT NULL, {_raw_columns(NODE_METRICS)},
    PRIMARY KEY (t, node)
) WITHOUT ROWID;
CREATE TABLE node_minute (
    node INTEGER NOT NULL, m INTEGER NOT NULL, n INTEGER NOT NULL, {_minute_columns(NODE_METRICS)},
    PRIMARY KEY (node, m)
) WITHOUT ROWID;
CREATE TABLE cluster_raw (
    t INTEGER PRIMARY KEY, {_raw_columns(CLUSTER_METRICS)}
);
CREATE TABLE cluster_minute (
    m INTEGER PRIMARY KEY, n INTEGER NOT NULL, {_minute_columns(CLUSTER_METRICS)}
);
CREATE TABLE gpu_raw (
    t INTEGER NOT NULL, node INTEGER NOT NULL, idx INTEGER NOT NULL, {_raw_columns(GPU_METRICS)},
    PRIMARY KEY (t, node, idx)
) WITHOUT ROWID;
CREATE TABLE gpu_minute (
    node INTEGER NOT NULL, idx INTEGER NOT NULL, m INTEGER NOT NULL, n INTEGER NOT NULL,
    {_minute_columns(GPU_METRICS)}, PRIMARY KEY (node, idx, m)
) WITHOUT ROWID;
CREATE TABLE jobs (
    key TEXT PRIMARY KEY, job_id TEXT, submission_id TEXT, type TEXT, entrypoint TEXT,
    status TEXT NOT NULL, message TEXT, error_type TEXT, start_time INTEGER, end_time INTEGER,
    driver_exit_code INTEGER, driver_node_id TEXT, first_seen INTEGER NOT NULL,
    last_seen INTEGER NOT NULL, note TEXT, log_tail TEXT, log_bytes INTEGER
);
CREATE TABLE job_events (
    key TEXT NOT NULL, t INTEGER NOT NULL, status TEXT NOT NULL, message TEXT,
    PRIMARY KEY (key, status)
) WITHOUT ROWID;
CREATE TABLE job_nodes (
    job_id TEXT NOT NULL, node INTEGER NOT NULL, first_seen INTEGER NOT NULL,
    PRIMARY KEY (job_id, node)
) WITHOUT ROWID;
CREATE TABLE metrics (
    id INTEGER PRIMARY KEY, t INTEGER NOT NULL, job TEXT, workload TEXT NOT NULL,
    phase TEXT NOT NULL, step INTEGER, elapsed_s REAL, measures TEXT NOT NULL
);
CREATE INDEX metrics_job ON metrics (job, id);
"""

# Migration N turns schema version N-1 into N. Append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (_V1,)
SCHEMA_VERSION = len(MIGRATIONS)


class NewerSchema(Exception):
    """The file was written by a newer sovtui: read what we know, never write to it."""


def migrate(connection: sqlite3.Connection) -> None:
    """Bring a file to SCHEMA_VERSION, one transaction per step."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise NewerSchema(f"schema version {version}, this sovtui knows {SCHEMA_VERSION}")
    for number in range(version + 1, SCHEMA_VERSION + 1):
        script = MIGRATIONS[number - 1]
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
        )
