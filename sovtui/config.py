"""Settings: shipped defaults < user YAML file < SOVTUI_* environment < command-line flags."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sovtui import locations
from sovtui.yaml_fast import safe_load

ENV_PREFIX = "SOVTUI_"


class ConfigError(Exception):
    """A settings source is unusable; the message names the source, the field and the reason."""

    def __init__(self, source: str, field: str, reason: str) -> None:
        self.source = source
        self.field = field
        self.reason = reason
        where = f"field '{field}': " if field else ""
        super().__init__(f"invalid config {source}: {where}{reason}")


class EmbeddedHeadSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    num_cpus: int | None = Field(default=None, ge=1, description="CPUs the embedded head offers")
    object_store_mb: int | None = Field(default=None, ge=75)
    dashboard_port: int | None = Field(default=None, ge=1, le=65535, description="None: any free")
    start_timeout: float = Field(default=90.0, gt=0)


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str | None = Field(default=None, description="Ray dashboard URL to attach to")
    default_address: str = Field(
        default="http://127.0.0.1:8265", description="probed before starting an embedded head"
    )
    interval: float = Field(default=2.0, ge=0.2, le=3600, description="seconds between polls")
    request_timeout: float = Field(default=5.0, gt=0, le=120)
    max_backoff: float = Field(default=30.0, ge=1, le=3600)
    history_points: int = Field(default=300, ge=10, le=100_000)
    theme: str = "sovtui-dark"
    embedded: EmbeddedHeadSettings = Field(default_factory=EmbeddedHeadSettings)


def _first_error(error: ValidationError) -> tuple[str, str]:
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"])
    return field, first["msg"]


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(str(path), "", exc.strerror or str(exc)) from None
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(str(path), "", f"{line}YAML syntax error: {problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(
            str(path), "", f"expected a mapping at top level, got {type(data).__name__}"
        )
    return data


def _check(source: str, data: Mapping[str, Any]) -> None:
    try:
        Settings.model_validate(data)
    except ValidationError as exc:
        field, reason = _first_error(exc)
        raise ConfigError(source, field, reason) from None


def _merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _environment_overrides(environ: Mapping[str, str]) -> dict[str, Any]:
    """SOVTUI_INTERVAL=5 -> {"interval": "5"}; SOVTUI_EMBEDDED__NUM_CPUS=2 -> nested."""
    overrides: dict[str, Any] = {}
    known = set(Settings.model_fields)
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


def load_settings(
    *,
    user_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from every source, naming the source of the first bad value."""
    environ = os.environ if environ is None else environ
    merged: dict[str, Any] = {}
    shipped = locations.shipped_config_file()
    if shipped.is_file():
        data = _read_yaml(shipped)
        _check(str(shipped), data)
        merged = _merge(merged, data)
    user = user_file if user_file is not None else locations.user_config_file()
    if user.is_file() or user_file is not None:
        data = _read_yaml(user)
        _check(str(user), _merge(merged, data))
        merged = _merge(merged, data)
    env = _environment_overrides(environ)
    if env:
        names = ", ".join(sorted(ENV_PREFIX + key.upper() for key in env))
        _check(f"environment ({names})", _merge(merged, env))
        merged = _merge(merged, env)
    if overrides:
        clean = {key: value for key, value in overrides.items() if value is not None}
        _check("command line", _merge(merged, clean))
        merged = _merge(merged, clean)
    return Settings.model_validate(merged)
