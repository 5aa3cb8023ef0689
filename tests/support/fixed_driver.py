"""A cluster driver with a fixed answer, for pictures of the Cluster screen (snapshots only)."""

from __future__ import annotations

from pathlib import Path

from sovtui.cluster.compose.events import ContainerInfo, Progress, ProgressEvent
from sovtui.cluster.compose.store import ClusterRecord
from sovtui.cluster.driver_api import compose_folder
from sovtui.cluster.errors import ClusterError

GIB = 2**30


def _info(service: str, number: int, cpu: float, memory: float) -> ContainerInfo:
    return ContainerInfo(
        name=f"demo-{service}-{number}",
        service=service,
        number=number,
        state="running",
        status="running since 2026-11-22T10:00:00",
        cpu_percent=cpu,
        memory_bytes=int(memory * GIB),
        memory_limit=8 * GIB,
        short_id=f"abc{number}{len(service)}",
    )


CONTAINERS = [
    _info("ray-head", 1, 12.5, 1.4),
    _info("ray-worker", 1, 3.2, 0.6),
    _info("ray-worker", 2, 97.0, 2.1),
]


def _ignore(_: ProgressEvent) -> None:
    return None


class FixedDriver:
    """Answers ps() and record() with fixed data; cluster operations are refused."""

    def __init__(self, project: str) -> None:
        self.project = project
        self.progress: Progress = _ignore

    def record(self) -> ClusterRecord | None:
        file = compose_folder() / "cpu-ray-cluster.yaml"
        return ClusterRecord(self.project, str(file), "http://127.0.0.1:18265", 2)

    def ps(self, stats: bool = True) -> list[ContainerInfo]:
        return list(CONTAINERS)

    def logs(self, name: str, tail: int = 200) -> str:
        return f"{name}: log line 1\n{name}: log line 2\n"

    def up(self, file: Path | str, workers: int = 1, *, wait: bool = True) -> ClusterRecord:
        raise ClusterError("the fixed driver starts nothing")

    def scale(self, workers: int, *, wait: bool = True) -> int:
        raise ClusterError("the fixed driver scales nothing")

    def down(self) -> tuple[int, int]:
        raise ClusterError("the fixed driver removes nothing")
