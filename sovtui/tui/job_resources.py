"""One job's actors and tasks for the Job screen, from the State API filtered by Ray's job id
(hex like `02000000`; not the submission id: the job record carries it once the driver runs).

One poll: the job's actors (with a limit), the summary of its tasks by function and state, and,
when that summary counts failures, its failed tasks (with a limit, without detail: the detail
is fetched for the row `enter` opens only). No Textual: rows are plain values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.cells import cell_len

from sovtui.ray_api.state import StateApi, StateFilter
from sovtui.ray_api.state_models import Actor, Task
from sovtui.tui.resource_views import (
    ACTOR_COLUMNS,
    TASK_COLUMNS,
    ResourceView,
    ViewData,
    actor_detail,
    task_detail,
)

JOB_ACTOR_LIMIT = 200  # actors of one job per poll
JOB_FAILED_LIMIT = 50  # failed tasks of one job per poll


@dataclass
class JobResources:
    """One poll's answer for one job."""

    actors: list[Actor]
    actors_total: int  # what match (the limit may have cut `actors`)
    task_counts: dict[str, dict[str, int]]  # function -> state -> count
    failed: list[Task]
    failed_total: int
    notes: list[str] = field(default_factory=list)

    def task_totals(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for counts in self.task_counts.values():
            for state, count in counts.items():
                totals[state] = totals.get(state, 0) + count
        return totals

    def summary_lines(self) -> list[str]:
        """`tasks: FAILED 3  FINISHED 20`, then one line per function: those with failed tasks
        first, then running, then waiting, the finished last (a short panel cuts the end), the
        most tasks first within each."""
        if not self.task_counts:
            return ["tasks: none"]
        lines = ["tasks: " + _counts(self.task_totals())]
        ordered = sorted(
            self.task_counts.items(),
            key=lambda item: (_urgency(item[1]), -sum(item[1].values()), item[0]),
        )
        lines += [f"{name}: {_counts(counts)}" for name, counts in ordered]
        return lines


def _urgency(counts: dict[str, int]) -> int:
    """0 for a function with failed tasks, 1 running, 2 waiting (any other state), 3 finished."""
    if counts.get("FAILED"):
        return 0
    if counts.get("RUNNING"):
        return 1
    return 3 if all(state == "FINISHED" for state, n in counts.items() if n) else 2


def packed(entries: list[str], width: int, separator: str = "  ·  ") -> list[str]:
    """`entries` joined by `separator` into lines of at most `width` cells, never splitting an
    entry (one longer than `width` gets a line of its own, which the widget wraps)."""
    lines: list[str] = []
    line = ""
    for entry in entries:
        joined = f"{line}{separator}{entry}" if line else entry
        if line and cell_len(joined) > width:
            lines.append(line)
            line = entry
        else:
            line = joined
    if line:
        lines.append(line)
    return lines


def _counts(counts: dict[str, int]) -> str:
    return "  ".join(f"{state} {count}" for state, count in sorted(counts.items()))


def job_filter(job_id: str) -> StateFilter:
    return StateFilter("job_id", "=", job_id)


async def fetch_job_resources(api: StateApi, job_id: str) -> JobResources:
    job = [job_filter(job_id)]
    # detail: restarts are a detail field (~300 B an actor), as in the Actors view
    actors = await api.actors(job, limit=JOB_ACTOR_LIMIT, detail=True)
    summary = await api.summary("tasks", filters=job)
    counts = {
        str(name): {state: int(n) for state, n in row.state_counts.items()}
        for name, row in summary.rows.items()
    }
    notes = [f"actors: {note}" for note in actors.notes()]
    notes += [f"tasks: {' '.join(w.split())}" for w in summary.warnings]
    failed: list[Task] = []
    failed_total = 0
    if any(row.get("FAILED") for row in counts.values()):
        answer = await api.tasks(
            [*job, StateFilter("state", "=", "FAILED")], limit=JOB_FAILED_LIMIT
        )
        failed, failed_total = list(answer.items), answer.matching
        notes += [f"failed tasks: {note}" for note in answer.notes()]
    return JobResources(list(actors.items), actors.matching, counts, failed, failed_total, notes)


async def _unused(_api: StateApi) -> ViewData:
    """The job views are filled by `fetch_job_resources`, never polled on their own."""
    return ViewData([])


# Tables for the Job screen: ResourceViews, so the resource table and the detail screen (with
# the actor's and the task's log) work on them as on the explorer's views.
JOB_ACTORS = ResourceView(
    "job-actors",
    "Actors",
    "actors",
    # the state next to the class: a half-width table still shows both
    ACTOR_COLUMNS.pick("Class", "State", "Name", "Node", "PID", "Restarts", "Actor"),
    _unused,
    lambda a: a.actor_id,
    actor_detail,
)

JOB_FAILED_TASKS = ResourceView(
    "job-tasks",
    "Failed tasks",
    "tasks",
    TASK_COLUMNS.pick("Function", "Error", "Attempt", "Node", "Task"),
    _unused,
    lambda t: t.task_id,
    task_detail,
)
