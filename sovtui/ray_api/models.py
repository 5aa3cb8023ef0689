"""Pydantic models of the Ray 2.60 dashboard answers sovtui reads.

Unknown fields are ignored and most fields are optional, so a newer or older Ray degrades to
blank cells rather than crashes. `/nodes?view=summary` and `/api/cluster_status` camelCase every
key; `/api/v0/*` and `/api/jobs/` are snake_case.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from sovtui.ray_api.state_models import Node

DataT = TypeVar("DataT")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class _Camel(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True, alias_generator=to_camel)


class Envelope(_Lenient, Generic[DataT]):
    """The `{"result": bool, "msg": str, "data": {...}}` wrapper of the older endpoints."""

    result: bool = True
    msg: str = ""
    data: DataT


# /api/version ---------------------------------------------------------------------------------


class VersionInfo(_Lenient):
    version: str = ""
    ray_version: str
    ray_commit: str = ""
    session_name: str = ""


# /api/cluster_status --------------------------------------------------------------------------


class LoadMetricsReport(_Camel):
    usage: dict[str, list[float]] = Field(default_factory=dict)
    usage_by_node: dict[str, dict[str, list[float]]] | None = None


class ClusterStatus(_Camel):
    load_metrics_report: LoadMetricsReport | None = None
    time: float | None = None


class ClusterStatusData(_Camel):
    autoscaling_status: str | None = None
    autoscaling_error: str | None = None
    # Null under autoscaler v2: totals must then be derived from the nodes.
    cluster_status: ClusterStatus | None = None


# /nodes?view=summary --------------------------------------------------------------------------


class StateSnapshot(_Camel):
    state: str | None = None
    idle_duration_ms: str | None = None


class CoreWorkerBrief(_Camel):
    job_id: str | None = None
    worker_type: str | None = None
    pid: int | None = None
    # Loosely typed (Ray sends some counters as strings): the node detail view's workers.
    num_running_tasks: Any = None
    used_object_store_memory: Any = None


class RayletInfo(_Camel):
    node_id: str
    node_manager_address: str | None = None
    node_name: str | None = None
    is_head_node: bool = False
    state: str = "UNKNOWN"
    state_message: str | None = None
    resources_total: dict[str, float] = Field(default_factory=dict)
    object_store_used_memory: float | None = None
    object_store_available_memory: float | None = None
    start_time_ms: int | None = None
    end_time_ms: int | None = None
    state_snapshot: StateSnapshot | None = None
    labels: dict[str, str] = Field(default_factory=dict)
    # The session's directory: its name is the cluster's identity, fresh on every poll.
    session_dir: str | None = None
    # Each worker and driver with its job's hex id (which nodes a job ran on).
    core_workers_stats: list[CoreWorkerBrief] | None = None


class GpuInfo(_Camel):
    index: int | None = None
    name: str | None = None
    utilization_gpu: float | None = None
    memory_used: float | None = None
    memory_total: float | None = None


class NodeMetrics(_Camel):
    """A node summary's members besides the raylet: what its agent reports (they change with
    every report, ~2.5 s)."""

    hostname: str | None = None
    ip: str | None = None
    cpu: float | None = Field(default=None, description="physical CPU use, percent")
    cpus: list[int] = Field(default_factory=list, description="[logical, physical] core counts")
    mem: list[float] = Field(default_factory=list, description="[total, available, percent, used]")
    gpus: list[GpuInfo] = Field(default_factory=list)
    # Loosely typed: what the recorder keeps; a surprise here blanks a value, never the node.
    load_avg: Any = Field(default=None, description="[[1, 5, 15 min], [per CPU]]")
    disk: Any = Field(default=None, description="mount -> {total, used, free, percent}")
    disk_io_speed: Any = Field(default=None, description="[read B/s, write B/s, reads/s, ...]")
    network_speed: Any = Field(default=None, description="[sent B/s, received B/s]")


class NodeSummary(NodeMetrics):
    raylet: RayletInfo


class NodeSummaryData(_Camel):
    summary: list[NodeSummary] = Field(default_factory=list)
    # node id -> "0.0/2.0 CPU\n0B/21.11GiB memory\n..." (what autoscaler v2 still tells us)
    node_logical_resources: dict[str, str] = Field(default_factory=dict)


# /api/v0/nodes --------------------------------------------------------------------------------


# The explorer's node row (the same answer, the same fields): one model for both.
StateNode = Node


class StateListResult(_Lenient):
    total: int = 0
    result: list[StateNode] = Field(default_factory=list)


class StateListData(_Lenient):
    result: StateListResult


# /api/jobs/ -----------------------------------------------------------------------------------


class JobDetails(_Lenient):
    type: str | None = None
    job_id: str | None = None
    submission_id: str | None = None
    status: str = "UNKNOWN"
    entrypoint: str = ""
    message: str | None = None
    error_type: str | None = None
    start_time: int | None = Field(default=None, description="ms since the epoch")
    end_time: int | None = Field(default=None, description="ms since the epoch")
    metadata: dict[str, str] | None = None
    runtime_env: dict[str, Any] | None = None
    driver_exit_code: int | None = None
    driver_node_id: str | None = Field(
        default=None, validation_alias=AliasChoices("driver_node_id", "driverNodeId")
    )

    @property
    def display_id(self) -> str:
        return self.submission_id or self.job_id or "?"

    @property
    def is_terminal(self) -> bool:
        return self.status in {"SUCCEEDED", "FAILED", "STOPPED"}
