"""Reading a recording back: clusters, series with min/max per bucket, jobs, efficiency notes.

Series come from the raw polls while the window is inside the raw range, else from the
per-minute rows (plus the raw polls not yet rolled up). Each bucket keeps the min and max of
what fell into it, so a one-poll spike is still there at 7 days.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovtui.recorder import store
from sovtui.recorder.identity import Target
from sovtui.recorder.schema import CLUSTER_METRICS, GPU_METRICS, NODE_METRICS, Metric

MINUTE_MS = 60_000
WINDOWS = {"5m": 300.0, "1h": 3600.0, "6h": 6 * 3600.0, "24h": 86400.0, "7d": 7 * 86400.0}
IDLE_GPU_PCT = 1.0  # a GPU whose utilisation never rose above this was idle


@dataclass(frozen=True)
class Bucket:
    t: float  # the bucket's start, unix seconds
    min: float
    mean: float
    max: float


@dataclass(frozen=True)
class ClusterInfo:
    path: Path
    key: str
    session_name: str | None
    address: str
    mode: str
    project: str | None
    slurm_job: str | None
    ray_version: str | None
    first_seen: float
    last_seen: float
    max_nodes: int
    nodes: int
    jobs: int
    end_state: str | None
    recording_pid: str | None
    size_bytes: int

    @property
    def target(self) -> Target:
        return Target(self.address, self.mode, self.project, self.slurm_job)

    @property
    def label(self) -> str:
        return self.target.label

    @property
    def ended(self) -> str:
        if self.recording_pid:
            return f"recording now (sovtui pid {self.recording_pid})"
        return self.end_state or "sovtui stopped recording"

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "session_name": self.session_name,
            "address": self.address,
            "mode": self.mode,
            "project": self.project,
            "slurm_job": self.slurm_job,
            "ray_version": self.ray_version,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "nodes": self.nodes,
            "max_nodes_alive": self.max_nodes,
            "jobs": self.jobs,
            "ended": self.ended,
            "recording": self.recording_pid is not None,
            "path": str(self.path),
            "size_bytes": self.size_bytes,
        }


@dataclass(frozen=True)
class JobRecord:
    key: str
    job_id: str | None
    submission_id: str | None
    type: str | None
    entrypoint: str
    status: str
    message: str | None
    error_type: str | None
    start_time: float | None  # unix seconds
    end_time: float | None
    driver_exit_code: int | None
    driver_node_id: str | None
    note: str | None
    log_tail: str | None
    events: list[tuple[float, str, str | None]] = field(default_factory=list)

    @property
    def duration_s(self) -> float | None:
        if self.start_time is None or self.end_time is None:
            return None
        return max(0.0, self.end_time - self.start_time)

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "job_id": self.job_id,
            "submission_id": self.submission_id,
            "type": self.type,
            "entrypoint": self.entrypoint,
            "status": self.status,
            "message": self.message,
            "error_type": self.error_type,
            "start_time": self.start_time,
            "end_time": self.end_time,
            "duration_s": self.duration_s,
            "driver_exit_code": self.driver_exit_code,
            "driver_node_id": self.driver_node_id,
            "efficiency": self.note,
            "events": [{"t": t, "status": s, "message": m} for t, s, m in self.events],
            "log_tail": self.log_tail,
        }


def _metric(name: str, family: tuple[Metric, ...]) -> Metric:
    for metric in family:
        if metric.name == name:
            return metric
    known = ", ".join(m.name for m in family)
    raise KeyError(f"unknown metric '{name}' (known: {known})")


def cluster_row(connection: sqlite3.Connection) -> sqlite3.Row | None:
    connection.row_factory = sqlite3.Row
    return connection.execute("SELECT * FROM cluster WHERE id = 1").fetchone()


def describe(path: Path) -> ClusterInfo | None:
    """One recording's summary line; None when the file cannot be read (corrupt, foreign)."""
    try:
        connection = store.open_reader(path)
    except sqlite3.Error:
        return None
    try:
        row = cluster_row(connection)
        if row is None:
            return None
        nodes = connection.execute("SELECT count(*) FROM nodes").fetchone()[0]
        jobs = connection.execute("SELECT count(*) FROM jobs").fetchone()[0]
    except sqlite3.Error:
        return None
    finally:
        connection.close()
    return ClusterInfo(
        path=path,
        key=row["key"],
        session_name=row["session_name"],
        address=row["address"],
        mode=row["mode"],
        project=row["project"],
        slurm_job=row["slurm_job"],
        ray_version=row["ray_version"],
        first_seen=row["first_seen"] / 1000,
        last_seen=row["last_seen"] / 1000,
        max_nodes=row["max_nodes"],
        nodes=nodes,
        jobs=jobs,
        end_state=row["end_state"],
        recording_pid=store.live_writer(path),
        size_bytes=store.size_on_disk(path),
    )


