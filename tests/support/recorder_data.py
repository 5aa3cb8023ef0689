"""Snapshots for the recorder's tests and benchmark, made from the recorded Ray 2.60 answers."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache

from pydantic import TypeAdapter

from sovtui.ray_api.models import JobDetails, VersionInfo
from sovtui.ray_api.snapshot import ClusterSnapshot, GpuView, NodeView, Usage
from sovtui.ray_api.summary_parse import parse_whole
from tests.support.recorded_ray import RAY_260, load, replicated_summary

SESSION = "session_2026-11-22_02-40-46_126770_32002"


@cache
def recorded_nodes(count: int) -> tuple[NodeView, ...]:
    """`count` nodes parsed from the recorded summary, replicated as the 1000-node bench does."""
    data = parse_whole(replicated_summary(RAY_260, count))
    return tuple(NodeView.from_summary(s) for s in data.summary)


def version() -> VersionInfo:
    return VersionInfo.model_validate(load(RAY_260, "version.json"))


def job(
    key: str, status: str, start: float, end: float | None = None, job_id: str = "02000000"
) -> JobDetails:
    return TypeAdapter(JobDetails).validate_python(
        {
            "type": "SUBMISSION",
            "job_id": job_id,
            "submission_id": key,
            "status": status,
            "entrypoint": "python train.py",
            "message": f"Job {status.lower()}",
            "error_type": "JOB_SUPERVISOR_ACTOR_DIED" if status == "FAILED" else None,
            "start_time": int(start * 1000),
            "end_time": int(end * 1000) if end else None,
        }
    )


def snapshot(
    t: float,
    *,
    nodes: int = 1,
    cpu: float = 50.0,
    obj_fraction: float = 0.1,
    gpus: tuple[float, ...] = (),
    jobs: tuple[JobDetails, ...] = (),
    job_ids: frozenset[str] = frozenset(),
    session: str = SESSION,
) -> ClusterSnapshot:
    """A poll at `t`: every node at `cpu` %, the object store `obj_fraction` full."""
    views = []
    for node in recorded_nodes(nodes):
        total = node.object_store_total or 1.0
        views.append(
            replace(
                node,
                cpu_percent=cpu,
                object_store_used=total * obj_fraction,
                gpu_list=tuple(
                    GpuView(i, "H200", u, 1000.0 * (i + 1), 141_000.0) for i, u in enumerate(gpus)
                ),
                job_ids=job_ids,
                session_name=session,
            )
        )
    cores = sum(v.cpus for v in views)
    totals = {
        "CPU": Usage(cores * cpu / 100, cores),
        "object_store_memory": Usage(
            sum(v.object_store_used or 0 for v in views),
            sum(v.object_store_total or 0 for v in views),
        ),
    }
    return ClusterSnapshot(version(), tuple(views), totals, jobs, taken_at=t)


def dumps(snapshot_: ClusterSnapshot) -> str:
    return json.dumps(snapshot_.to_json())
