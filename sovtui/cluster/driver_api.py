"""What the TUI needs from a cluster driver (ComposeDriver is the real one; tests may fake it)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from sovtui.cluster.compose.events import ContainerInfo, Progress
from sovtui.cluster.compose.store import ClusterRecord
from sovtui.support import locations

COMPOSE_SUFFIXES = (".yaml", ".yml")


class ClusterDriver(Protocol):
    project: str
    progress: Progress

    def up(self, file: Path | str, workers: int = 1, *, wait: bool = True) -> ClusterRecord: ...

    def scale(self, workers: int, *, wait: bool = True) -> int: ...

    def down(self) -> tuple[int, int]: ...

    def ps(self, stats: bool = True) -> list[ContainerInfo]: ...

    def record(self) -> ClusterRecord | None: ...

    def logs(self, name: str, tail: int = 200) -> str: ...


def compose_folder() -> Path:
    return locations.deployments_dir() / "compose"


def compose_files(folder: Path | None = None) -> list[Path]:
    """The Compose files shipped in deployments/compose/, sorted by name."""
    folder = compose_folder() if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in COMPOSE_SUFFIXES and p.is_file())
