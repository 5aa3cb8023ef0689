"""Delete an ended job so that it stays deleted.

Ray 2.60's job manager watches a job's supervisor actor until it exits, a second or more after
the job ended; if the job's record is gone by then, it writes it again (FAILED, "Job supervisor
actor died"): seen on a live head 1.5 s after a delete that had answered `deleted: true`. So:
wait for the supervisor to exit, delete, and delete again should the record come back.
"""

from __future__ import annotations

import asyncio
import time

from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.jobs import JobNotFound, JobsApi
from sovtui.ray_api.state import StateApi, StateFilter

SUPERVISOR_NAME = "_ray_internal_job_actor_{}"  # Ray's JOB_ACTOR_NAME_TEMPLATE
SUPERVISOR_WAIT_S = 15.0
RESURRECTION_WATCH_S = 5.0  # the job manager checks once a second; longer on a busy head
RESURRECTIONS = 2
SETTLED_MS = 120_000  # ended this long ago (head's clock): nothing will write it again
POLL_S = 0.25


async def delete_for_good(jobs: JobsApi, state: StateApi, submission_id: str) -> bool:
    """True once the job is deleted and stayed so; False when Ray would not delete it."""
    details = await jobs.job(submission_id)
    ended_ms = details.end_time or 0
    if details.is_terminal and time.time() * 1000 - ended_ms > SETTLED_MS:
        return await jobs.delete(submission_id)  # its supervisor is long gone
    await _supervisor_gone(state, submission_id)
    for _ in range(RESURRECTIONS + 1):
        if not await jobs.delete(submission_id):
            return False
        if not await _comes_back(jobs, submission_id):
            return True
    return False


async def _supervisor_gone(state: StateApi, submission_id: str) -> None:
    """Until the job's supervisor actor is DEAD (bounded: an answer that never says so only
    costs the wait)."""
    deadline = time.monotonic() + SUPERVISOR_WAIT_S
    name = StateFilter("name", "=", SUPERVISOR_NAME.format(submission_id))
    while time.monotonic() < deadline:
        try:
            found = await state.actors([name], limit=10)
        except DashboardError:
            return  # no State API answer: the watch after the delete still guards
        if all(actor.state == "DEAD" for actor in found.items):
            return
        await asyncio.sleep(POLL_S)


async def _comes_back(jobs: JobsApi, submission_id: str) -> bool:
    """Whether the deleted job's record reappears within the job manager's next checks."""
    deadline = time.monotonic() + RESURRECTION_WATCH_S
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_S * 2)
        try:
            details = await jobs.job(submission_id)
        except JobNotFound:
            continue
        if details.is_terminal:
            return True
    return False
