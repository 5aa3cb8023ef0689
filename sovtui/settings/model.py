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


# `[user@]host[:port]`: what `ssh` is given (host may be an alias from ~/.ssh/config). No
# leading '-' (it would be read as an ssh option), no spaces or controls.
VIA_PATTERN = r"^(?:[A-Za-z0-9._][A-Za-z0-9._+-]*@)?[A-Za-z0-9_][A-Za-z0-9._-]*(?::[0-9]{1,5})?$"
CONTEXT_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


@dataclass(frozen=True)
class SshSettings:
    """How sovtui runs the system `ssh` for tunnels (`--via`, a context's `via`)."""

    command: str = field(default="ssh", metadata=rule(min_length=1, description="ssh program"))
    config_file: str | None = field(
        default=None, metadata=rule(description="ssh -F FILE; None: the user's ~/.ssh/config")
    )
    connect_timeout: float = field(
        default=10.0, metadata=rule(gt=0, le=300, description="seconds to bring a tunnel up")
    )
    health_interval: float = field(
        default=10.0,
        metadata=rule(gt=0, le=3600, description="seconds between HTTP checks through it"),
    )
    max_backoff: float = field(
        default=15.0, metadata=rule(gt=0, le=3600, description="longest wait between reconnects")
    )


@dataclass(frozen=True)
class ContextSettings:
    """A saved cluster: `contexts: {NAME: {address: URL, via: HOST, token_path: FILE}}`."""

    address: str = field(
        metadata=rule(min_length=1, description="dashboard URL, as seen from `via` when set")
    )
    via: str | None = field(
        default=None, metadata=rule(pattern=VIA_PATTERN, description="[user@]host[:port]")
    )
    local_port: int | None = field(
        default=None, metadata=rule(ge=1, le=65535, description="tunnel's local port; None: any")
    )
    token_path: str | None = field(
        default=None, metadata=rule(min_length=1, description="file holding the Ray token")
    )
    token_env: str | None = field(
        default=None,
        metadata=rule(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$", description="variable holding it"),
    )


@dataclass(frozen=True)
class HistorySettings:
    """The flight recorder: every poll to SQLite under the XDG state dir (see sovtui.recorder)."""

    record: bool = field(
        default=True, metadata=rule(description="false: the dashboard records nothing")
    )
    raw_minutes: float = field(
        default=60.0,
        metadata=rule(ge=1, le=24 * 60, description="minutes every poll is kept as it came"),
    )
    keep_days: float = field(
        default=7.0,
        metadata=rule(gt=0, le=3660, description="days the per-minute min/mean/max are kept"),
    )
    keep_clusters_days: float = field(
        default=30.0,
        metadata=rule(gt=0, le=36600, description="days a cluster's record (jobs) is kept"),
    )
    max_mb: int = field(
        default=1024, metadata=rule(ge=1, le=1_000_000, description="all recordings together")
    )


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
    max_backoff: float = field(
        default=30.0,
        metadata=rule(
            ge=1, le=3600, description="longest wait between polls after failures or slow answers"
        ),
    )
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
    history: HistorySettings = field(default_factory=HistorySettings)
    ssh: SshSettings = field(default_factory=SshSettings)
    # Saved clusters by name (see cluster.contexts); names as CONTEXT_NAME_PATTERN.
    contexts: dict[str, ContextSettings] = field(
        default_factory=dict, metadata={"keys": {"pattern": CONTEXT_NAME_PATTERN}}
    )


@dataclass(frozen=True)
class Source:
    """One layer of settings: a YAML file's text, or values already split into fields."""

    name: str
    text: str | None = None
    values: Mapping[str, Any] | None = None
