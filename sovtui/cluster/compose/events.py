"""Light shared types of the cluster layer (no Docker SDK import: the TUI starts fast)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

DEFAULT_PROJECT = "sovtui"


@dataclass(frozen=True)
class ProgressEvent:
    stage: str  # network | head | gcs | worker | nodes | scale | down | done
    message: str
    done: int = 0
    total: int = 0


Progress = Callable[[ProgressEvent], None]


@dataclass(frozen=True)
class ContainerInfo:
    name: str
    service: str
    number: int
    state: str  # running, exited, ...
    status: str  # "running since 2025-01-01T10:00:00", "exited (137)"
    cpu_percent: float | None
    memory_bytes: int | None
    memory_limit: int | None
    short_id: str
