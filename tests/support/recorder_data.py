"""Snapshots for the recorder's tests and benchmark, made from the recorded Ray 2.60 answers."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from pathlib import Path

from pydantic import TypeAdapter

from sovtui.ray_api.models import JobDetails, VersionInfo
from sovtui.ray_api.snapshot import ClusterSnapshot, GpuView, NodeView, Usage
from sovtui.ray_api.summary_parse import parse_whole
from sovtui.recorder.identity import Target
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


# A dead cluster's recording, for `sovtui --replay` ---------------------------------------------

REPLAY_T0 = 1_795_228_800.0  # the day before FROZEN_NOW, a whole minute


def record_ended_cluster(directory: Path, target: Target) -> str:
    """Ten minutes of a 3-node cluster polled every 5 s: one job succeeded, one failed (with a
    log tail), one still running when the recording ended. Returns the recording's key."""
    from sovtui.recorder.writer import RecordingCore
    from sovtui.settings.model import HistorySettings

    now = [REPLAY_T0]
    core = RecordingCore(target, HistorySettings(), directory=directory, clock=lambda: now[0])
    ok = job("raysubmit_ok", "SUCCEEDED", REPLAY_T0 + 10, REPLAY_T0 + 130, job_id="02000000")
    failed_start, running_start = REPLAY_T0 + 200, REPLAY_T0 + 420
    step = 5.0
    while now[0] < REPLAY_T0 + 600:
        t = now[0]
        jobs: list[JobDetails] = []
        ids: set[str] = set()
        if t >= ok.start_time / 1000:  # type: ignore[operator]
            if t < REPLAY_T0 + 130:
                jobs.append(job("raysubmit_ok", "RUNNING", REPLAY_T0 + 10, job_id="02000000"))
                ids.add("02000000")
            else:
                jobs.append(ok)
        if t >= failed_start:
            if t < REPLAY_T0 + 380:
                jobs.append(job("raysubmit_bad", "RUNNING", failed_start, job_id="03000000"))
                ids.add("03000000")
            else:
                jobs.append(
                    job("raysubmit_bad", "FAILED", failed_start, REPLAY_T0 + 380, "03000000")
                )
        if t >= running_start:
            jobs.append(job("raysubmit_late", "RUNNING", running_start, job_id="04000000"))
            ids.add("04000000")
        cpu = 80.0 if ids else 5.0
        taken = snapshot(
            t, nodes=3, cpu=cpu, obj_fraction=0.25, jobs=tuple(jobs), job_ids=frozenset(ids)
        )
        core.record(taken)
        now[0] += step
    core.record_job_log("raysubmit_bad", "epoch 1\nepoch 2\nTraceback: out of memory\n")
    core.close()
    return target.key(SESSION)
