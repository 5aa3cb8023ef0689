"""Settings: shipped defaults < user YAML file < SOVTUI_* environment < command-line flags.

The settings are frozen dataclasses; `config_schema` builds the pydantic models that validate
every source from them (the constraints live here, in each field's metadata). A validated
result is remembered by its exact sources (see validation_cache), so an unchanged setup
starts without importing pydantic or YAML.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sovtui import input_files, locations
from sovtui.validation_cache import ValidationCache

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
    theme: str = "sovtui-dark"
    embedded: EmbeddedHeadSettings = field(default_factory=EmbeddedHeadSettings)


@dataclass(frozen=True)
class Source:
    """One layer of settings: a YAML file's text, or values already split into fields."""

    name: str
    text: str | None = None
    values: Mapping[str, Any] | None = None


_CACHE = ValidationCache("settings", [Path(__file__), Path(__file__).with_name("config_schema.py")])


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    """Validated values (config_schema's output) -> Settings."""
    embedded = EmbeddedHeadSettings(**data.get("embedded", {}))
    return Settings(**{**data, "embedded": embedded})


def _read_text(path: Path) -> str:
    """A settings file's text; a folder, FIFO, broken symlink or oversized file is an error."""
    try:
        return input_files.read_text(path)
    except input_files.InputFileError as exc:
        raise ConfigError(str(path), "", exc.reason) from None


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """SOVTUI_INTERVAL=5 -> {"interval": "5"}; SOVTUI_EMBEDDED__NUM_CPUS=2 -> nested."""
    overrides: dict[str, Any] = {}
    known = {f.name for f in dataclasses.fields(Settings)}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = name[len(ENV_PREFIX) :].lower().split("__")
        if path[0] not in known:
            continue  # other SOVTUI_* variables (SOVTUI_HOME, SOVTUI_RAY_IMAGE) are not settings
        target = overrides
        for part in path[:-1]:
            target = target.setdefault(part, {})
        target[path[-1]] = value
    return overrides


def _sources(
    user_file: Path | None, environ: Mapping[str, str], overrides: Mapping[str, Any] | None
) -> list[Source]:
    sources: list[Source] = []
    shipped = locations.shipped_config_file()
    # Anything at all at a settings path is read: a folder or a dangling symlink there is
    # a mistake to report, not a reason to drop the user's `address:` without a word.
    if input_files.exists(shipped):
        sources.append(Source(str(shipped), text=_read_text(shipped)))
    user = user_file if user_file is not None else locations.user_config_file()
    if user_file is not None or input_files.exists(user):
        sources.append(Source(str(user), text=_read_text(user)))
    env = _environment_overrides(environ)
    if env:
        names = ", ".join(sorted(ENV_PREFIX + key.upper() for key in env))
        sources.append(Source(f"environment ({names})", values=env))
    clean = {key: value for key, value in (overrides or {}).items() if value is not None}
    if clean:
        sources.append(Source("command line", values=clean))
    return sources


def _cache_key(sources: list[Source]) -> str:
    return _CACHE.key([(s.name, s.text, s.values) for s in sources])


def settings_cached(
    *, user_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> bool:
    """True when load_settings would find these exact sources already validated."""
    try:
        sources = _sources(user_file, os.environ, overrides)
    except ConfigError:
        return False
    return isinstance(_CACHE.get(_cache_key(sources)), dict)


def load_settings(
    *,
    user_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from every source, naming the source of the first bad value."""
    sources = _sources(user_file, os.environ if environ is None else environ, overrides)
    key = _cache_key(sources)
    validated = _CACHE.get(key)
    if not isinstance(validated, dict):
        from sovtui.config_schema import validate_sources  # pydantic: only for new inputs

        validated = validate_sources(sources)
        _CACHE.put(key, validated)
    return settings_from_dict(validated)
