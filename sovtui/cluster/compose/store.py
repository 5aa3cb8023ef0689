"""Where a compose cluster's address and token live: state_dir()/clusters/PROJECT/.

The token file is mode 0600 in a 0700 folder; the JSON record holds no secret, so other commands
and the dashboard client can read it to find the cluster, then read the token beside it.
Both are written whole or not at all (a private temp file, fsync, rename): a full or read-only
state dir is one StateWriteError naming the path, never an empty token file.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sovtui.cluster.errors import ClusterError
from sovtui.support import locations

_PROJECT = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
TOKEN_FILE = "token"
RECORD_FILE = "cluster.json"


class StateWriteError(ClusterError):
    """A state file could not be written (disk full, read-only, no permission); nothing
    partial was left behind."""


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
    except (OSError, UnicodeDecodeError):
        return None  # missing or unusable: ensure_token writes a new one (or says why not)


def _private_folder(folder: Path) -> None:
    """Create the cluster's folder, 0700 even where it already existed."""
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(folder, 0o700)
    except OSError as exc:
        raise StateWriteError(f"cannot create {folder}: {exc.strerror or exc}") from None


def write_atomically(path: Path, text: str) -> None:
    """Write `path` whole or not at all: a temp file beside it (mkstemp: 0600 from its
    creation, so a token is never readable by others, not even briefly), fsync, rename."""
    temporary: str | None = None
    try:
        descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()  # ENOSPC shows up here or at fsync, before the rename
            os.fsync(handle.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise StateWriteError(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def ensure_token(project: str) -> tuple[str, bool]:
    """(token, created). Reuses the cluster's token so a second `up` matches running nodes."""
    existing = read_token(project)
    if existing:
        return existing, False
    folder = cluster_dir(project)
    created_folder = not folder.exists()
    _private_folder(folder)
    token = secrets.token_urlsafe(32)
    try:
        write_atomically(token_path(project), token + "\n")
    except StateWriteError:
        if created_folder:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    return token, True


def save_record(record: ClusterRecord) -> None:
    folder = cluster_dir(record.project)
    _private_folder(folder)
    write_atomically(folder / RECORD_FILE, json.dumps(asdict(record), indent=2) + "\n")


def load_record(project: str) -> ClusterRecord | None:
    try:
        data = json.loads((cluster_dir(project) / RECORD_FILE).read_text(encoding="utf-8"))
        return ClusterRecord(**data)
    except (OSError, ValueError, TypeError):  # missing, unreadable or not a record
        return None


def list_records() -> list[ClusterRecord]:
    root = locations.state_dir() / "clusters"
    if not root.is_dir():
        return []
    records = (load_record(child.name) for child in sorted(root.iterdir()))
    return [record for record in records if record is not None]


def forget(project: str) -> None:
    shutil.rmtree(cluster_dir(project), ignore_errors=True)
