"""Notes about running embedded heads: state_dir()/embedded/PID.json, mode 0600.

A note says which guard pid owns the head, where its dashboard answers and where its token file
is (the token itself stays in the head's private dir). A later sovtui reuses a kept head through
it; notes whose guard is gone are removed, with the dead head's private dir.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

from sovtui.cluster.private_dir import inside_private_base
from sovtui.support import locations

GUARD_SCRIPT = b"/cluster/head_guard.py"  # the guard runs as `python -I .../head_guard.py FD --`


@dataclass(frozen=True)
class HeadRecord:
    pid: int  # the guard's: SIGTERM to it stops the whole head
    dashboard_url: str
    gcs_address: str
    temp_dir: str
    log: str
    token_path: str
    kept: bool = False  # `--keep`: its sovtui left; later runs may attach to it

    def read_token(self) -> str | None:
        try:
            return Path(self.token_path).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None


def records_dir() -> Path:
    return locations.state_dir() / "embedded"


def record_path(pid: int) -> Path:
    return records_dir() / f"{pid}.json"


def save(record: HeadRecord) -> Path:
    """Write the note atomically, 0600 from the start; OSError when the state dir cannot hold it."""
    path = record_path(record.pid)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = path.with_suffix(".tmp")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(asdict(record), handle, indent=2)
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return path


def forget(pid: int) -> None:
    with contextlib.suppress(OSError):
        record_path(pid).unlink(missing_ok=True)


def _load(path: Path) -> HeadRecord | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fields = {key: data[key] for key in HeadRecord.__dataclass_fields__ if key in data}
        return HeadRecord(**fields)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def guard_alive(pid: int) -> bool:
    """The pid runs our guard (not a recycled pid) and is not a zombie."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    state = status.rpartition(")")[2].split()[:1]
    words = command.split(b"\0")
    is_guard = len(words) > 4 and words[2].endswith(GUARD_SCRIPT) and words[4] == b"--"
    return is_guard and state != ["Z"]


def _reap(path: Path, record: HeadRecord | None) -> None:
    with contextlib.suppress(OSError):
        path.unlink(missing_ok=True)
    if record is not None:
        temp_dir = Path(record.temp_dir)
        if inside_private_base(temp_dir):  # never remove anything a note merely points at
            shutil.rmtree(temp_dir, ignore_errors=True)


def live_records() -> list[HeadRecord]:
    """Notes of heads whose guard still runs, newest first; stale notes are reaped on the way."""
    try:
        paths = list(records_dir().glob("*.json"))
    except OSError:
        return []
    live: list[tuple[float, HeadRecord]] = []
    for path in paths:
        record = _load(path)
        if record is None or not guard_alive(record.pid):
            _reap(path, record)
            continue
        with contextlib.suppress(OSError):
            live.append((path.stat().st_mtime, record))
    return [record for _, record in sorted(live, key=lambda item: -item[0])]
