"""Each Slurm cluster sovtui knows, in state_dir()/slurm/NAME/ (0700):

    cluster.json  written by sovtui: job id, how it was made (no secret)
    token         the cluster's Ray token, 0600 (an adopted cluster names its own file instead)
    submit.sh     the batch script; node.py: the per-node Ray starter it runs
    state.json    written by the head's node.py, atomically: job id, head, ports, session, end
    events        lines the batch script appends: "JOBID EPOCH usr1" and "JOBID EPOCH head-exit N"
    slurm-JOB.out the job's output

A name is reused once its job has ended, so everything read from the dir is checked against the
record's job id: a stale state.json from the previous job never counts.
`list_clusters()` is what the contexts list shows; pass it `await queue.list_jobs()` for live
states, else each cluster has the last state sovtui saw.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from sovtui.cluster.compose.store import StateWriteError, write_atomically
from sovtui.cluster.slurm.queue import SlurmJob, is_active
from sovtui.support import locations

RECORD_FILE = "cluster.json"
STATE_FILE = "state.json"  # node_launcher.STATE_FILE
TOKEN_FILE = "token"
EVENTS_FILE = "events"
SCRIPT_FILE = "submit.sh"
LAUNCHER_FILE = "node.py"
WARN_BEFORE_S = 300  # the walltime warning sovtui shows, whatever the job's --signal offset


@dataclass(frozen=True)
class ClusterRecord:
    name: str
    job_id: str
    submitted_at: float
    token_path: str
    adopted: bool = False
    dashboard_url: str | None = None  # adopted clusters: the address the user gave
    last_state: str = "PENDING"  # the last state sovtui saw in the queue
    time_limit: str = ""


@dataclass(frozen=True)
class HeadState:
    """What the head's node.py published (the whole file, for the curious)."""

    job_id: str
    dashboard_url: str
    session_name: str | None
    head_node: str = ""
    gcs_address: str = ""
    end_time: float | None = None
    ports: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class SlurmCluster:
    """One cluster as the contexts list and `slurm ls` show it."""

    name: str
    job_id: str
    state: str  # Slurm's job state (PENDING, RUNNING, TIMEOUT, FAILED, ...), or ENDED
    dashboard_url: str | None  # None until the head has published it
    token_path: str
    end_time: float | None
    state_dir: str
    session_name: str | None = None
    reason: str | None = None  # why it is pending
    nodes: str = ""
    adopted: bool = False
    signalled_at: float | None = None  # when the job got Slurm's walltime USR1
    head_exit: int | None = None  # the head's exit status, once the batch script saw it

    @property
    def active(self) -> bool:
        return is_active(self.state)


def clusters_root() -> Path:
    return locations.state_dir() / "slurm"


def cluster_dir(name: str) -> Path:
    return clusters_root() / name


def private_dir(name: str) -> Path:
    """The cluster's dir, 0700 even where it already existed."""
    folder = cluster_dir(name)
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise StateWriteError(f"cannot create {folder}: {exc.strerror or exc}") from None
    return folder


def new_token(name: str) -> Path:
    """A fresh token for a new job of this name, in a 0600 file (mkstemp + rename)."""
    path = private_dir(name) / TOKEN_FILE
    write_atomically(path, secrets.token_urlsafe(32) + "\n")
    return path


def read_token(path: str | Path) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


def save(record: ClusterRecord) -> None:
    folder = private_dir(record.name)
    write_atomically(folder / RECORD_FILE, json.dumps(asdict(record), indent=2) + "\n")


def _known(cls: type, data: dict[str, Any]) -> dict[str, Any]:
    names = {item.name for item in fields(cls)}
    return {key: value for key, value in data.items() if key in names}


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load(name: str) -> ClusterRecord | None:
    data = _read_json(cluster_dir(name) / RECORD_FILE)
    try:
        return ClusterRecord(**_known(ClusterRecord, data)) if data else None
    except TypeError:  # a field missing: not a record of ours
        return None


def load_all() -> list[ClusterRecord]:
    root = clusters_root()
    if not root.is_dir():
        return []
    records = (load(child.name) for child in sorted(root.iterdir()) if child.is_dir())
    return [record for record in records if record is not None]


def head_state(record: ClusterRecord) -> HeadState | None:
    """The head's published state for this record's job (a stale one is ignored)."""
    data = _read_json(cluster_dir(record.name) / STATE_FILE)
    if not data or str(data.get("job_id")) != record.job_id:
        return None
    try:
        return HeadState(**_known(HeadState, data))
    except TypeError:
        return None


def events(record: ClusterRecord) -> list[tuple[float, str, str]]:
    """(when, kind, value) the batch script noted for this record's job."""
    try:
        lines = (cluster_dir(record.name) / EVENTS_FILE).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    found = []
    for line in lines:
        parts = line.split()
        if len(parts) >= 3 and parts[0] == record.job_id:
            try:
                found.append((float(parts[1]), parts[2], " ".join(parts[3:])))
            except ValueError:
                continue
    return found


def output_path(record: ClusterRecord) -> Path:
    return cluster_dir(record.name) / f"slurm-{record.job_id}.out"


def output_tail(record: ClusterRecord, lines: int = 15) -> list[str]:
    try:
        text = output_path(record).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    return text.splitlines()[-lines:]


def cluster_view(record: ClusterRecord, job: SlurmJob | None, live: bool = True) -> SlurmCluster:
    """The cluster as shown; `live`: `job` is what the queue says now (None: not in it)."""
    head = head_state(record)
    state = job.state if job is not None else record.last_state
    if live and job is None and is_active(state):
        state = "ENDED"  # gone from the queue, final state unseen (it ended over MinJobAge ago)
    noted = events(record)
    signalled = next((when for when, kind, _ in noted if kind == "usr1"), None)
    exits = [value for _, kind, value in noted if kind == "head-exit"]
    end_time = job.end_time if job is not None and job.end_time else (head and head.end_time)
    return SlurmCluster(
        name=record.name,
        job_id=record.job_id,
        state=state,
        dashboard_url=record.dashboard_url or (head.dashboard_url if head else None),
        token_path=record.token_path,
        end_time=end_time or None,
        state_dir=str(cluster_dir(record.name)),
        session_name=head.session_name if head else None,
        reason=job.reason if job is not None else None,
        nodes=job.nodes if job is not None else "",
        adopted=record.adopted,
        signalled_at=signalled,
        head_exit=int(exits[-1]) if exits and exits[-1].lstrip("-").isdigit() else None,
    )


def list_clusters(jobs: list[SlurmJob] | None = None) -> list[SlurmCluster]:
    """Every Slurm cluster sovtui knows. With `jobs` (from queue.list_jobs) the states are live
    and each record learns its job's latest state; without, they are the last ones seen."""
    by_id = {job.job_id: job for job in jobs or []}
    clusters = []
    for record in load_all():
        job = by_id.get(record.job_id)
        if job is not None and job.state != record.last_state:
            remember_state(record, job.state)
        clusters.append(cluster_view(record, job, live=jobs is not None))
    return clusters


def remember_state(record: ClusterRecord, state: str) -> None:
    """Best effort: a read-only state dir only costs the memory of it."""
    with contextlib.suppress(StateWriteError):
        save(ClusterRecord(**{**asdict(record), "last_state": state}))


def find(name_or_job: str) -> ClusterRecord | None:
    for record in load_all():
        if name_or_job in (record.name, record.job_id):
            return record
    return None


def clear_for_new_job(name: str) -> Path:
    """Empty a reused name's dir of the previous job's files; the dir itself stays 0700."""
    folder = private_dir(name)
    for child in folder.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)
    return folder
