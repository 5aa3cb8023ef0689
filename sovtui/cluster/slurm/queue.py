"""The user's Slurm jobs, from one `squeue` call (light on slurmctld: no per-job queries).

`squeue --me --states=all` also lists jobs that ended within MinJobAge (5 min by default), which
is how a cluster that hit its walltime is shown TIMEOUT rather than just vanishing.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from datetime import datetime

from sovtui.cluster.slurm import commands
from sovtui.support.safe_text import visible

# BatchHost (%B) is the head; %R is the pending reason (or the node list when running);
# %L turns INVALID past the limit. The name (%j) may hold '|': it is split off from both ends.
SQUEUE_FORMAT = "%i|%j|%T|%M|%L|%l|%e|%N|%B|%R|%D"
_FIELDS_AFTER_NAME = 9

ENDED_STATES = frozenset(
    {
        "COMPLETED",
        "CANCELLED",
        "FAILED",
        "TIMEOUT",
        "NODE_FAIL",
        "PREEMPTED",
        "BOOT_FAIL",
        "DEADLINE",
        "OUT_OF_MEMORY",
        "REVOKED",
    }
)
_DURATION = re.compile(r"^(?:(\d+)-)?(?:(\d+):)?(\d+):(\d+)$")


def is_active(state: str) -> bool:
    """Still in the queue: pending, running, completing (its processes are still being ended)."""
    return state.split()[0] not in ENDED_STATES if state else False


def parse_duration(text: str) -> int | None:
    """Slurm's `[days-][hours:]minutes:seconds` in seconds; None for INVALID, UNLIMITED, N/A."""
    match = _DURATION.match(text.strip())
    if not match:
        return None
    days, hours, minutes, seconds = (int(part or 0) for part in match.groups())
    return ((days * 24 + hours) * 60 + minutes) * 60 + seconds


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = max(0, int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    clock = f"{hours}:{minutes:02d}:{secs:02d}" if hours or days else f"{minutes}:{secs:02d}"
    return f"{days}-{clock}" if days else clock


def parse_time(text: str) -> float | None:
    """squeue's local `YYYY-MM-DDTHH:MM:SS` as epoch seconds; None for N/A, Unknown, NONE."""
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%dT%H:%M:%S").timestamp()
    except ValueError:
        return None


@dataclass(frozen=True)
class SlurmJob:
    job_id: str
    name: str
    state: str
    elapsed: str
    time_left_s: int | None
    time_limit: str
    end_time: float | None
    nodes: str  # the node list ("" while pending)
    node_count: int
    batch_host: str
    reason: str | None  # why it is pending (Resources, Priority, PartitionConfig...)

    @property
    def active(self) -> bool:
        return is_active(self.state)

    def seconds_left(self, now: float | None = None) -> float | None:
        """Until the end time (better than %L, which squeue rounds to its last look)."""
        if self.state != "RUNNING":
            return None
        if self.end_time is not None:
            return self.end_time - (time.time() if now is None else now)
        return self.time_left_s


def parse_line(line: str) -> SlurmJob | None:
    job_id, _, rest = line.strip().partition("|")
    parts = rest.rsplit("|", _FIELDS_AFTER_NAME)
    if not job_id or len(parts) != _FIELDS_AFTER_NAME + 1:
        return None
    name, state, elapsed, left, limit, end, nodes, batch_host, reason, count = parts
    state = state.strip()
    pending_reason = reason.strip().strip("()") if state == "PENDING" else None
    if pending_reason == "None":  # just queued: the scheduler has not looked at it yet
        pending_reason = None
    return SlurmJob(
        job_id=job_id.strip(),
        name=visible(name),  # user-chosen text: shown, never interpreted
        state=state,
        elapsed=elapsed.strip(),
        time_left_s=parse_duration(left),
        time_limit=limit.strip(),
        end_time=parse_time(end),
        nodes="" if nodes.strip() in ("", "(null)") else visible(nodes.strip()),
        node_count=int(count) if count.strip().isdigit() else 0,
        batch_host="" if batch_host.strip() in ("", "n/a", "(null)") else batch_host.strip(),
        reason=visible(pending_reason) if pending_reason else None,
    )


def parse_squeue(text: str) -> list[SlurmJob]:
    jobs = (parse_line(line) for line in text.splitlines() if line.strip())
    return [job for job in jobs if job is not None]


async def list_jobs(timeout: float | None = None) -> list[SlurmJob]:
    """The user's jobs: active ones, and those that ended within MinJobAge."""
    finished = await commands.run(
        ["squeue", "--me", "--states=all", "--noheader", "--format", SQUEUE_FORMAT],
        timeout=timeout,
    )
    return parse_squeue(finished.stdout)


def find(jobs: list[SlurmJob], job_id: str) -> SlurmJob | None:
    return next((job for job in jobs if job.job_id == job_id), None)
