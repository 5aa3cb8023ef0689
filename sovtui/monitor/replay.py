"""A recording played back (`sovtui --replay CLUSTER`): the dashboard's model served from disk.

No cluster is asked anything: the client refuses every request before it is sent (the views
that need a live cluster say "not available in a replay"), the poller never runs and nothing is
written to the recording. The dashboard shows the last recorded poll (nodes, totals, jobs with
their end states) and its plots draw the recorded series up to that poll, not up to now.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import TypeAdapter

from sovtui.cluster.connect import Connection
from sovtui.monitor.clock import Clock
from sovtui.monitor.cluster_feed import ClusterFeed
from sovtui.monitor.history import AbsPoints
from sovtui.monitor.link_state import LinkState
from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.models import JobDetails
from sovtui.ray_api.snapshot import ClusterSnapshot, GpuView, NodeView, Usage
from sovtui.recorder import query
from sovtui.recorder.schema import CLUSTER_METRICS, GPU_METRICS, MIB, NODE_METRICS
from sovtui.settings.model import Settings

if TYPE_CHECKING:
    from sovtui.recorder.recorder import Recorder

NOT_IN_REPLAY = "not available in a replay (a recording has no live cluster to ask)"
REPLAY_STATE = "replay"


class NotInReplay(DashboardError):
    """What every request of a replay's client raises, before anything is sent."""

    state = REPLAY_STATE


class ReplayClient(DashboardClient):
    """A DashboardClient that never connects: every request fails with NotInReplay."""

    def __init__(self, address: str) -> None:
        super().__init__(address, TokenLookup(token=None, source=None))
        self.refused = 0  # requests refused (the tests check that nothing else happened)

    def _refuse(self) -> NoReturn:
        self.refused += 1
        raise NotInReplay(NOT_IN_REPLAY)

    async def http(self) -> Any:
        self._refuse()

    async def request(self, method: str, path: str, *, limit: int | None = None, **_: Any) -> Any:
        self._refuse()

    async def retarget(self, address: str, token: TokenLookup) -> None:
        self._refuse()


def _when(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.localtime(seconds))


def recorded_span(first: float, last: float) -> str:
    """`2026-11-22 02:40` + an en dash + `03:10` (the day once when both ends share it)."""
    start, end = _when(first), _when(last)
    if start[:10] == end[:10]:
        end = end[11:]
    return f"{start}\u2013{end}"


@dataclass
class Replay:
    """One recording opened for the dashboard: its last poll as a snapshot, and its series."""

    info: query.ClusterInfo
    snapshot: ClusterSnapshot
    notes: dict[str, str] = field(default_factory=dict)  # job key -> efficiency note
    log_tails: dict[str, str] = field(default_factory=dict)  # job key -> its recorded log end

    @property
    def path(self) -> Path:
        return self.info.path

    @property
    def first(self) -> float:
        return self.info.first_seen

    @property
    def last(self) -> float:
        return self.info.last_seen

    @property
    def span_s(self) -> float:
        return max(0.0, self.last - self.first)

    @property
    def title(self) -> str:
        return f"REPLAY · {self.info.key} · recorded {recorded_span(self.first, self.last)}"

    @property
    def link(self) -> LinkState:
        return LinkState(REPLAY_STATE, f"recorded {recorded_span(self.first, self.last)}")

    def note(self, job_key: str) -> str | None:
        return self.notes.get(job_key)

    def points(self, window_s: float, buckets: int = 240) -> dict[str, AbsPoints]:
        """The plots' series over the `window_s` before the last poll (a thread: SQLite)."""
        from sovtui.monitor.recorded_history import recording_points

        try:
            with query.opened(self.path) as recording:
                return recording_points(
                    recording, self.last - window_s, self.last + 1, buckets=buckets
                )
        except (LookupError, OSError, sqlite3.Error):
            return {}


