"""Where a compose cluster's address and token live: state_dir()/clusters/PROJECT/.

The token file is mode 0600 in a 0700 folder; the JSON record holds no secret, so other commands
and the dashboard client can read it to find the cluster, then read the token beside it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sovtui import locations

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TOKEN_FILE = "token"
RECORD_FILE = "cluster.json"


def project_name_problem(name: str) -> str | None:
    """Why `name` cannot be a Compose project name, or None when it can."""
    if not _PROJECT.match(name):
        return (
            f"invalid project name {name!r}: use lowercase letters, digits, '-' and '_', "
            "starting with a letter or digit"
        )
    return None


@dataclass(frozen=True)
class ClusterRecord:
    project: str
    compose_file: str
    dashboard_url: str
    workers: int
    # The variables the file interpolated at `up` (never the token), so `scale` adds workers
    # exactly like the first ones even from a shell with another environment.
    environment: dict[str, str] = field(default_factory=dict)


def cluster_dir(project: str) -> Path:
    return locations.state_dir() / "clusters" / project


def token_path(project: str) -> Path:
    return cluster_dir(project) / TOKEN_FILE


def read_token(project: str) -> str | None:
    try:
        return token_path(project).read_text(encoding="utf-8").strip() or None
    except FileNotFoundError:
        return None


def ensure_token(project: str) -> tuple[str, bool]:
    """(token, created). Reuses the cluster's token so a second `up` matches running nodes."""
    existing = read_token(project)
    if existing:
        return existing, False
    folder = cluster_dir(project)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    token = secrets.token_urlsafe(32)
    path = token_path(project)
    path.unlink(missing_ok=True)
    # O_EXCL + mode at creation: the token is never readable by others, not even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(token + "\n")
    return token, True


def save_record(record: ClusterRecord) -> None:
    folder = cluster_dir(record.project)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    temporary = folder / (RECORD_FILE + ".tmp")
    temporary.write_text(json.dumps(asdict(record), indent=2) + "\n", encoding="utf-8")
    temporary.replace(folder / RECORD_FILE)


def load_record(project: str) -> ClusterRecord | None:
    try:
        data = json.loads((cluster_dir(project) / RECORD_FILE).read_text(encoding="utf-8"))
        return ClusterRecord(**data)
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def list_records() -> list[ClusterRecord]:
    root = locations.state_dir() / "clusters"
    if not root.is_dir():
        return []
    records = (load_record(child.name) for child in sorted(root.iterdir()))
    return [record for record in records if record is not None]


def forget(project: str) -> None:
    shutil.rmtree(cluster_dir(project), ignore_errors=True)
