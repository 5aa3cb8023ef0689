"""Which cluster a recording belongs to.

Ray names every cluster start a session (`session_2026-11-22_02-40-46_126770_32002`, in the
head node's session dir in `/nodes?view=summary` and in `/api/version`): a restarted head is a new
cluster, one reached through two addresses is two recordings. With the address and how sovtui
got there (embedded, attached, a Compose project, a Slurm job) it makes the recording's key.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Target:
    """Where the dashboard looks: the part of the identity known before the first poll."""

    address: str
    mode: str  # "embedded", "attached", "compose", "slurm"
    project: str | None = None  # the Compose project
    slurm_job: str | None = None

    @classmethod
    def of_connection(cls, connection: Any) -> Target:
        """From a cluster.connect.Connection (or anything with address, mode and project)."""
        slurm_job = getattr(connection, "slurm_job", None) or os.environ.get("SLURM_JOB_ID")
        return cls(
            address=str(connection.address),
            mode=str(connection.mode),
            project=getattr(connection, "project", None),
            slurm_job=slurm_job or None,
        )

    def key(self, session_name: str | None) -> str:
        """A file-name-safe key, stable for this session at this address."""
        parts = (session_name or "", self.address, self.mode, self.project or "")
        digest = hashlib.sha1("\0".join(parts).encode()).hexdigest()[:10]
        when = _session_stamp(session_name)
        return f"{when}-{digest}" if when else digest

    @property
    def label(self) -> str:
        mode = f"compose: {self.project}" if self.mode == "compose" and self.project else self.mode
        if self.slurm_job:
            mode += f" (Slurm job {self.slurm_job})"
        return f"{mode} · {self.address}"


def _session_stamp(session_name: str | None) -> str:
    """`session_2026-11-22_02-40-46_126770_32002` -> `20261122-024046`: keys sort by start."""
    if not session_name or not session_name.startswith("session_"):
        return ""
    parts = session_name.split("_")
    if len(parts) < 3:
        return ""
    stamp = parts[1].replace("-", "") + "-" + parts[2].replace("-", "")
    return stamp if stamp.replace("-", "").isdigit() else ""
