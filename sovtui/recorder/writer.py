"""Writing a recording: one poll in, a few rows out; failures become a state, never a crash.

`RecordingCore` does the work synchronously (tests drive it with an injected clock);
`Recorder` (recorder.py) runs it on a writer thread so the dashboard's poll never waits.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovtui.recorder import store
from sovtui.recorder.identity import Target
from sovtui.recorder.query import MINUTE_MS, job_note
from sovtui.recorder.schema import CLUSTER_METRICS, GPU_METRICS, NODE_METRICS, Metric
from sovtui.settings.model import HistorySettings

if TYPE_CHECKING:
    from sovtui.bench.metrics import MetricRecord
    from sovtui.ray_api.models import JobDetails
    from sovtui.ray_api.snapshot import ClusterSnapshot

LOG_TAIL_BYTES = 64 * 1024
MAINTENANCE_S = 60.0
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "STOPPED"})

# States the dashboard shows (RecorderState.kind).
OFF, WAITING, RECORDING, WARNING, STOPPED = "off", "waiting", "recording", "warning", "stopped"


@dataclass(frozen=True)
class RecorderState:
    kind: str
    message: str
    path: Path | None = None

    @property
    def recording(self) -> bool:
        return self.kind in (RECORDING, WARNING)


def _scaled(metric: Metric, value: float | None) -> int | None:
    return None if value is None else round(value * metric.scale)


def cluster_values(snapshot: ClusterSnapshot) -> dict[str, float | None]:
    totals = snapshot.totals
    alive = snapshot.alive_nodes
    physical = [(n.cpu_percent, n.cpus or 1.0) for n in alive if n.cpu_percent is not None]
    weight = sum(w for _, w in physical)

    def used(name: str) -> float | None:
        return totals[name].used if name in totals else None

    def total(name: str) -> float | None:
        return totals[name].total if name in totals else None

    return {
        "nodes": float(len(alive)),
        "cpu_used": used("CPU"),
        "cpu_total": total("CPU"),
        "cpu_pct": sum(p * w for p, w in physical) / weight if weight else None,
        "gpu_used": used("GPU"),
        "gpu_total": total("GPU"),
        "mem_used": used("memory"),
        "mem_total": total("memory"),
        "obj_used": used("object_store_memory"),
        "obj_total": total("object_store_memory"),
    }


def log_tail(text: str, limit: int = LOG_TAIL_BYTES) -> str:
    """The last `limit` bytes of `text`, starting at a line where one starts in them."""
    data = text.encode("utf-8", errors="replace")
    if len(data) <= limit:
        return text
    tail = data[-limit:]
    newline = tail.find(b"\n")
    if 0 <= newline < len(tail) - 1:
        tail = tail[newline + 1 :]
    return tail.decode("utf-8", errors="ignore")


def _sql_lists() -> dict[str, str]:
    def insert(table: str, keys: list[str], metrics: tuple[Metric, ...]) -> str:
        columns = [*keys, *(m.name for m in metrics)]
        marks = ", ".join("?" * len(columns))
        return f"INSERT OR REPLACE INTO {table} ({', '.join(columns)}) VALUES ({marks})"

    def rollup(raw: str, minute: str, keys: list[str], metrics: tuple[Metric, ...]) -> str:
        aggregates = ", ".join(
            f"min({m.name}), round(avg({m.name})), max({m.name})" for m in metrics
        )
        columns = ", ".join(f"{m.name}_min, {m.name}_avg, {m.name}_max" for m in metrics)
        key_list = ", ".join(keys)
        prefix = f"{key_list}, " if keys else ""
        return (
            f"INSERT OR REPLACE INTO {minute} ({prefix}m, n, {columns}) "
            f"SELECT {prefix}t / {MINUTE_MS} AS minute, count(*), {aggregates} FROM {raw} "
            f"WHERE t >= ? AND t < ? GROUP BY {prefix}minute"
        )

    return {
        "node_raw": insert("node_raw", ["t", "node"], NODE_METRICS),
        "cluster_raw": insert("cluster_raw", ["t"], CLUSTER_METRICS),
        "gpu_raw": insert("gpu_raw", ["t", "node", "idx"], GPU_METRICS),
        "node_rollup": rollup("node_raw", "node_minute", ["node"], NODE_METRICS),
        "cluster_rollup": rollup("cluster_raw", "cluster_minute", [], CLUSTER_METRICS),
        "gpu_rollup": rollup("gpu_raw", "gpu_minute", ["node", "idx"], GPU_METRICS),
    }


SQL = _sql_lists()


class RecordingCore:
    """Records the polls of the cluster(s) at one Target into per-cluster files."""

    def __init__(
        self,
        target: Target,
        settings: HistorySettings | None = None,
        *,
        directory: Path | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.target = target
        self.settings = settings or HistorySettings()
        self.directory = directory
        self.clock = clock
        self.state = RecorderState(WAITING, "waiting for the first poll")
        self._key: str | None = None
        self._db: Path | None = None
        self._connection: sqlite3.Connection | None = None
        self._lock: store.WriterLock | None = None
        self._stopped = False
        self._node_refs: dict[str, int] = {}
        self._node_states: dict[str, str] = {}
        self._node_static: dict[str, tuple[Any, ...]] = {}
        self._jobs: dict[str, tuple[str, str | None]] = {}
        self._job_nodes: set[tuple[str, int]] = set()
        self._last_maintenance = 0.0
        self._max_nodes = 0
        self._last_seen_ms = 0
        self._seen_failure = False

    # public --------------------------------------------------------------------------------

    @property
    def path(self) -> Path | None:
        return self._db

    def record(self, snapshot: ClusterSnapshot) -> None:
        if self._stopped:
            return
        key = self.target.key(snapshot.session_name)
        if key != self._key:
            if self._connection is not None:
                self._end("a new Ray session started at the same address")
            if not self._open(key, snapshot):
                return
        self._guarded(lambda: self._write(snapshot))
        if self._connection is not None and self.clock() - self._last_maintenance >= MAINTENANCE_S:
            self._guarded(self.maintain)

    def record_failure(self, reason: str) -> None:
        """A poll failed: how the recording ended, should no poll succeed again."""
        if self._connection is None or self._seen_failure:
            return
        self._seen_failure = True
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.clock()))
        self._guarded(
            lambda: self._execute(
                "UPDATE cluster SET end_state = ? WHERE id = 1",
                (f"unreachable since {when}: {reason}",),
            )
        )

    def record_job_log(self, job_key: str, text: str) -> None:
        """The last 64 KiB of an ended job's log (the caller fetched it)."""
        if self._connection is None:
            return
        tail = log_tail(text)

        def write() -> None:
            assert self._connection is not None
            now = int(self.clock() * 1000)
            self._connection.execute(
                "INSERT INTO jobs (key, status, first_seen, last_seen) VALUES (?, 'UNKNOWN', ?, ?)"
                " ON CONFLICT (key) DO NOTHING",
                (job_key, now, now),
            )
            self._connection.execute(
                "UPDATE jobs SET log_tail = ?, log_bytes = ? WHERE key = ?",
                (tail, len(text.encode("utf-8", errors="replace")), job_key),
            )

        self._guarded(write)

    def record_metrics(self, job_key: str | None, records: Iterable[MetricRecord]) -> None:
        """SOVTUI_METRIC records a bench job printed (parsed by sovtui.bench.metrics)."""
        if self._connection is None:
            return
        now = int(self.clock() * 1000)
        rows = [
            (
                int((r.t if r.t is not None else now / 1000) * 1000),
                job_key,
                r.workload,
                r.phase,
                r.step,
                r.elapsed_s,
                json.dumps(r.measures, default=str),
            )
            for r in records
        ]

        def write() -> None:
            assert self._connection is not None
            with self._transaction():
                self._connection.executemany(
                    "INSERT INTO metrics (t, job, workload, phase, step, elapsed_s, measures)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )

        self._guarded(write)

    def close(self, end_state: str = "sovtui stopped recording") -> None:
        if self._connection is not None:
            self._end(None if self._seen_failure else end_state)
        self._stopped = True
        if self.state.kind in (RECORDING, WARNING, WAITING):
            self.state = RecorderState(OFF, "recording closed", self._db)

    # opening and closing -------------------------------------------------------------------

    def _open(self, key: str, snapshot: ClusterSnapshot) -> bool:
        db = store.db_path(key, self.directory)
        warning = ""
        try:
            db.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._lock = store.WriterLock(db)
        except store.HeldElsewhere as held:
            return self._stop(store.Problem("locked", str(held)), db)
        except OSError as error:
            return self._stop(store.classify(error, db), db)
        try:
            connection = self._connect(db)
        except (sqlite3.Error, OSError) as error:
            problem = store.classify(error, db)
            if not problem.corrupt:
                return self._stop(problem, db)
            try:
                aside = store.move_aside(db, self.clock())
                connection = self._connect(db)
            except (sqlite3.Error, OSError) as again:
                return self._stop(store.classify(again, db), db)
            warning = f"{db.name} was corrupt: moved to {aside.name}; recording in a new file"
        except Exception as error:
            return self._stop(store.Problem("newer schema", f"{db}: {error}"), db)
        self._connection, self._db, self._key = connection, db, key
        self._load(snapshot)
        self.state = (
            RecorderState(WARNING, warning, db)
            if warning
            else RecorderState(RECORDING, f"recording to {db}", db)
        )
        return True

    def _connect(self, db: Path) -> sqlite3.Connection:
        connection = store.open_writer(db)
        connection.execute("SELECT count(*) FROM cluster").fetchone()  # touch the pages
        return connection

    def _load(self, snapshot: ClusterSnapshot) -> None:
        assert self._connection is not None
        now = int(snapshot.taken_at * 1000)
        version = snapshot.version.ray_version if snapshot.version else None
        self._connection.execute(
            "INSERT INTO cluster (id, key, session_name, address, mode, project, slurm_job,"
            " ray_version, first_seen, last_seen) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET end_state = NULL, ray_version = excluded.ray_version",
            (
                self._key,
                snapshot.session_name,
                self.target.address,
                self.target.mode,
                self.target.project,
                self.target.slurm_job,
                version,
                now,
                now,
            ),
        )
        row = self._connection.execute(
            "SELECT max_nodes, last_seen FROM cluster WHERE id = 1"
        ).fetchone()
        self._max_nodes, self._last_seen_ms = row
        self._node_refs, self._node_states, self._node_static = {}, {}, {}
        for ref, node_id, state in self._connection.execute("SELECT id, node_id, state FROM nodes"):
            self._node_refs[node_id] = ref
            self._node_states[node_id] = state
        self._jobs = {
            key: (status, message)
            for key, status, message in self._connection.execute(
                "SELECT key, status, message FROM jobs"
            )
        }
        self._job_nodes = set(self._connection.execute("SELECT job_id, node FROM job_nodes"))
        self._seen_failure = False

    def _end(self, end_state: str | None) -> None:
        connection = self._connection
        if connection is not None:
            if end_state is not None:
                self._guarded(
                    lambda: self._execute(
                        "UPDATE cluster SET end_state = ? WHERE id = 1", (end_state,)
                    )
                )
            if self._connection is not None:
                self._guarded(self.maintain)
        self._release()

    def _release(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
        if self._lock is not None:
            self._lock.close()
        self._connection, self._lock, self._key = None, None, None

    def _stop(self, problem: store.Problem, db: Path) -> bool:
        self._release()
        self._stopped = True
        self.state = RecorderState(
            STOPPED, f"not recording ({problem.kind}): {problem.message}", db
        )
        return False

    def _guarded(self, action: Callable[[], None]) -> None:
        """Run a write; a failure rolls back (what was committed stays) and ends recording."""
        if self._connection is None:
            return
        try:
            action()
        except (sqlite3.Error, OSError) as error:
            db = self._db or Path("?")
            if self._connection is not None and self._connection.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    self._connection.execute("ROLLBACK")
            problem = store.classify(error, db)
            if problem.corrupt:
                self._release()
                try:
                    aside = store.move_aside(db, self.clock())
                except OSError as move_error:
                    self._stop(store.classify(move_error, db), db)
                    return
                self._stopped = True
                self.state = RecorderState(
                    STOPPED,
                    f"not recording (corrupt): {db.name} moved to {aside.name}; "
                    "recording resumes with the next sovtui",
                    db,
                )
                return
            self._stop(problem, db)

    def _execute(self, sql: str, args: tuple[Any, ...]) -> None:
        assert self._connection is not None
        self._connection.execute(sql, args)

    def _transaction(self) -> _Transaction:
        assert self._connection is not None
        return _Transaction(self._connection)

    # one poll ------------------------------------------------------------------------------

    def _write(self, snapshot: ClusterSnapshot) -> None:
        connection = self._connection
        assert connection is not None
        t = int(snapshot.taken_at * 1000)
        if t <= self._last_seen_ms - 1:  # an out-of-order poll: the clock went back
            t = self._last_seen_ms + 1
        node_rows: list[tuple[Any, ...]] = []
        gpu_rows: list[tuple[Any, ...]] = []
        with self._transaction():
            for node in snapshot.nodes:
                ref = self._node(connection, node, t)
                if node.alive:
                    node_rows.append((t, ref, *(_scaled(m, m.read(node)) for m in NODE_METRICS)))
                    for gpu in node.gpu_list:
                        gpu_rows.append(
                            (t, ref, gpu.index, *(_scaled(m, m.read(gpu)) for m in GPU_METRICS))
                        )
                    for job_id in node.job_ids:
                        if (job_id, ref) not in self._job_nodes:
                            self._job_nodes.add((job_id, ref))
                            connection.execute(
                                "INSERT OR IGNORE INTO job_nodes VALUES (?, ?, ?)",
                                (job_id, ref, t),
                            )
            connection.executemany(SQL["node_raw"], node_rows)
            if gpu_rows:
                connection.executemany(SQL["gpu_raw"], gpu_rows)
            values = cluster_values(snapshot)
            connection.execute(
                SQL["cluster_raw"], (t, *(_scaled(m, m.read(values)) for m in CLUSTER_METRICS))
            )
            ended = [job for job in snapshot.jobs if self._job(connection, job, t)]
            alive = len(node_rows)
            self._max_nodes = max(self._max_nodes, alive)
            connection.execute(
                "UPDATE cluster SET last_seen = ?, max_nodes = ?, end_state = NULL WHERE id = 1",
                (t, self._max_nodes),
            )
        self._last_seen_ms = t
        self._seen_failure = False
        for job in ended:  # after the commit: the note reads this poll too
            key = job.submission_id or job.job_id or "?"
            note = job_note(connection, key, snapshot.taken_at)
            connection.execute("UPDATE jobs SET note = ? WHERE key = ?", (note, key))

    def _node(self, connection: sqlite3.Connection, node: Any, t: int) -> int:
        node_id = node.node_id
        static = (node.ip, node.hostname, node.is_head, node.cpus, node.gpus,
                  node.memory_total, node.object_store_total, node.disk_total)  # fmt: skip
        ref = self._node_refs.get(node_id)
        if ref is None:
            cursor = connection.execute(
                "INSERT INTO nodes (node_id, ip, hostname, is_head, cpus, gpus, mem_total,"
                " obj_total, disk_total, state, first_seen, last_seen)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (node_id, *static, node.state, t, t),
            )
            ref = int(cursor.lastrowid or 0)
            self._node_refs[node_id] = ref
            self._node_static[node_id] = static
            self._node_states[node_id] = node.state
            connection.execute("INSERT INTO node_states VALUES (?, ?, ?)", (ref, t, node.state))
            return ref
        if self._node_static.get(node_id) != static:
            self._node_static[node_id] = static
            connection.execute(
                "UPDATE nodes SET ip = ?, hostname = ?, is_head = ?, cpus = ?, gpus = ?,"
                " mem_total = ?, obj_total = ?, disk_total = ? WHERE id = ?",
                (*static, ref),
            )
        if self._node_states.get(node_id) != node.state:
            self._node_states[node_id] = node.state
            connection.execute(
                "UPDATE nodes SET state = ?, last_seen = ? WHERE id = ?", (node.state, t, ref)
            )
            connection.execute(
                "INSERT OR REPLACE INTO node_states VALUES (?, ?, ?)", (ref, t, node.state)
            )
        return ref

    def _job(self, connection: sqlite3.Connection, job: JobDetails, t: int) -> bool:
        """Record a job's change of state; True when it has just ended."""
        key = job.submission_id or job.job_id or "?"
        seen = (job.status, job.message)
        before = self._jobs.get(key)
        if before == seen:
            return False
        self._jobs[key] = seen
        connection.execute(
            "INSERT INTO jobs (key, job_id, submission_id, type, entrypoint, status, message,"
            " error_type, start_time, end_time, driver_exit_code, driver_node_id, first_seen,"
            " last_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (key) DO UPDATE SET job_id = excluded.job_id, type = excluded.type,"
            " entrypoint = excluded.entrypoint, status = excluded.status,"
            " message = excluded.message, error_type = excluded.error_type,"
            " start_time = excluded.start_time, end_time = excluded.end_time,"
            " driver_exit_code = excluded.driver_exit_code,"
            " driver_node_id = excluded.driver_node_id, last_seen = excluded.last_seen",
            (
                key,
                job.job_id,
                job.submission_id,
                job.type,
                job.entrypoint,
                job.status,
                job.message,
                job.error_type,
                job.start_time,
                job.end_time,
                job.driver_exit_code,
                job.driver_node_id,
                t,
                t,
            ),
        )
        if before is None or before[0] != job.status:
            when = t
            if job.status == "PENDING" and job.start_time:
                when = job.start_time
            elif job.status in TERMINAL and job.end_time:
                when = job.end_time
            connection.execute(
                "INSERT OR REPLACE INTO job_events VALUES (?, ?, ?, ?)",
                (key, when, job.status, job.message),
            )
        return job.status in TERMINAL and (before is None or before[0] not in TERMINAL)

    # downsampling and retention ------------------------------------------------------------

    def maintain(self) -> None:
        """Roll closed minutes up, drop what is past its window, keep under the size cap."""
        connection = self._connection
        if connection is None:
            return
        self._last_maintenance = self.clock()
        now_ms = int(self.clock() * 1000)
        rollup(connection)
        retain(connection, self.settings, now_ms)
        from sovtui.recorder.prune import enforce_cap

        enforce_cap(self.settings, self.directory, connection, self._db, now_ms)


def rollup(connection: sqlite3.Connection) -> None:
    """Min/mean/max per minute of every closed minute not rolled up yet."""
    rolled = connection.execute("SELECT rolled_until FROM cluster WHERE id = 1").fetchone()
    newest = connection.execute("SELECT max(t) FROM cluster_raw").fetchone()[0]
    if rolled is None or newest is None:
        return
    until = newest // MINUTE_MS * MINUTE_MS  # the newest minute is still filling
    start = rolled[0]
    if until <= start:
        return
    with _Transaction(connection):
        for name in ("node_rollup", "cluster_rollup", "gpu_rollup"):
            connection.execute(SQL[name], (start, until))
        connection.execute("UPDATE cluster SET rolled_until = ? WHERE id = 1", (until,))


def retain(connection: sqlite3.Connection, settings: HistorySettings, now_ms: int) -> None:
    """Raw polls older than raw_minutes (once rolled up); minutes older than keep_days."""
    rolled = connection.execute("SELECT rolled_until FROM cluster WHERE id = 1").fetchone()
    if rolled is None:
        return
    raw_cut = min(rolled[0], now_ms - int(settings.raw_minutes * 60_000))
    minute_cut = (now_ms - int(settings.keep_days * 86_400_000)) // MINUTE_MS
    with _Transaction(connection):
        for table in ("node_raw", "cluster_raw", "gpu_raw"):
            connection.execute(f"DELETE FROM {table} WHERE t < ?", (raw_cut,))
        for table in ("node_minute", "cluster_minute", "gpu_minute"):
            connection.execute(f"DELETE FROM {table} WHERE m < ?", (minute_cut,))
        connection.execute("DELETE FROM node_states WHERE t < ?", (minute_cut * MINUTE_MS,))
    connection.execute("PRAGMA incremental_vacuum")


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any error (autocommit connections)."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection

    def __enter__(self) -> None:
        self.connection.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, error: object, trace: object) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                self.connection.execute("ROLLBACK")
