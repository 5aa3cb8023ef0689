"""Pydantic models of Ray 2.60's State API answers (`/api/v0/*`), `/events` and Serve.

Every field a list row carries without `detail` is here; detail-only fields are optional, so the
same model reads both. List rows (Actor, Task, ...) are pydantic dataclasses, not BaseModels:
pydantic builds them ~3x faster and smaller (10,000-row answers), and `Row` keeps the two
BaseModel methods their users call (`model_copy`, `model_dump`). int64 fields arrive as JSON
strings (`num_restarts`, placement-group stats, `driver_info.pid`): pydantic's lax mode turns
them into ints. Unknown fields are ignored and missing ones are blank, so another Ray version
degrades to empty cells rather than errors.
"""

from __future__ import annotations

import copy
from typing import Any, Generic, Literal, TypeVar

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, TypeAdapter, field_validator
from pydantic.dataclasses import dataclass

ItemT = TypeVar("ItemT")
SummaryT = TypeVar("SummaryT")


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


def _null_to_empty(value: Any) -> Any:
    return {} if value is None else value


_ROW_CONFIG = ConfigDict(extra="ignore")


_DUMPERS: dict[type[Any], TypeAdapter[Any]] = {}


def _dumper(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _DUMPERS.get(cls)
    if adapter is None:
        adapter = _DUMPERS[cls] = TypeAdapter(cls)
    return adapter


class Row:
    """What a list row's users call of BaseModel's API, for the dataclass rows."""

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A shallow copy with `update` set, unvalidated (as BaseModel.model_copy)."""
        copied = copy.copy(self)
        for key, value in (update or {}).items():
            setattr(copied, key, value)
        return copied

    def model_dump(self, *, mode: Literal["json", "python"] = "python") -> dict[str, Any]:
        return dict(_dumper(type(self)).dump_python(self, mode=mode))


# The envelope: {"result": bool, "msg": str, "data": {"result": {total, ..., "result": [...]}}}


class StateResult(_Lenient, Generic[ItemT]):
    total: int = 0
    num_after_truncation: int | None = None
    num_filtered: int | None = None
    result: ItemT
    partial_failure_warning: str | None = None
    warnings: list[str] | None = None


class StateData(_Lenient, Generic[ItemT]):
    result: StateResult[ItemT]


class StateEnvelope(_Lenient, Generic[ItemT]):
    result: bool = True
    msg: str = ""
    data: StateData[ItemT]


# Actors ---------------------------------------------------------------------------------------


class DeathCause(_Lenient):
    """`death_cause`: one of its contexts is set (Ray's ActorDeathCause oneof)."""

    creation_task_failure_context: dict[str, Any] | None = None
    runtime_env_failed_context: dict[str, Any] | None = None
    actor_died_error_context: dict[str, Any] | None = None
    actor_unschedulable_context: dict[str, Any] | None = None
    oom_context: dict[str, Any] | None = None

    @property
    def reason(self) -> str:
        """RAY_KILL, WORKER_DIED, OUT_OF_SCOPE ...; CREATION_TASK_ERROR for a failed __init__."""
        if self.actor_died_error_context:
            return str(self.actor_died_error_context.get("reason") or "ACTOR_DIED")
        if self.creation_task_failure_context:
            return "CREATION_TASK_ERROR"
        if self.runtime_env_failed_context:
            return "RUNTIME_ENV_FAILED"
        if self.actor_unschedulable_context:
            return "UNSCHEDULABLE"
        if self.oom_context:
            return "OUT_OF_MEMORY"
        return ""

    @property
    def message(self) -> str:
        """The formatted exception of a failed constructor, else Ray's error message."""
        for context in (
            self.creation_task_failure_context,
            self.actor_died_error_context,
            self.runtime_env_failed_context,
            self.actor_unschedulable_context,
            self.oom_context,
        ):
            if context:
                text = context.get("formatted_exception_string") or context.get("error_message")
                return str(text or "")
        return ""


@dataclass(config=_ROW_CONFIG)
class Actor(Row):
    actor_id: str
    class_name: str = ""
    state: str = "UNKNOWN"
    job_id: str | None = None
    name: str | None = ""
    node_id: str | None = None
    pid: int | None = None
    ray_namespace: str | None = None
    # detail only
    required_resources: dict[str, float] = Field(default_factory=dict)
    death_cause: DeathCause | None = None
    is_detached: bool | None = None
    placement_group_id: str | None = None
    repr_name: str | None = None
    num_restarts: int | None = None
    call_site: str | None = None

    _none_to_empty = field_validator("required_resources", mode="before")(_null_to_empty)


class ActorSummaryRow(_Lenient):
    class_name: str = ""
    state_counts: dict[str, int] = Field(default_factory=dict)


# Tasks ----------------------------------------------------------------------------------------


class TaskEvent(_Lenient):
    state: str = ""
    created_ms: float | None = None


class TaskLogInfo(_Lenient):
    stdout_file: str | None = None
    stderr_file: str | None = None
    stdout_start: int | None = None
    stdout_end: int | None = None
    stderr_start: int | None = None
    stderr_end: int | None = None


@dataclass(config=_ROW_CONFIG)
class Task(Row):
    task_id: str
    attempt_number: int = 0
    name: str = ""
    state: str = "UNKNOWN"
    job_id: str | None = None
    actor_id: str | None = None
    type: str = ""
    func_or_class_name: str = ""
    parent_task_id: str | None = None
    node_id: str | None = None
    worker_id: str | None = None
    worker_pid: int | None = None
    error_type: str | None = None
    # detail only
    required_resources: dict[str, float] = Field(default_factory=dict)
    placement_group_id: str | None = None
    # A tuple: a row whose values are all atomic or empty leaves only the row itself for the
    # garbage collector to track (an empty list per row made its full passes 2x longer).
    events: tuple[TaskEvent, ...] = ()
    creation_time_ms: float | None = None
    start_time_ms: float | None = None
    end_time_ms: float | None = None
    task_log_info: TaskLogInfo | None = None
    error_message: str | None = None

    _none_to_empty = field_validator("required_resources", mode="before")(_null_to_empty)
    _none_to_none = field_validator("events", mode="before")(lambda v: () if v is None else v)


class TaskSummaryRow(_Lenient):
    func_or_class_name: str = ""
    type: str = ""
    state_counts: dict[str, int] = Field(default_factory=dict)


# Placement groups -----------------------------------------------------------------------------


class BundleId(_Lenient):
    placement_group_id: str | None = None
    bundle_index: int = 0


class Bundle(_Lenient):
    bundle_id: BundleId | None = None
    unit_resources: dict[str, float] = Field(default_factory=dict)
    node_id: str | None = None


class PlacementGroupStats(_Lenient):
    scheduling_state: str | None = None
    scheduling_attempt: int | None = None
    creation_request_received_ns: int | None = None
    scheduling_latency_us: int | None = None
    end_to_end_creation_latency_us: int | None = None


@dataclass(config=_ROW_CONFIG)
class PlacementGroup(Row):
    placement_group_id: str
    name: str | None = ""
    creator_job_id: str | None = None
    state: str = "UNKNOWN"
    # detail only
    bundles: list[Bundle] = Field(default_factory=list)
    is_detached: bool | None = None
    stats: PlacementGroupStats | None = None
    strategy: str | None = None

    _none_to_empty = field_validator("bundles", mode="before")(lambda v: [] if v is None else v)

    @property
    def scheduling_state(self) -> str:
        return (self.stats.scheduling_state if self.stats else None) or ""


# Objects --------------------------------------------------------------------------------------


@dataclass(config=_ROW_CONFIG)
class ObjectRef(Row):
    object_id: str
    object_size: int | None = None
    task_status: str | None = None
    attempt_number: int | None = None
    reference_type: str | None = None
    call_site: str | None = None
    type: str | None = None
    pid: int | None = None
    ip: str | None = None

    @property
    def known_size(self) -> int | None:
        """The size in bytes; None where Ray says -1 (not known: an actor handle, an object
        not created yet)."""
        size = self.object_size
        return None if size is None or size < 0 else size


class ObjectSummaryRow(_Lenient):
    total_objects: int = 0
    total_size_mb: float = 0.0
    total_num_workers: int = 0
    total_num_nodes: int = 0
    task_state_counts: dict[str, int] = Field(default_factory=dict)
    ref_type_counts: dict[str, int] = Field(default_factory=dict)


# Workers, nodes, jobs -------------------------------------------------------------------------


@dataclass(config=_ROW_CONFIG)
class Worker(Row):
    worker_id: str
    is_alive: bool | None = None
    worker_type: str | None = None
    exit_type: str | None = None
    node_id: str | None = None
    ip: str | None = None
    pid: int | None = None
    # detail only
    exit_detail: str | None = None
    start_time_ms: int | None = None
    end_time_ms: int | None = None


@dataclass(config=_ROW_CONFIG)
class Node(Row):
    node_id: str
    node_ip: str | None = None
    is_head_node: bool = False
    state: str = "UNKNOWN"
    state_message: str | None = None
    node_name: str | None = None
    resources_total: dict[str, float] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)

    _none_to_empty = field_validator("resources_total", "labels", mode="before")(_null_to_empty)


class DriverInfo(_Lenient):
    id: str | None = None
    node_ip_address: str | None = None
    pid: int | None = None


@dataclass(config=_ROW_CONFIG)
class StateJob(Row):
    job_id: str | None = None
    submission_id: str | None = None
    entrypoint: str | None = ""
    type: str | None = None
    status: str = "UNKNOWN"
    message: str | None = None
    error_type: str | None = None
    driver_info: DriverInfo | None = None
    start_time: int | None = None
    end_time: int | None = None


# Summaries: data.result.result.node_id_to_summary.cluster ------------------------------------


class ClusterSummary(_Lenient, Generic[SummaryT]):
    summary: dict[str, SummaryT] = Field(default_factory=dict)
    total_tasks: int | None = None
    total_actor_tasks: int | None = None
    total_actor_scheduled: int | None = None
    total_actors: int | None = None
    total_objects: int | None = None
    total_size_mb: float | None = None
    summary_by: str | None = None


class SummaryByNode(_Lenient, Generic[SummaryT]):
    node_id_to_summary: dict[str, ClusterSummary[SummaryT]] = Field(default_factory=dict)


# /events --------------------------------------------------------------------------------------


@dataclass(config=_ROW_CONFIG)
class RawEvent:
    """One event of `/events`. Ray writes `timestamp` as a string in some groups and a number in
    others, and the source's host and pid under two spellings: all read here, normalised by
    `state.normalise_events`."""

    event_id: str | None = Field(default=None, validation_alias=AliasChoices("eventId", "event_id"))
    source_type: str | None = Field(
        default=None, validation_alias=AliasChoices("sourceType", "source_type")
    )
    host: str | None = Field(
        default=None, validation_alias=AliasChoices("sourceHostname", "hostName", "host_name")
    )
    pid: str | int | None = Field(
        default=None, validation_alias=AliasChoices("sourcePid", "pid", "source_pid")
    )
    message: str = ""
    timestamp: str | float | int | None = None
    severity: str | None = None
    label: str | None = None
    custom_fields: dict[str, Any] = Field(
        default_factory=dict, validation_alias=AliasChoices("customFields", "custom_fields")
    )

    _none_to_empty = field_validator("custom_fields", mode="before")(_null_to_empty)


class EventsData(_Lenient):
    events: dict[str, list[RawEvent]] = Field(default_factory=dict)


class EventsEnvelope(_Lenient):
    result: bool = True
    msg: str = ""
    data: EventsData


# Serve: /api/serve/applications/ --------------------------------------------------------------


class ServeDeployment(_Lenient):
    name: str = ""
    status: str = "UNKNOWN"
    message: str | None = ""
    replicas: list[dict[str, Any]] = Field(default_factory=list)

    _none_to_empty = field_validator("replicas", mode="before")(lambda v: [] if v is None else v)


class ServeApplication(_Lenient):
    name: str = ""
    route_prefix: str | None = None
    status: str = "UNKNOWN"
    message: str | None = ""
    deployments: dict[str, ServeDeployment] = Field(default_factory=dict)

    _none_to_empty = field_validator("deployments", mode="before")(_null_to_empty)


class ServeDetails(_Lenient):
    proxy_location: str | None = None
    applications: dict[str, ServeApplication] = Field(default_factory=dict)

    _none_to_empty = field_validator("applications", mode="before")(_null_to_empty)


# /api/v0/logs?node_id= ------------------------------------------------------------------------


class LogListing(_Lenient):
    result: dict[str, list[str]] | None = None


class LogListingEnvelope(_Lenient):
    result: bool = True
    msg: str = ""
    data: LogListing