def open_replay(name: str, directory: Path | None = None) -> Replay:
    """The recording `name` names (as `sovtui history show` takes it), read once.

    LookupError (query.AmbiguousCluster included) when none or several match, or when it holds
    no poll to show."""
    info = query.find_cluster(name, directory)
    try:
        with query.opened(info.path) as recording:
            return _read(info, recording)
    except sqlite3.Error as error:
        raise LookupError(f"recording {info.key} cannot be read: {error}") from None


def _latest_values(
    connection: sqlite3.Connection, names: list[str], raw: str, minute: str, where: str = ""
) -> Callable[[tuple[Any, ...]], dict[str, float | None]]:
    """A reader of the last raw row (else the last minute's means) for one key of `where`."""
    raw_sql = f"SELECT {', '.join(names)} FROM {raw} WHERE {where or '1'} ORDER BY t DESC LIMIT 1"
    minute_sql = (
        f"SELECT {', '.join(n + '_avg' for n in names)} FROM {minute} WHERE {where or '1'} "
        "ORDER BY m DESC LIMIT 1"
    )

    def read(args: tuple[Any, ...]) -> dict[str, float | None]:
        row = connection.execute(raw_sql, args).fetchone()
        if row is None:
            row = connection.execute(minute_sql, args).fetchone()
        if row is None:
            return {}
        return dict(zip(names, (None if v is None else float(v) for v in row), strict=True))

    return read


def _scaled(values: dict[str, float | None], metrics: tuple[Any, ...]) -> dict[str, float | None]:
    scales = {m.name: m.scale for m in metrics}
    return {k: None if v is None else v / scales[k] for k, v in values.items()}


def _nodes(connection: sqlite3.Connection, session_name: str | None) -> tuple[NodeView, ...]:
    node_read = _latest_values(
        connection, [m.name for m in NODE_METRICS], "node_raw", "node_minute", "node = ?"
    )
    views = []
    for row in connection.execute("SELECT * FROM nodes ORDER BY is_head DESC, ip").fetchall():
        values = _scaled(node_read((row["id"],)), NODE_METRICS)
        gpus = _gpus(connection, row["id"])
        utilizations = [g.utilization for g in gpus if g.utilization is not None]
        cpus, gpu_count = float(row["cpus"] or 0), float(row["gpus"] or 0)
        resources = {"CPU": cpus}
        if gpu_count:
            resources["GPU"] = gpu_count
        if row["mem_total"]:
            resources["memory"] = float(row["mem_total"])
        if row["obj_total"]:
            resources["object_store_memory"] = float(row["obj_total"])
        views.append(
            NodeView(
                node_id=row["node_id"],
                ip=row["ip"] or "",
                hostname=row["hostname"] or "",
                is_head=bool(row["is_head"]),
                state=row["state"] or "UNKNOWN",
                cpus=cpus,
                cpu_percent=values.get("cpu"),
                memory_used=values.get("mem"),
                memory_total=row["mem_total"],
                object_store_used=values.get("obj"),
                object_store_total=row["obj_total"],
                gpus=gpu_count,
                gpu_utilization=sum(utilizations) / len(utilizations) if utilizations else None,
                resources_total=resources,
                disk_used=values.get("disk"),
                disk_total=row["disk_total"],
                disk_read_bps=values.get("disk_read"),
                disk_write_bps=values.get("disk_write"),
                net_sent_bps=values.get("net_sent"),
                net_recv_bps=values.get("net_recv"),
                load1=values.get("load"),
                gpu_list=gpus,
                session_name=session_name if row["is_head"] else None,
            )
        )
    return tuple(views)


def _gpus(connection: sqlite3.Connection, node: int) -> tuple[GpuView, ...]:
    last = connection.execute("SELECT max(t) FROM gpu_raw WHERE node = ?", (node,)).fetchone()[0]
    if last is None:
        return ()
    scales = {m.name: m.scale for m in GPU_METRICS}
    return tuple(
        GpuView(
            index=int(idx),
            name="",
            utilization=None if util is None else util / scales["util"],
            memory_used_mb=None if gmem is None else gmem / scales["gmem"] / MIB,
            memory_total_mb=None,
        )
        for idx, util, gmem in connection.execute(
            "SELECT idx, util, gmem FROM gpu_raw WHERE node = ? AND t = ? ORDER BY idx",
            (node, last),
        )
    )