def last_poll(connection: sqlite3.Connection) -> int | None:
    """The time (ms) of the last recorded poll: the last raw one, else the last minute's."""
    raw = connection.execute("SELECT max(t) FROM cluster_raw").fetchone()[0]
    if raw is not None:
        return int(raw)
    minute = connection.execute("SELECT max(m) FROM cluster_minute").fetchone()[0]
    return None if minute is None else int(minute) * MINUTE_MS


def replayable(info: ClusterInfo) -> bool:
    """At least one recorded poll: `sovtui --replay` can show it."""
    try:
        connection = store.open_reader(info.path)
    except sqlite3.Error:
        return False
    try:
        return last_poll(connection) is not None
    except sqlite3.Error:
        return False
    finally:
        connection.close()


def list_clusters(directory: Path | None = None) -> list[ClusterInfo]:
    """Every readable recording, the most recently seen first."""
    found = (describe(path) for path in store.recording_files(directory))
    return sorted((c for c in found if c is not None), key=lambda c: c.last_seen, reverse=True)


class AmbiguousCluster(LookupError):
    pass


def find_cluster(name: str, directory: Path | None = None) -> ClusterInfo:
    """By key, key prefix, session name (or prefix), address or Compose project.

    An address or project matching several recordings means the most recent one.
    """
    clusters = list_clusters(directory)
    exact = [c for c in clusters if name in (c.key, c.session_name)]
    if exact:
        return exact[0]
    prefixed = [
        c for c in clusters if c.key.startswith(name) or (c.session_name or "").startswith(name)
    ]
    if len(prefixed) > 1:
        keys = ", ".join(c.key for c in prefixed[:5])
        raise AmbiguousCluster(f"'{name}' matches {len(prefixed)} recordings: {keys}")
    if prefixed:
        return prefixed[0]
    by_place = [c for c in clusters if name in (c.address, c.project, c.address.split("://")[-1])]
    if by_place:
        return by_place[0]  # the most recently seen
    raise LookupError(f"no recorded cluster '{name}' (sovtui history lists them)")


