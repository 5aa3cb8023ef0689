"""One poll's worth of cluster state, in the shapes the dashboard and `status --json` show."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sovtui.ray_api.models import (
        ClusterStatusData,
        JobDetails,
        NodeMetrics,
        NodeSummary,
        RayletInfo,
        VersionInfo,
    )


# The resources the totals bars show, in display order; cluster_status spells one in camelCase.
TOTAL_RESOURCES = ("CPU", "GPU", "memory", "object_store_memory")
_RESOURCE_ALIASES = {"objectStoreMemory": "object_store_memory"}


@dataclass(frozen=True, slots=True)
class Usage:
    used: float | None
    total: float

    @property
    def fraction(self) -> float | None:
        if self.used is None or self.total <= 0:
            return None
        return min(1.0, max(0.0, self.used / self.total))


_NIL_JOB = "ffffffff"  # the job id of idle pooled workers


@dataclass(frozen=True, slots=True)
class GpuView:
    index: int
    name: str
    utilization: float | None  # percent
    memory_used_mb: float | None
    memory_total_mb: float | None


def _number(value: Any) -> float | None:
    kind = type(value)
    if kind is float:  # the usual case first: called ~10 times a node, every poll
        return value
    if kind is bool or not isinstance(value, (int, float)):
        return None
    return float(value)


def _item(values: Any, index: int) -> float | None:
    if isinstance(values, list) and len(values) > index:
        return _number(values[index])
    return None


def _pair(values: Any) -> tuple[float | None, float | None]:
    """The first two numbers of a list (a rate pair: read/write, sent/received)."""
    if isinstance(values, list) and len(values) > 1:
        return _number(values[0]), _number(values[1])
    return _item(values, 0), None


def _root_disk(disk: Any) -> tuple[float | None, float | None]:
    """(used, total) bytes of `/`, else of the first mount the agent reports."""
    if not isinstance(disk, dict) or not disk:
        return None, None
    entry = disk["/"] if "/" in disk else next(iter(disk.values()))
    if not isinstance(entry, dict):
        return None, None
    return _number(entry.get("used")), _number(entry.get("total"))


def _load1(load_avg: Any) -> float | None:
    if isinstance(load_avg, list) and load_avg:
        return _item(load_avg[0], 0)
    return None


def _session_name(session_dir: str | None) -> str | None:
    if not session_dir:
        return None
    return session_dir.rstrip("/").rsplit("/", 1)[-1] or None


@dataclass(frozen=True, slots=True)
class WorkerView:
    """A worker or driver on a node, as the summary lists it (Ray 2.60 sends no per-worker CPU
    or memory there)."""

    pid: int | None
    worker_type: str
    job_id: str | None
    running_tasks: int | None
    object_store_used: float | None


def _counter(value: Any) -> float | None:
    """A number Ray may send as a string ("0")."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return _number(value)


@dataclass(frozen=True, slots=True)
class RayletPart:
    """What a node's view takes from its raylet member. An idle node's raylet member is the
    same, byte for byte, poll after poll (only the agent's members change), so the parse keeps
    these and reads that member again only when its bytes differ."""

    node_id: str
    address: str | None
    is_head: bool
    state: str
    resources_total: dict[str, float]
    object_store_used: float | None
    job_ids: frozenset[str]
    session_name: str | None
    workers: tuple[WorkerView, ...]

    @classmethod
    def of(cls, raylet: RayletInfo) -> RayletPart:
        job_ids: set[str] = set()
        workers: list[WorkerView] = []
        for worker in raylet.core_workers_stats or ():
            job_id = worker.job_id
            if job_id == _NIL_JOB:
                job_id = None
            elif job_id:
                job_ids.add(job_id)
            running = _counter(worker.num_running_tasks)
            workers.append(
                WorkerView(
                    worker.pid,
                    worker.worker_type or "",
                    job_id,
                    None if running is None else int(running),
                    _counter(worker.used_object_store_memory),
                )
            )
        return cls(
            node_id=raylet.node_id,
            address=raylet.node_manager_address,
            is_head=raylet.is_head_node,
            state=raylet.state,
            resources_total={
                _RESOURCE_ALIASES.get(k, k): v for k, v in raylet.resources_total.items()
            },
            object_store_used=raylet.object_store_used_memory,
            job_ids=frozenset(job_ids),
            session_name=_session_name(raylet.session_dir),
            workers=tuple(workers),
        )


