"""Settings sources: shipped defaults < user YAML file < SOVTUI_* environment < flags.

A validated result is remembered by its exact sources (see settings.verdicts), so an unchanged
setup starts without importing pydantic or YAML.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sovtui.settings.model import (
    ENV_PREFIX,
    ConfigError,
    ContextSettings,
    EmbeddedHeadSettings,
    HistorySettings,
    Settings,
    Source,
    SshSettings,
)
from sovtui.settings.verdicts import Verdicts
from sovtui.support import input_files, locations

_VERDICTS = Verdicts(
    "settings",
    [
        Path(__file__),
        Path(__file__).with_name("model.py"),
        Path(__file__).with_name("validation.py"),
    ],
)


def settings_from_dict(data: Mapping[str, Any]) -> Settings:
    """Validated values (config_schema's output) -> Settings."""
    embedded = EmbeddedHeadSettings(**data.get("embedded", {}))
    history = HistorySettings(**data.get("history", {}))
    ssh = SshSettings(**data.get("ssh", {}))
    contexts = {
        name: ContextSettings(**values) for name, values in (data.get("contexts") or {}).items()
    }
    return Settings(
        **{**data, "embedded": embedded, "history": history, "ssh": ssh, "contexts": contexts}
    )


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
    return _VERDICTS.key([(s.name, s.text, s.values) for s in sources])


def load_settings(
    *,
    user_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Build Settings from every source, naming the source of the first bad value."""
    sources = _sources(user_file, os.environ if environ is None else environ, overrides)
    key = _cache_key(sources)
    validated = _VERDICTS.get(key)
    if not isinstance(validated, dict):
        from sovtui.settings.validation import validate_sources  # pydantic: only for new inputs

        validated = validate_sources(sources)
        _VERDICTS.put(key, validated)
    return settings_from_dict(validated)