class Recording:
    """A recording opened read-only: its series, nodes and jobs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.connection = store.open_reader(path)
        self.connection.row_factory = sqlite3.Row
        row = cluster_row(self.connection)
        if row is None:
            raise LookupError(f"{path} holds no recording")
        self.cluster = row

    def close(self) -> None:
        self.connection.close()

    @property
    def last_seen(self) -> float:
        return float(self.cluster["last_seen"]) / 1000

    def nodes(self) -> list[sqlite3.Row]:
        return self.connection.execute("SELECT * FROM nodes ORDER BY is_head DESC, ip").fetchall()

    def node_ref(self, node_id: str) -> int:
        rows = self.connection.execute(
            "SELECT id FROM nodes WHERE node_id LIKE ? || '%'", (node_id,)
        ).fetchall()
        if len(rows) != 1:
            raise LookupError(f"{len(rows)} recorded nodes match '{node_id}'")
        return int(rows[0][0])

    def series(
        self,
        metric: str,
        *,
        since: float,
        until: float | None = None,
        node: str | None = None,
        gpu: int | None = None,
        buckets: int = 300,
    ) -> list[Bucket]:
        """`metric` from `since` to `until` (unix s) in at most `buckets` min/mean/max buckets.

        Without `node`: a cluster metric (see CLUSTER_METRICS); with it, a node metric (or a
        GPU metric with `gpu`, the GPU's index on that node).
        """
        until = self.last_seen + 1 if until is None else until
        since_ms, until_ms = int(since * 1000), int(until * 1000)
        width = max(1, -(-(until_ms - since_ms) // max(1, buckets)))
        if node is None:
            family, raw, minute, where, args = (
                CLUSTER_METRICS,
                "cluster_raw",
                "cluster_minute",
                "",
                [],
            )
        elif gpu is None:
            ref = self.node_ref(node)
            family, raw, minute, where, args = (
                NODE_METRICS,
                "node_raw",
                "node_minute",
                "node = ? AND ",
                [ref],
            )
        else:
            ref = self.node_ref(node)
            family, raw, minute, where, args = (
                GPU_METRICS,
                "gpu_raw",
                "gpu_minute",
                "node = ? AND idx = ? AND ",
                [ref, gpu],
            )
        spec = _metric(metric, family)
        rolled = int(self.cluster["rolled_until"])
        # Raw polls serve the whole window when none in it were pruned (every table is pruned
        # at the same time): the oldest kept is older than the window, or the very first poll.
        oldest_raw = self.connection.execute("SELECT min(t) FROM cluster_raw").fetchone()[0]
        whole_from = max(since_ms, int(self.cluster["first_seen"]))
        raw_from = since_ms if oldest_raw is not None and oldest_raw <= whole_from else rolled
        raw_from = max(raw_from, since_ms)
        col = spec.name
        parts = [
            f"SELECT (t - ?) / ? AS b, min({col}) AS lo, sum({col}) AS total, count({col}) AS n, "
            f"max({col}) AS hi FROM {raw} WHERE {where}t >= ? AND t < ? AND {col} IS NOT NULL "
            "GROUP BY b"
        ]
        params: list[Any] = [since_ms, width, *args, raw_from, until_ms]
        if raw_from > since_ms:
            parts.append(
                f"SELECT (m * {MINUTE_MS} - ?) / ? AS b, min({col}_min), sum({col}_avg * n), "
                f"sum(n), max({col}_max) FROM {minute} WHERE {where}m >= ? AND m < ? "
                f"AND {col}_avg IS NOT NULL GROUP BY b"
            )
            params += [
                since_ms,
                width,
                *args,
                since_ms // MINUTE_MS,
                -(-raw_from // MINUTE_MS),
            ]
        sql = (
            "SELECT b, min(lo), sum(total), sum(n), max(hi) FROM ("
            + " UNION ALL ".join(parts)
            + ") GROUP BY b ORDER BY b"
        )
        scale = spec.scale
        return [
            Bucket(
                t=(since_ms + b * width) / 1000,
                min=lo / scale,
                mean=total / n / scale,
                max=hi / scale,
            )
            for b, lo, total, n, hi in self.connection.execute(sql, params)
            if n
        ]

    def jobs(self) -> list[JobRecord]:
        events: dict[str, list[tuple[float, str, str | None]]] = {}
        for key, t, status, message in self.connection.execute(
            "SELECT key, t, status, message FROM job_events ORDER BY t"
        ):
            events.setdefault(key, []).append((t / 1000, status, message))
        records = []
        for row in self.connection.execute("SELECT * FROM jobs ORDER BY start_time, first_seen"):
            note = row["note"]
            if note is None and row["job_id"]:
                note = job_note(self.connection, row["key"], time.time())
            records.append(_job_record(row, note, events.get(row["key"], [])))
        return records

    def metrics(self, job: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT t, job, workload, phase, step, elapsed_s, measures FROM metrics"
        rows = self.connection.execute(
            sql + (" WHERE job = ? ORDER BY id" if job else " ORDER BY id"),
            (job,) if job else (),
        )
        return [
            {
                "t": r["t"] / 1000,
                "job": r["job"],
                "workload": r["workload"],
                "phase": r["phase"],
                "step": r["step"],
                "elapsed_s": r["elapsed_s"],
                "measures": json.loads(r["measures"]),
            }
            for r in rows
        ]


@contextmanager
def opened(path: Path) -> Iterator[Recording]:
    recording = Recording(path)
    try:
        yield recording
    finally:
        recording.close()


def _seconds(ms: Any) -> float | None:
    return None if ms is None else float(ms) / 1000


def _job_record(
    row: sqlite3.Row, note: str | None, events: list[tuple[float, str, str | None]]
) -> JobRecord:
    return JobRecord(
        key=row["key"],
        job_id=row["job_id"],
        submission_id=row["submission_id"],
        type=row["type"],
        entrypoint=row["entrypoint"] or "",
        status=row["status"],
        message=row["message"],
        error_type=row["error_type"],
        start_time=_seconds(row["start_time"]),
        end_time=_seconds(row["end_time"]),
        driver_exit_code=row["driver_exit_code"],
        driver_node_id=row["driver_node_id"],
        note=note,
        log_tail=row["log_tail"],
        events=events,
    )


# Job efficiency -------------------------------------------------------------------------------


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def job_note(connection: sqlite3.Connection, key: str, now: float) -> str | None:
    """ "CPU 38% of 8 cores over 41 min; GPUs: 2 of 4 idle throughout; object store peaked at
    92%": from the recorded series over the job's life on the nodes its workers ran on.

    A node's CPU figure is the whole machine's (what Ray reports), not the job's own share.
    """
    connection.row_factory = sqlite3.Row
    job = connection.execute("SELECT * FROM jobs WHERE key = ?", (key,)).fetchone()
    if job is None or job["start_time"] is None:
        return None
    start = int(job["start_time"])
    end = int(job["end_time"]) if job["end_time"] else int(now * 1000)
    refs = [
        r[0]
        for r in connection.execute(
            "SELECT node FROM job_nodes WHERE job_id = ?", (job["job_id"] or "",)
        )
    ]
    if not refs and job["driver_node_id"]:
        refs = [
            r[0]
            for r in connection.execute(
                "SELECT id FROM nodes WHERE node_id = ?", (job["driver_node_id"],)
            )
        ]
    if not refs:
        refs = [r[0] for r in connection.execute("SELECT id FROM nodes")]
    if not refs:
        return None
    marks = ",".join("?" * len(refs))
    # A job shorter than a poll: take the polls just around it.
    slack = 2_500
    lo, hi = start - slack, end + slack
    cpu = _cpu_mean(connection, marks, refs, lo, hi)
    cores = connection.execute(
        f"SELECT sum(cpus) FROM nodes WHERE id IN ({marks})", refs
    ).fetchone()[0]
    if cpu is None:
        return f"no samples recorded over its {_minutes((end - start) / 1000)}"
    parts = [f"CPU {cpu:.0f}% of {cores or 0:g} cores over {_minutes((end - start) / 1000)}"]
    parts += _peaks(connection, marks, refs, lo, hi)
    gpus = _gpu_summary(connection, marks, refs, lo, hi)
    if gpus:
        parts.append(gpus)
    return "; ".join(parts)


def _cpu_mean(
    connection: sqlite3.Connection, marks: str, refs: list[int], lo: int, hi: int
) -> float | None:
    """Core-weighted mean CPU % of the job's nodes: raw polls where kept, minute means before."""
    rolled = connection.execute("SELECT rolled_until FROM cluster").fetchone()[0]
    sql = (
        "SELECT sum(w * c), sum(w) FROM ("
        f" SELECT r.cpu * 1.0 AS c, coalesce(nodes.cpus, 1) AS w FROM node_raw r"
        f" JOIN nodes ON nodes.id = r.node WHERE r.node IN ({marks}) AND r.t >= ? AND r.t <= ?"
        " AND r.cpu IS NOT NULL"
        " UNION ALL"
        f" SELECT m.cpu_avg * 1.0, coalesce(nodes.cpus, 1) * m.n FROM node_minute m"
        f" JOIN nodes ON nodes.id = m.node WHERE m.node IN ({marks}) AND m.m >= ? AND m.m < ?"
        " AND m.cpu_avg IS NOT NULL)"
    )
    raw_lo = max(lo, rolled)
    args = [*refs, raw_lo, hi, *refs, lo // MINUTE_MS, raw_lo // MINUTE_MS]
    total, weight = connection.execute(sql, args).fetchone()
    if not weight:
        return None
    return float(total) / float(weight) / 10.0


def _peaks(
    connection: sqlite3.Connection, marks: str, refs: list[int], lo: int, hi: int
) -> list[str]:
    rolled = connection.execute("SELECT rolled_until FROM cluster").fetchone()[0]
    raw_lo = max(lo, rolled)
    notes = []
    for label, column, total_column, scale in (
        ("memory", "mem", "mem_total", 1 / (1024.0 * 1024.0)),
        ("object store", "obj", "obj_total", 1 / 1024.0),
    ):
        sql = (
            f"SELECT max(p) FROM ("
            f" SELECT max(r.{column} / ({scale!r} * nodes.{total_column})) AS p FROM node_raw r"
            f" JOIN nodes ON nodes.id = r.node WHERE r.node IN ({marks}) AND r.t >= ?"
            f" AND r.t <= ? AND nodes.{total_column} > 0"
            " UNION ALL"
            f" SELECT max(m.{column}_max / ({scale!r} * nodes.{total_column})) FROM node_minute m"
            f" JOIN nodes ON nodes.id = m.node WHERE m.node IN ({marks}) AND m.m >= ?"
            f" AND m.m < ? AND nodes.{total_column} > 0)"
        )
        args = [*refs, raw_lo, hi, *refs, lo // MINUTE_MS, raw_lo // MINUTE_MS]
        peak = connection.execute(sql, args).fetchone()[0]
        if peak is not None:
            notes.append(f"{label} peaked at {min(peak, 1.0) * 100:.0f}%")
    return notes


def _gpu_summary(
    connection: sqlite3.Connection, marks: str, refs: list[int], lo: int, hi: int
) -> str | None:
    rolled = connection.execute("SELECT rolled_until FROM cluster").fetchone()[0]
    raw_lo = max(lo, rolled)
    sql = (
        "SELECT node, idx, max(hi), sum(total), sum(n) FROM ("
        f" SELECT node, idx, max(util) AS hi, sum(util) AS total, count(util) AS n FROM gpu_raw"
        f" WHERE node IN ({marks}) AND t >= ? AND t <= ? GROUP BY node, idx"
        " UNION ALL"
        f" SELECT node, idx, max(util_max), sum(util_avg * n), sum(n) FROM gpu_minute"
        f" WHERE node IN ({marks}) AND m >= ? AND m < ? GROUP BY node, idx)"
        " GROUP BY node, idx"
    )
    args = [*refs, raw_lo, hi, *refs, lo // MINUTE_MS, raw_lo // MINUTE_MS]
    gpus = [row for row in connection.execute(sql, args).fetchall() if row[4]]
    if not gpus:
        return None
    idle = sum(1 for row in gpus if (row[2] or 0) / 10.0 <= IDLE_GPU_PCT)
    mean = sum(row[3] for row in gpus) / sum(row[4] for row in gpus) / 10.0
    if idle:
        return f"GPUs: {idle} of {len(gpus)} idle throughout"
    return f"GPUs: {mean:.0f}% of {len(gpus)}"
