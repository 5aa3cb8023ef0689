"""The settings model: frozen dataclasses that import nothing heavy.

`validation` builds the pydantic models that check every source from these classes (the
constraints live here, in each field's metadata); `sources` reads and layers the sources.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ENV_PREFIX = "SOVTUI_"


def rule(**constraints: Any) -> dict[str, Any]:
    """A field's pydantic constraints (ge, le, gt, description ...), kept as dataclass metadata."""
    return {"pydantic": constraints}


class ConfigError(Exception):
    """A settings source is unusable; the message names the source, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        self.source = source
        self.field = field
        self.reason = reason
        where = f"field '{field}': " if field else ""
        super().__init__(f"invalid config {source}: {where}{reason}")


@dataclass(frozen=True)
class EmbeddedHeadSettings:
    num_cpus: int | None = field(
        default=None, metadata=rule(ge=1, description="CPUs the embedded head offers")
    )
    object_store_mb: int | None = field(default=None, metadata=rule(ge=75))
    dashboard_port: int | None = field(
        default=None, metadata=rule(ge=1, le=65535, description="None: any free")
    )
    start_timeout: float = field(default=90.0, metadata=rule(gt=0))


@dataclass(frozen=True)
class Settings:
    address: str | None = field(
        default=None, metadata=rule(description="Ray dashboard URL to attach to")
    )
    default_address: str = field(
        default="http://127.0.0.1:8265",
        metadata=rule(description="probed before starting an embedded head"),
    )
    interval: float = field(
        default=2.0, metadata=rule(ge=0.2, le=3600, description="seconds between polls")
    )
    request_timeout: float = field(
        default=5.0, metadata=rule(gt=0, le=120, description="seconds for one whole request")
    )
    max_response_mb: int = field(
        default=32, metadata=rule(ge=1, le=4096, description="largest JSON answer accepted, MiB")
    )
    embed: bool = field(
        default=True, metadata=rule(description="false: never start an embedded local head")
    )
    max_backoff: float = field(default=30.0, metadata=rule(ge=1, le=3600))
    history_points: int = field(default=300, metadata=rule(ge=10, le=100_000))
    log_lines: int = field(
        default=50_000,
        metadata=rule(ge=100, le=10_000_000, description="log lines a job screen keeps"),
    )
    readonly: bool = field(
        default=False,
        metadata=rule(description="true: refuse every action that changes the cluster"),
    )
    theme: str = "sovtui-dark"
    embedded: EmbeddedHeadSettings = field(default_factory=EmbeddedHeadSettings)


@dataclass(frozen=True)
class Source:
    """One layer of settings: a YAML file's text, or values already split into fields."""

    name: str
    text: str | None = None
    values: Mapping[str, Any] | None = None
