"""What the TUI needs from a cluster driver (ComposeDriver is the real one; tests may fake it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from sovtui.cluster.compose.events import ContainerInfo, Progress
from sovtui.cluster.compose.store import ClusterRecord
from sovtui.support import locations
from sovtui.support.extras import MissingExtra, extra_for_import_error, missing_extra_message

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


ClusterDriverFactory = Callable[[str], ClusterDriver]  # project name -> e.g. ComposeDriver


def open_compose_driver(project: str) -> ClusterDriver:
    """The real driver. Lazy: the Docker SDK loads (and connects) on first use, in the Cluster
    screen's worker, so it never delays the dashboard's first frame."""
    try:
        from sovtui.cluster.compose.docker_driver import ComposeDriver
    except ModuleNotFoundError as error:
        if extra_for_import_error(error) is None:
            raise
        raise MissingExtra(missing_extra_message(str(error.name), "Compose clusters")) from None
    return ComposeDriver(project)


def compose_folder() -> Path:
    return locations.deployments_dir() / "compose"


def compose_files(folder: Path | None = None) -> list[Path]:
    """The Compose files shipped in deployments/compose/, sorted by name."""
    folder = compose_folder() if folder is None else folder
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix in COMPOSE_SUFFIXES and p.is_file())
