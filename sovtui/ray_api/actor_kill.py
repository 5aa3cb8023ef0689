"""Kill an actor over HTTP, the one way Ray 2.60 allows.

Ray 2.60 has no HTTP route to kill an actor (`/api/actors/kill` is 404). What works (verified on
a live head, see DESIGN.md): submit a job whose entrypoint runs Ray's own CLI,
`ray kill-actor --name N --namespace NS --force --no-restart`, with `entrypoint_num_cpus: 0` so it
runs even on a full cluster; the actor is DEAD with reason RAY_KILL within a few seconds; the
job is deleted afterwards, so nothing is left behind.

`ray kill-actor` finds actors by name only. An unnamed actor would need Ray's private GCS client
inside such a job, which changes between Ray versions: sovtui does not do that, and says so
(`UnnamedActor`), naming what does work (`ray.kill(handle)` from the program that owns it).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import shlex
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.job_delete import delete_for_good
from sovtui.ray_api.jobs import JobsApi, JobSpec
from sovtui.ray_api.state import StateApi, StateFilter
from sovtui.ray_api.state_models import Actor

ACTOR_ID = re.compile(r"^[0-9a-f]{32}$")
KILL_TIMEOUT_S = 60.0
POLL_S = 0.25

Sleep = Callable[[float], Awaitable[None]]


class ActorKillError(DashboardError):
    """The actor could not be killed; the message says why in one line."""

    state = "not killed"


class ActorNotFound(ActorKillError):
    state = "not found"


class AmbiguousActor(ActorKillError):
    """One name, several namespaces: --namespace must choose."""

    state = "ambiguous"


class UnnamedActor(ActorKillError):
    state = "unnamed"


@dataclass(frozen=True)
class KillResult:
    actor_id: str
    name: str
    namespace: str
    state: str  # DEAD, or what it still was at the deadline
    reason: str  # RAY_KILL when this kill did it
    already_dead: bool
    seconds: float
    job_id: str | None  # the helper job's submission id (deleted afterwards)
    job_deleted: bool = False

    def line(self) -> str:
        who = f"actor {self.name} ({self.actor_id}) in namespace {self.namespace}"
        if self.already_dead:
            return f"{who} was already DEAD ({self.reason or 'no reason given'})"
        return f"{who}: {self.state} ({self.reason or '?'}) after {self.seconds:.1f} s"


def kill_entrypoint(name: str, namespace: str) -> str:
    """The helper job's command; the name and namespace are quoted, never interpreted."""
    return shlex.join(
        ["ray", "kill-actor", "--name", name, "--namespace", namespace, "--force", "--no-restart"]
    )


async def find_actor(state: StateApi, ref: str, namespace: str | None = None) -> Actor:
    """An actor by id (32 hex digits) or by name (and namespace), with detail."""
    if ACTOR_ID.match(ref):
        actor = await state.actor(ref)
        if actor is not None:
            return actor
    filters = [StateFilter("name", "=", ref)]
    if namespace:
        filters.append(StateFilter("ray_namespace", "=", namespace))
    found = await state.actors(filters, limit=100, detail=True)
    if not found.items:
        where = f" in namespace {namespace}" if namespace else ""
        raise ActorNotFound(f"no actor with id or name {ref!r}{where} on {state.client.address}")
    alive = [actor for actor in found.items if actor.state != "DEAD"] or found.items
    namespaces = sorted({actor.ray_namespace or "" for actor in alive})
    if len(namespaces) > 1:
        raise AmbiguousActor(
            f"actor name {ref!r} exists in namespaces {', '.join(namespaces)}: "
            "choose one with --namespace"
        )
    return alive[0]


async def kill_actor(
    state: StateApi,
    ref: str,
    namespace: str | None = None,
    *,
    jobs: JobsApi | None = None,
    timeout_s: float = KILL_TIMEOUT_S,
    sleep: Sleep = asyncio.sleep,
) -> KillResult:
    """Kill one named actor (by id or name) and wait until Ray reports it DEAD."""
    jobs = jobs or JobsApi(state.client)
    actor = await find_actor(state, ref, namespace)
    name = actor.name or ""
    ns = actor.ray_namespace or ""
    reason = actor.death_cause.reason if actor.death_cause else ""
    if actor.state == "DEAD":
        return KillResult(actor.actor_id, name, ns, "DEAD", reason, True, 0.0, None)
    if not name:
        raise UnnamedActor(
            f"cannot kill unnamed actor {actor.actor_id} ({actor.class_name}) over HTTP: Ray 2.60 "
            "has no route for it and `ray kill-actor` needs a name; kill it from its owner with "
            "ray.kill(handle), or give actors a name (.options(name=...))"
        )
    started = time.monotonic()
    submission_id = f"sovtui-kill-actor-{secrets.token_hex(4)}"
    spec = JobSpec(
        entrypoint=kill_entrypoint(name, ns),
        metadata={"sovtui.action": "kill-actor", "sovtui.actor_id": actor.actor_id},
        entrypoint_num_cpus=0,
    )
    submitted = await jobs.submit(spec, submission_id)
    submission_id = submitted.submission_id
    try:
        deadline = started + timeout_s
        current: Actor | None = actor
        job_status = ""
        while time.monotonic() < deadline:
            current = await state.actor(actor.actor_id)
            if current is None or current.state == "DEAD":
                break
            details = await jobs.job(submission_id)
            job_status = details.status
            if details.is_terminal and details.status != "SUCCEEDED":
                log = await jobs.logs(submission_id)
                last = [line for line in log.splitlines() if line.strip()][-1:] or ["(no log)"]
                raise ActorKillError(
                    f"`ray kill-actor` for {name} ended {details.status}: {last[0][:300]}"
                )
            await sleep(POLL_S)
        else:
            raise ActorKillError(
                f"actor {name} ({actor.actor_id}) still {current.state if current else '?'} after "
                f"{timeout_s:g} s (helper job {submission_id} {job_status or 'pending'})"
            )
        final_state = current.state if current else "DEAD"
        final_reason = (current.death_cause.reason if current and current.death_cause else "") or ""
        seconds = time.monotonic() - started
    finally:
        deleted = await _delete_when_done(jobs, state, submission_id)
    return KillResult(
        actor.actor_id,
        name,
        ns,
        final_state,
        final_reason,
        False,
        seconds,
        submission_id,
        deleted,
    )


async def _delete_when_done(jobs: JobsApi, state: StateApi, submission_id: str) -> bool:
    """Remove the helper job once it has ended (Ray refuses to delete a running job). On a busy
    head `ray kill-actor` may take a while to exit: stop it then, and delete it once stopped."""
    with contextlib.suppress(DashboardError, TimeoutError):
        await jobs.wait(submission_id, poll_s=POLL_S, timeout_s=60.0)
        return await delete_for_good(jobs, state, submission_id)
    with contextlib.suppress(DashboardError, TimeoutError):
        await jobs.stop(submission_id)
        await jobs.wait(submission_id, poll_s=POLL_S, timeout_s=30.0)
        return await delete_for_good(jobs, state, submission_id)
    return False
