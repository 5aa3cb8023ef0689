"""Run a benchmark workload as a Ray Job through the shared jobs core (no ray import).

The plumbing is the one presets use: the workload code is shipped as a content-addressed
package (`ray_api.packages`), submitted with `JobsApi.submit` (which waits out a job agent that
is still starting), and its log is followed with `LogTail` (WebSocket, reconnects, polling
fallback, no line twice). Metrics lines go to a `MetricsParser`; the rest is the human output.
"""

from __future__ import annotations

import asyncio
import shlex
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sovtui.bench.metrics import MetricsParser
from sovtui.bench.runner import WorkloadRun, workload_module
from sovtui.presets.launch import job_metadata, job_runtime_env, ship_code
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.jobs import JobsApi, JobSpec, new_submission_id
from sovtui.ray_api.logs import LogTail
from sovtui.ray_api.packages import Package

META_BENCH = "sovtui.bench"


class JobError(Exception):
    """The job could not be run to its end; the message says why."""


@dataclass
class BenchJob(WorkloadRun):
    """A workload run as a Ray job: its outcome plus the job's id and final status."""

    submission_id: str = ""
    status: str = ""


def bench_job_spec(
    name: str,
    args: Sequence[str],
    workload: str,
    params: dict[str, Any],
    package_uri: str | None,
) -> JobSpec:
    """The job: `python -m sovtui.workloads.NAME ARGS` on the shipped code, labelled like a
    preset job (`sovtui.bench` names the benchmark, `sovtui.params` holds its parameters)."""
    return JobSpec(
        entrypoint=shlex.join(["python", "-m", workload_module(name), *args]),
        metadata=job_metadata({META_BENCH: workload}, params, package_uri),
        runtime_env=job_runtime_env(package_uri),
    )


async def wait_healthy(client: DashboardClient, timeout_s: float, poll_s: float = 0.5) -> None:
    """A head that is still starting refuses connections: wait for `/api/gcs_healthz`."""
    deadline = time.monotonic() + timeout_s
    while not await client.gcs_healthy():
        if time.monotonic() > deadline:
            raise JobError(
                f"the Ray dashboard at {client.address} did not answer in {timeout_s:g} s"
            )
        await asyncio.sleep(poll_s)


async def run_job(
    client: DashboardClient,
    name: str,
    args: Sequence[str],
    *,
    workload: str,
    params: dict[str, Any],
    on_line: Callable[[str], None] | None = None,
    jobs: JobsApi | None = None,
    package: Package | None = None,
    timeout_s: float = 3600.0,
    ready_timeout_s: float = 60.0,
) -> BenchJob:
    """Ship, submit and follow one workload job to its end. Dashboard failures raise
    `DashboardError`s; a dashboard that never answers or a job that overruns, `JobError`."""
    jobs = jobs or JobsApi(client, agent_wait_s=ready_timeout_s)
    await wait_healthy(client, ready_timeout_s)
    uri, _ = await ship_code(client, package)
    spec = bench_job_spec(name, args, workload, params, uri)
    submitted = await jobs.submit(spec, new_submission_id(f"bench-{workload}"))
    job_id = submitted.submission_id
    parser = MetricsParser()
    result = BenchJob(returncode=-1, submission_id=job_id)

    def take(lines: list[str]) -> None:
        for line in lines:
            result.take(parser, line, on_line)

    try:
        await asyncio.wait_for(LogTail(client, job_id, jobs=jobs).follow(take), timeout_s)
    except TimeoutError:
        await jobs.stop(job_id)
        raise JobError(f"job {job_id} did not finish in {timeout_s:g} s; stopped it") from None
    result.finish(parser)
    result.status = (await jobs.job(job_id)).status
    result.returncode = 0 if result.status == "SUCCEEDED" else 1
    return result
