"""Ray Jobs REST API on top of DashboardClient: submit (with the retries a fresh head needs),
stop, delete, status, full logs. Live log tailing is in `logs.py`, code shipping in `packages.py`.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import TypeAdapter, ValidationError

from sovtui.ray_api.client import LOG_MAX_BYTES, DashboardClient
from sovtui.ray_api.errors import DashboardBadResponse, DashboardError, DashboardRejected, rejected
from sovtui.ray_api.models import JobDetails

if TYPE_CHECKING:
    from httpx import Response

# Ray's answer while the head's job agent is still starting (about 3 s after gcs_healthz is up).
NO_AGENT = "No available agent to submit job"
DUPLICATE = "already exists"
SUBMIT_TIMEOUT_S = 60.0
LOGS_TIMEOUT_S = 60.0  # a whole log of up to LOG_MAX_BYTES must fit within its one deadline

_JOB = TypeAdapter(JobDetails)

Sleep = Callable[[float], Awaitable[None]]


class JobNotFound(DashboardRejected):
    """The cluster has no job with that submission id or job id."""


def new_submission_id(preset: str, now: datetime | None = None) -> str:
    """`sovtui-PRESET-YYYYmmdd-HHMMSS`, readable in Ray's own dashboard and sortable by time."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    return f"sovtui-{preset}-{stamp}"


def retry_submission_id(submission_id: str) -> str:
    """A fresh id after a collision (two launches within one second)."""
    return f"{submission_id}-{secrets.token_hex(2)}"


@dataclass(frozen=True)
class JobSpec:
    """Everything `POST /api/jobs/` takes besides the submission id."""

    entrypoint: str
    metadata: dict[str, str] = field(default_factory=dict)
    runtime_env: dict[str, Any] = field(default_factory=dict)
    entrypoint_num_cpus: float | None = None
    entrypoint_num_gpus: float | None = None
    entrypoint_memory: int | None = None

    def body(self, submission_id: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "entrypoint": self.entrypoint,
            "submission_id": submission_id,
            "metadata": dict(self.metadata),
            "runtime_env": dict(self.runtime_env),
        }
        for key in ("entrypoint_num_cpus", "entrypoint_num_gpus", "entrypoint_memory"):
            value = getattr(self, key)
            if value is not None:
                body[key] = value
        return body


@dataclass(frozen=True)
class Submitted:
    submission_id: str
    job_id: str | None
    attempts: int


# Ray's job supervisor sends SIGTERM, then SIGKILL 3 s later (RAY_JOB_STOP_WAIT_TIME_S).
JOBS_STOP_WAIT_S = 8.0


async def stop_running_jobs(
    client: DashboardClient, *, wait_s: float = JOBS_STOP_WAIT_S, sleep: Sleep = asyncio.sleep
) -> list[str]:
    """Ask Ray to stop every job not yet ended, and wait (at most `wait_s`) until they have:
    the submission ids asked. Before a head that sovtui started is stopped: Ray starts each
    job's driver in a session of its own, outside the head's process group, so a driver whose
    supervisor is killed with the head would go on running, orphaned."""
    api = JobsApi(client)
    running = [job.submission_id for job in await client.jobs() if not job.is_terminal]
    asked = [job_id for job_id in running if job_id]
    for job_id in asked:
        with contextlib.suppress(DashboardError):
            await api.stop(job_id)
    deadline = time.monotonic() + wait_s
    while asked and time.monotonic() < deadline:
        jobs = {job.submission_id: job for job in await client.jobs()}
        if all(job_id not in jobs or jobs[job_id].is_terminal for job_id in asked):
            break
        await sleep(0.25)
    return asked


class JobsApi:
    """Jobs endpoints for one DashboardClient. `sleep` is injectable so tests need not wait."""

    def __init__(
        self,
        client: DashboardClient,
        *,
        agent_wait_s: float = 60.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.client = client
        self.agent_wait_s = agent_wait_s
        self._sleep = sleep

    async def submit(self, spec: JobSpec, submission_id: str) -> Submitted:
        """Submit; wait out a job agent that is still starting, and rename once on a clash."""
        deadline = time.monotonic() + self.agent_wait_s
        delay = 0.5
        renamed = False
        attempts = 0
        while True:
            attempts += 1
            response = await self.client.request(
                "POST", "/api/jobs/", json=spec.body(submission_id), timeout=SUBMIT_TIMEOUT_S
            )
            text = response.text
            if response.status_code == 200:
                try:
                    answer = response.json()
                except ValueError:
                    raise DashboardBadResponse(f"submit: non-JSON answer {text[:200]}") from None
                return Submitted(
                    submission_id=str(answer.get("submission_id") or submission_id),
                    job_id=answer.get("job_id"),
                    attempts=attempts,
                )
            if response.status_code >= 500 and NO_AGENT in text and time.monotonic() < deadline:
                await self._sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            if DUPLICATE in text and not renamed:
                submission_id = retry_submission_id(submission_id)
                renamed = True
                continue
            raise rejected(f"submitting job {submission_id}", response.status_code, text)

    async def _job_request(
        self, method: str, path: str, job_id: str, action: str, **options: Any
    ) -> Response:
        """One request about one job; 404 and other refusals become clear errors."""
        response = await self.client.request(method, path, **options)
        if response.status_code == 404:
            raise JobNotFound(f"no job {job_id!r} on {self.client.address}", 404, response.text)
        if response.status_code >= 400:
            raise rejected(f"{action} job {job_id}", response.status_code, response.text)
        return response

    async def job(self, job_id: str) -> JobDetails:
        response = await self._job_request("GET", f"/api/jobs/{job_id}", job_id, "reading")
        try:
            return _JOB.validate_json(response.content)
        except ValidationError:
            raise DashboardBadResponse(f"job {job_id}: bad answer {response.text[:200]}") from None

    async def _post_or_delete(self, method: str, path: str, job_id: str, key: str) -> bool:
        response = await self._job_request(method, path, job_id, key)
        try:
            return bool(response.json().get(key, False))
        except (ValueError, AttributeError):
            return False

    async def stop(self, job_id: str) -> bool:
        """True when Ray stopped it; False when it had already finished."""
        return await self._post_or_delete("POST", f"/api/jobs/{job_id}/stop", job_id, "stopped")

    async def delete(self, job_id: str) -> bool:
        """Remove a finished job's record and logs (Ray refuses while it runs)."""
        return await self._post_or_delete("DELETE", f"/api/jobs/{job_id}", job_id, "deleted")

    async def logs(self, job_id: str) -> str:
        """The whole driver log so far."""
        path = f"/api/jobs/{job_id}/logs"
        response = await self._job_request(
            "GET", path, job_id, "reading logs of", limit=LOG_MAX_BYTES, timeout=LOGS_TIMEOUT_S
        )
        try:
            return str(response.json().get("logs") or "")
        except (ValueError, AttributeError):
            raise DashboardBadResponse(f"job {job_id} logs: unexpected answer") from None

    async def wait(
        self, job_id: str, *, poll_s: float = 1.0, timeout_s: float | None = None
    ) -> JobDetails:
        """Poll until the job is SUCCEEDED, FAILED or STOPPED."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            details = await self.job(job_id)
            if details.is_terminal:
                return details
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"job {job_id} still {details.status} after {timeout_s:g} s")
            await self._sleep(poll_s)