@dataclass(frozen=True, slots=True)
class NodeView:
    node_id: str
    ip: str
    hostname: str
    is_head: bool
    state: str
    cpus: float
    cpu_percent: float | None
    memory_used: float | None
    memory_total: float | None
    object_store_used: float | None
    object_store_total: float | None
    gpus: float
    gpu_utilization: float | None
    resources_total: dict[str, float]
    # What the recorder keeps besides (all in /nodes?view=summary; None when not reported).
    disk_used: float | None = None
    disk_total: float | None = None
    disk_read_bps: float | None = None
    disk_write_bps: float | None = None
    net_sent_bps: float | None = None
    net_recv_bps: float | None = None
    load1: float | None = None
    gpu_list: tuple[GpuView, ...] = ()
    job_ids: frozenset[str] = frozenset()  # hex ids of the jobs with a worker or driver here
    session_name: str | None = None
    workers: tuple[WorkerView, ...] = ()

    @property
    def short_id(self) -> str:
        return self.node_id[:8]

    @property
    def alive(self) -> bool:
        return self.state == "ALIVE"

    @classmethod
    def from_summary(cls, summary: NodeSummary) -> NodeView:
        return cls.from_parts(summary, RayletPart.of(summary.raylet))

    @classmethod
    def from_parts(cls, summary: NodeMetrics, raylet: RayletPart) -> NodeView:
        # Called for every node of every poll (5,000 nodes: 5,000 times a poll): few calls.
        total = raylet.resources_total
        mem = summary.mem
        gpus = summary.gpus
        utilization = None
        gpu_list: tuple[GpuView, ...] = ()
        if gpus:
            utilizations = [g.utilization_gpu for g in gpus if g.utilization_gpu is not None]
            if utilizations:
                utilization = sum(utilizations) / len(utilizations)
            gpu_list = tuple(
                GpuView(
                    index=g.index if g.index is not None else position,
                    name=g.name or "",
                    utilization=g.utilization_gpu,
                    memory_used_mb=g.memory_used,
                    memory_total_mb=g.memory_total,
                )
                for position, g in enumerate(gpus)
            )
        disk_used, disk_total = _root_disk(summary.disk)
        disk_read, disk_write = _pair(summary.disk_io_speed)
        net_sent, net_recv = _pair(summary.network_speed)
        return cls(
            node_id=raylet.node_id,
            ip=summary.ip or raylet.address or "",
            hostname=summary.hostname or "",
            is_head=raylet.is_head,
            state=raylet.state,
            cpus=total.get("CPU", 0.0),
            cpu_percent=summary.cpu,
            memory_used=mem[3] if len(mem) > 3 else None,
            memory_total=mem[0] if mem else None,
            object_store_used=raylet.object_store_used,
            object_store_total=total.get("object_store_memory"),
            gpus=total.get("GPU", 0.0),
            gpu_utilization=utilization,
            resources_total=total,
            disk_used=disk_used,
            disk_total=disk_total,
            disk_read_bps=disk_read,
            disk_write_bps=disk_write,
            net_sent_bps=net_sent,
            net_recv_bps=net_recv,
            load1=_load1(summary.load_avg),
            gpu_list=gpu_list,
            job_ids=raylet.job_ids,
            session_name=raylet.session_name,
            workers=raylet.workers,
        )


@dataclass(frozen=True)
class ClusterSnapshot:
    version: VersionInfo | None
    nodes: tuple[NodeView, ...]
    totals: dict[str, Usage]
    jobs: tuple[JobDetails, ...]
    totals_derived: bool = False
    taken_at: float = field(default_factory=time.time)

    @property
    def alive_nodes(self) -> tuple[NodeView, ...]:
        return tuple(node for node in self.nodes if node.alive)

    @property
    def session_name(self) -> str | None:
        """Ray's session name: one per cluster start (the recorder's cluster identity).

        Read from the head node's session dir on every poll (the client caches /api/version,
        which would keep an old name across a head restarted at the same address).
        """
        for node in self.nodes:
            if node.is_head and node.session_name:
                return node.session_name
        if self.version is not None and self.version.session_name:
            return self.version.session_name
        return None

    def to_json(self) -> dict[str, Any]:
        """The stable `sovtui status --json` shape."""
        return {
            "ray_version": self.version.ray_version if self.version else None,
            "taken_at": self.taken_at,
            "totals_derived_from_nodes": self.totals_derived,
            "totals": {name: [u.used, u.total] for name, u in self.totals.items()},
            "nodes": [
                {
                    "node_id": n.node_id,
                    "ip": n.ip,
                    "state": n.state,
                    "is_head": n.is_head,
                    "cpu_percent": n.cpu_percent,
                    "resources_total": n.resources_total,
                }
                for n in self.nodes
            ],
            "jobs": [
                {
                    "submission_id": j.submission_id,
                    "job_id": j.job_id,
                    "status": j.status,
                    "entrypoint": j.entrypoint,
                    "start_time": j.start_time,
                    "end_time": j.end_time,
                    "message": j.message,
                    "metadata": j.metadata or {},
                }
                for j in self.jobs
            ],
        }


