"""Bring a Slurm Ray cluster up, wait until its head is this job's and ALIVE, take it down.

All async: every Slurm call has a deadline (commands.run) and every wait polls the queue at a
calm pace, so a login node's slurmctld hears from sovtui about once a second at most.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from sovtui.cluster.compose.store import write_atomically
from sovtui.cluster.slurm import commands, queue, records
from sovtui.cluster.slurm.commands import SlurmError
from sovtui.cluster.slurm.records import ClusterRecord, SlurmCluster
from sovtui.cluster.slurm.script import SlurmRequest, render
from sovtui.ray_api.auth import TokenLookup, explicit_token, find_token
from sovtui.ray_api.client import normalise_address
from sovtui.ray_api.errors import DashboardError
from sovtui.settings.model import Settings

Progress = Callable[[str], None]
POLL_S = 1.0
START_TIMEOUT_S = 180.0  # from RUNNING to a verified, ALIVE head
DOWN_TIMEOUT_S = 90.0


class SlurmJobEnded(SlurmError):
    """The job ended (or vanished) before its Ray head was ready; says how and where to look."""


def _silent(_: str) -> None:
    return None


def default_name(taken: set[str]) -> str:
    """`ray`, then `ray-2`, `ray-3`... the first name no running cluster holds."""
    name, number = "ray", 1
    while name in taken:
        number += 1
        name = f"ray-{number}"
    return name


def active_names(jobs: list[queue.SlurmJob]) -> set[str]:
    return {cluster.name for cluster in records.list_clusters(jobs) if cluster.active}


async def submit(request: SlurmRequest, jobs: list[queue.SlurmJob]) -> ClusterRecord:
    """Write the script (with a fresh token and node.py beside it) and sbatch it."""
    existing = records.load(request.name)
    if existing is not None:
        job = queue.find(jobs, existing.job_id)
        if job is not None and job.active:
            raise SlurmError(
                f"cluster {request.name} is already job {existing.job_id} ({job.state}); "
                f"`sovtui slurm down {request.name}` first, or pick another --name"
            )
    folder = records.clear_for_new_job(request.name)
    script = render(request, folder)  # RequestError before anything is written
    token_path = records.new_token(request.name)
    launcher = Path(__file__).with_name("node_launcher.py").read_text(encoding="utf-8")
    write_atomically(folder / records.LAUNCHER_FILE, launcher)
    write_atomically(folder / records.SCRIPT_FILE, script)
    finished = await commands.run(["sbatch", "--parsable", str(folder / records.SCRIPT_FILE)])
    job_id = finished.stdout.strip().split(";")[0]  # `ID;cluster` on multi-cluster sites
    if not job_id.isdigit():
        raise SlurmError(f"sbatch answered {finished.stdout.strip()[:80]!r}, not a job id")
    record = ClusterRecord(
        name=request.name,
        job_id=job_id,
        submitted_at=time.time(),
        token_path=str(token_path),
        time_limit=request.time,
    )
    records.save(record)
    return record


def token_for(cluster: SlurmCluster | ClusterRecord) -> TokenLookup:
    token = records.read_token(cluster.token_path) if cluster.token_path else None
    if token is None:
        return TokenLookup(None, None, (cluster.token_path or "no token file",))
    return explicit_token(token, f"slurm cluster {cluster.name} ({cluster.token_path})")


async def head_problem(
    settings: Settings, cluster: SlurmCluster, token: TokenLookup | None = None
) -> str | None:
    """None when the dashboard answering at the published address is this job's head and its
    node is ALIVE; else what is wrong (retry while the head starts). A dashboard of another
    session raises SlurmError: a dashboard-port clash does not make `ray start` fail."""
    from sovtui.cluster.connect import new_client  # connect may come to import records

    assert cluster.dashboard_url is not None
    client = new_client(settings, cluster.dashboard_url, token or token_for(cluster))
    try:
        version = await client.version()
        if cluster.session_name and version.session_name != cluster.session_name:
            raise SlurmError(
                f"the dashboard at {cluster.dashboard_url} belongs to another Ray cluster "
                f"(session {version.session_name}, this job's head is {cluster.session_name}): "
                f"a port clash; `sovtui slurm down {cluster.name}` and bring it up again"
            )
        nodes = await client.state_nodes()
    except DashboardError as error:
        return f"{error.state}: {error}"
    finally:
        await client.aclose()
    if not any(node.state == "ALIVE" for node in nodes):
        return "no ALIVE node yet"
    return None


def _ended(record: ClusterRecord, state: str) -> SlurmJobEnded:
    records.remember_state(record, state)
    view = records.cluster_view(record, None, live=False)
    why = f"the Ray head exited with status {view.head_exit}" if view.head_exit else state
    tail = "\n".join(records.output_tail(record, 10))
    return SlurmJobEnded(
        f"job {record.job_id} ({record.name}) ended {state}: {why}; "
        f"output: {records.output_path(record)}" + (f"\n{tail}" if tail else "")
    )


async def wait_ready(
    settings: Settings,
    record: ClusterRecord,
    *,
    progress: Progress = _silent,
    pending_timeout: float | None = None,
    start_timeout: float = START_TIMEOUT_S,
) -> SlurmCluster:
    """Poll until the job runs and its head answers as this job's, ALIVE. Raises SlurmJobEnded
    when the job ends first, SlurmError past a deadline (pending: none by default)."""
    submitted = time.monotonic()
    running_since: float | None = None
    said = ""
    missing = 0
    while True:
        jobs = await queue.list_jobs()
        job = queue.find(jobs, record.job_id)
        if job is None:
            missing += 1
            if missing >= 5:  # sbatch returns once it is queued: gone means over and purged
                raise _ended(record, "ENDED")
        elif not job.active:
            raise _ended(record, job.state)
        elif job.state == "PENDING":
            if pending_timeout is not None and time.monotonic() - submitted > pending_timeout:
                raise SlurmError(
                    f"job {record.job_id} still pending ({job.reason}) after {pending_timeout:g} s"
                )
            said = _say(progress, said, f"pending: {job.reason or 'waiting'}")
        else:
            running_since = running_since or time.monotonic()
            cluster = records.cluster_view(record, job)
            if cluster.dashboard_url is None:
                said = _say(progress, said, f"{job.state} on {job.nodes}: starting Ray")
            else:
                problem = await head_problem(settings, cluster)
                if problem is None:
                    if job.state != record.last_state:
                        records.remember_state(record, job.state)
                    return cluster
                said = _say(progress, said, f"waiting for the head at {cluster.dashboard_url}")
            if time.monotonic() - running_since > start_timeout:
                raise SlurmError(
                    f"job {record.job_id} runs but its Ray head was not ready within "
                    f"{start_timeout:g} s; output: {records.output_path(record)}"
                )
        await asyncio.sleep(POLL_S)


def _say(progress: Progress, said: str, line: str) -> str:
    if line != said:
        progress(line)
    return line


async def cancel(record_or_job: ClusterRecord | str, timeout: float = DOWN_TIMEOUT_S) -> str:
    """scancel the job and wait until it has left the queue (every step ended); its final
    state, or ENDED when it was already purged."""
    record = record_or_job if isinstance(record_or_job, ClusterRecord) else None
    job_id = record.job_id if record is not None else str(record_or_job)
    await commands.run(["scancel", job_id])
    deadline = time.monotonic() + timeout
    while True:
        job = queue.find(await queue.list_jobs(), job_id)
        if job is None or not job.active:
            state = job.state if job is not None else "ENDED"
            if record is not None:
                records.remember_state(record, state)
            return state
        if time.monotonic() > deadline:
            raise SlurmError(f"job {job_id} is still {job.state} {timeout:g} s after scancel")
        await asyncio.sleep(0.5)


def _adopted_token(token_file: Path | None) -> tuple[TokenLookup, Path | None, str | None]:
    """(the token, a file that holds it, or the value to keep in the cluster's own file)."""
    if token_file is not None:
        token = records.read_token(token_file)
        if token is None:
            raise SlurmError(f"no token in {token_file}")
        return explicit_token(token, str(token_file)), token_file.resolve(), None
    found = find_token()
    if found.token is None:
        return found, None, None
    if found.source == "$RAY_AUTH_TOKEN":
        return found, None, found.token  # a value only: kept in a 0600 file of the cluster's
    path = os.environ.get("RAY_AUTH_TOKEN_PATH", "").strip()
    return found, Path(path).resolve() if path else Path.home() / ".ray" / "auth_token", None


async def adopt(
    settings: Settings,
    job_id: str,
    address: str,
    name: str,
    token_file: Path | None,
    jobs: list[queue.SlurmJob],
) -> SlurmCluster:
    """Record a Ray cluster another script started in job `job_id`, reachable at `address`
    (checked: it answers, with the token, and has an ALIVE node)."""
    job = queue.find(jobs, job_id)
    if job is None or not job.active:
        state = job.state if job is not None else "not in the queue"
        raise SlurmError(f"job {job_id} is not running ({state})")
    existing = records.load(name)
    if existing is not None and existing.job_id != job_id:
        other = queue.find(jobs, existing.job_id)
        if other is not None and other.active:
            raise SlurmError(f"the name {name} is taken by job {existing.job_id}; pick --name")
    lookup, token_path, token_value = _adopted_token(token_file)
    record = ClusterRecord(
        name=name,
        job_id=job_id,
        submitted_at=time.time(),
        token_path=str(token_path or ""),
        adopted=True,
        dashboard_url=normalise_address(address),
        last_state=job.state,
        time_limit=job.time_limit,
    )
    problem = await head_problem(settings, records.cluster_view(record, job), lookup)
    if problem is not None:
        raise SlurmError(f"cannot adopt job {job_id}: {problem}")
    folder = records.clear_for_new_job(name)
    if token_value is not None:
        own = folder / records.TOKEN_FILE
        write_atomically(own, token_value + "\n")
        record = replace(record, token_path=str(own))
    records.save(record)
    return records.cluster_view(record, job)
