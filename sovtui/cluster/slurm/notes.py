"""What a user should be told about a Slurm cluster: the walltime ahead, how it ended."""

from __future__ import annotations

import time

from sovtui.cluster.slurm.queue import format_duration
from sovtui.cluster.slurm.records import WARN_BEFORE_S, SlurmCluster


def _clock(epoch: float) -> str:
    return time.strftime("%H:%M:%S", time.localtime(epoch))


def warnings(cluster: SlurmCluster, now: float | None = None) -> list[str]:
    """The walltime warnings: 5 minutes before the end time, and once Slurm signalled USR1."""
    now = time.time() if now is None else now
    found = []
    running = cluster.state in ("RUNNING", "COMPLETING")
    if running and cluster.end_time is not None and cluster.end_time - now <= WARN_BEFORE_S:
        left = format_duration(cluster.end_time - now)
        found.append(f"time limit in {left} (ends {_clock(cluster.end_time)}); Ray stops then")
    if cluster.signalled_at is not None and (running or cluster.state == "TIMEOUT"):
        found.append(
            f"Slurm signalled the coming time limit (USR1 at {_clock(cluster.signalled_at)})"
        )
    return found


def outcome(cluster: SlurmCluster) -> str | None:
    """One line for a cluster that has ended, or None while it is queued or running."""
    if cluster.active:
        return None
    if cluster.state == "TIMEOUT":
        return "ended at its time limit (TIMEOUT); `sovtui slurm up` again for a new allocation"
    if cluster.state == "FAILED":
        status = f" with status {cluster.head_exit}" if cluster.head_exit is not None else ""
        return f"FAILED: the Ray head exited{status}; output in {cluster.state_dir}"
    if cluster.state == "CANCELLED":
        return "cancelled"
    return cluster.state.lower()