def totals_from_status(status: ClusterStatusData) -> dict[str, Usage] | None:
    report = status.cluster_status.load_metrics_report if status.cluster_status else None
    if report is None or not report.usage:
        return None
    usage = {_RESOURCE_ALIASES.get(k, k): v for k, v in report.usage.items()}
    totals: dict[str, Usage] = {}
    for name in TOTAL_RESOURCES:
        pair = usage.get(name)
        if pair and len(pair) == 2:
            totals[name] = Usage(used=pair[0], total=pair[1])
    return totals


def logical_use(text: str) -> dict[str, float]:
    """`"1.0/2.0 CPU\n0B/21GiB memory"` -> {"CPU": 1.0}: the count-like resources only."""
    used: dict[str, float] = {}
    for line in text.splitlines():
        amount, _, name = line.strip().partition(" ")
        numerator = amount.split("/", 1)[0]
        try:
            used[name] = float(numerator)
        except ValueError:
            continue  # byte amounts like "0B" are not needed: the object store is summed directly
    return used


def totals_from_nodes(
    nodes: tuple[NodeView, ...], logical: dict[str, str] | None = None
) -> dict[str, Usage]:
    """Autoscaler v2 leaves clusterStatus null: sum the live nodes instead.

    CPU/GPU use comes from the summary's per-node logical-resource strings when present;
    object-store use is reported per node; logical memory use stays unknown.
    """
    alive = [n for n in nodes if n.alive]
    per_node = (
        {n.node_id: logical_use(logical.get(n.node_id, "")) for n in alive} if logical else {}
    )
    totals: dict[str, Usage] = {}
    for name in TOTAL_RESOURCES:
        total = sum(n.resources_total.get(name, 0.0) for n in alive)
        if total <= 0 and name == "GPU":
            continue
        used: float | None = None
        if name == "object_store_memory":
            used = sum(n.object_store_used or 0.0 for n in alive)
        elif name in ("CPU", "GPU") and per_node and all(name in u for u in per_node.values()):
            used = sum(u[name] for u in per_node.values())
        totals[name] = Usage(used=used, total=total)
    return totals


def build_snapshot(
    version: VersionInfo | None,
    status: ClusterStatusData | None,
    summaries: list[NodeSummary],
    jobs: list[JobDetails],
    taken_at: float | None = None,
    logical: dict[str, str] | None = None,
) -> ClusterSnapshot:
    views = [NodeView.from_summary(s) for s in summaries]
    return snapshot_from_views(version, status, views, jobs, taken_at, logical)


def snapshot_from_views(
    version: VersionInfo | None,
    status: ClusterStatusData | None,
    views: list[NodeView],
    jobs: list[JobDetails],
    taken_at: float | None = None,
    logical: dict[str, str] | None = None,
) -> ClusterSnapshot:
    nodes = tuple(sorted(views, key=lambda n: (not n.is_head, not n.alive, n.ip, n.node_id)))
    totals = totals_from_status(status) if status is not None else None
    derived = totals is None
    if totals is None:
        totals = totals_from_nodes(nodes, logical)
    ordered_jobs = tuple(sorted(jobs, key=lambda j: j.start_time or 0, reverse=True))
    return ClusterSnapshot(
        version=version,
        nodes=nodes,
        totals=totals,
        jobs=ordered_jobs,
        totals_derived=derived,
        taken_at=time.time() if taken_at is None else taken_at,
    )