def _totals(connection: sqlite3.Connection) -> dict[str, Usage]:
    names = [m.name for m in CLUSTER_METRICS]
    values = _scaled(
        _latest_values(connection, names, "cluster_raw", "cluster_minute")(()), CLUSTER_METRICS
    )
    totals: dict[str, Usage] = {}
    for resource, stem in (
        ("CPU", "cpu"),
        ("GPU", "gpu"),
        ("memory", "mem"),
        ("object_store_memory", "obj"),
    ):
        total = values.get(f"{stem}_total")
        if total:
            totals[resource] = Usage(values.get(f"{stem}_used"), total)
    return totals


_JOBS = TypeAdapter(list[JobDetails])


def _jobs(records: list[query.JobRecord]) -> tuple[JobDetails, ...]:
    def ms(seconds: float | None) -> int | None:
        return None if seconds is None else int(seconds * 1000)

    return tuple(
        _JOBS.validate_python(
            [
                {
                    "type": r.type,
                    "job_id": r.job_id,
                    "submission_id": r.submission_id,
                    "status": r.status,
                    "entrypoint": r.entrypoint,
                    "message": r.message,
                    "error_type": r.error_type,
                    "start_time": ms(r.start_time),
                    "end_time": ms(r.end_time),
                    "driver_exit_code": r.driver_exit_code,
                    "driver_node_id": r.driver_node_id,
                }
                for r in reversed(records)  # newest first, as the dashboard lists them
            ]
        )
    )


def _read(info: query.ClusterInfo, recording: query.Recording) -> Replay:
    connection = recording.connection
    last_ms = query.last_poll(connection)
    if last_ms is None:
        raise LookupError(f"recording {info.key} holds no poll to replay")
    session_name = recording.cluster["session_name"]
    records = recording.jobs()
    notes = {}
    for r in records:
        note = r.note
        if r.end_time is None and r.job_id:  # still running: over its life to the last poll
            note = query.job_note(connection, r.key, last_ms / 1000)
        if note:
            notes[r.key] = note
    snapshot = ClusterSnapshot(
        version=None,
        nodes=_nodes(connection, session_name),
        totals=_totals(connection),
        jobs=_jobs(records),
        taken_at=last_ms / 1000,
    )
    # The listing's last_seen may be a failed poll's time: the replay ends at the last poll.
    info = replace(info, last_seen=last_ms / 1000)
    return Replay(
        info=info,
        snapshot=snapshot,
        notes=notes,
        log_tails={r.key: r.log_tail for r in records if r.log_tail},
    )


def replay_connection(replay: Replay) -> Connection:
    """The Connection the app is given: the recorded address, a client that sends nothing."""
    info = replay.info
    return Connection(
        client=ReplayClient(info.address),
        mode=info.mode,
        source=f"recording {info.key}",
        project=info.project,
    )


class ReplayFeed(ClusterFeed):
    """The dashboard's model over a recording: the last poll, never a fetch, never a write."""

    def __init__(self, replay: Replay, settings: Settings, clock: Clock) -> None:
        super().__init__(_never, settings, clock)
        self.replay = replay
        # The plots' first window: the recording's own span (a minute at least).
        self.window_seconds = max(60.0, replay.span_s)
        self.poller.latest = replay.snapshot
        self.poller.link = LinkState("connected")  # the header says REPLAY; no banner

    def record_with(self, recorder: Recorder | None) -> Recorder | None:
        return None  # nothing is ever written to a replayed recording


async def _never() -> ClusterSnapshot:
    raise NotInReplay(NOT_IN_REPLAY)
