"""Fixed data for the Clusters screen: saved contexts, health without probing, Slurm jobs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from sovtui.cluster.contexts import KIND_CONFIG, Context, ContextList, Health, list_contexts
from sovtui.cluster.contexts import config_contexts as saved_contexts
from sovtui.cluster.slurm.commands import SlurmUnreachable
from sovtui.cluster.slurm.queue import SlurmJob
from sovtui.settings.model import ContextSettings, Settings
from tests.support.clocks import FROZEN_NOW
from tests.support.recorded_ray import RAY_260, RecordedRay, replicated_summary

LAB_B_NODES = 3  # what the second context's dashboard answers: its own cluster


def two_labs(**options: Any) -> Settings:
    return Settings(
        contexts={
            "lab-a": ContextSettings("http://lab-a:8265"),
            "lab-b": ContextSettings("http://lab-b:8265", token_env="LAB_B_TOKEN"),
        },
        **options,
    )


def saved_only(settings: Settings) -> ContextList:
    """The config's contexts alone (no Compose, kept heads or Slurm records of this machine)."""
    return list_contexts(settings, providers=[(KIND_CONFIG, saved_contexts)])


def fixed_health(contexts: list[Context], _settings: Settings) -> dict[str, Health]:
    return {
        context.name: Health("up", f"Ray 2.60.0 · 1/1 nodes alive · {context.name}")
        for context in contexts
    }


def lab_b_answers(recorded: RecordedRay) -> None:
    """lab-b's dashboard answers with a 3-node cluster; everything else as recorded."""

    def nodes(request: httpx.Request) -> httpx.Response:
        if request.url.host == "lab-b":
            body = replicated_summary(RAY_260, LAB_B_NODES)
        else:
            body = (recorded.folder / "nodes_summary.json").read_bytes()
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    recorded.override["/nodes"] = nodes


def job(
    job_id: str, name: str, state: str = "RUNNING", left_s: float | None = 3600, **kw: Any
) -> SlurmJob:
    end = FROZEN_NOW + left_s if left_s is not None else None
    values: dict[str, Any] = {
        "job_id": job_id,
        "name": name,
        "state": state,
        "elapsed": "1:00",
        "time_left_s": int(left_s) if left_s is not None else None,
        "time_limit": "2:00:00",
        "end_time": end,
        "nodes": "node1" if state == "RUNNING" else "",
        "node_count": 1,
        "batch_host": "node1" if state == "RUNNING" else "",
        "reason": None,
    }
    values.update(kw)
    return SlurmJob(**values)


FIXED_JOBS = [
    job("101", "train-big", left_s=3 * 3600),
    job("102", "sovtui-almost", left_s=20 * 60),
    job("103", "preprocess", left_s=4 * 60),
    job("104", "sweep", state="PENDING", left_s=None, reason="Resources"),
]


def fixed_jobs(jobs: list[SlurmJob] = FIXED_JOBS) -> Callable[[], Awaitable[list[SlurmJob]]]:
    async def listing() -> list[SlurmJob]:
        return list(jobs)

    return listing


async def slurm_down() -> list[SlurmJob]:
    raise SlurmUnreachable("squeue: error: Unable to contact slurm controller (connect failure)")
