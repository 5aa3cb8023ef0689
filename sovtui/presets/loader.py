"""Load presets from the shipped folder and the user's folder, reporting every bad file.

A bad file never stops the others from loading: each problem becomes a `LoadFailure` naming the
file, the line (from the YAML parser, or from the composed YAML node of the field at fault), the
field and the reason. The user folder adds presets and overrides shipped ones by name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from sovtui.presets.models import Preset, model_fields_at
from sovtui.support import input_files, locations
from sovtui.support.yaml_io import YamlProblem, compose_and_load

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadFailure:
    file: Path
    line: int | None
    field: str
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        what = f"field '{self.field}': " if self.field else ""
        return f"{where}: {what}{self.reason}"


@dataclass
class LoadResult:
    presets: list[Preset] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)
    # name -> the shipped file a user file replaced (shown, so an override is never a surprise)
    overridden: dict[str, Path] = field(default_factory=dict)

    def get(self, name: str) -> Preset | None:
        return next((p for p in self.presets if p.name == name), None)

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.presets]


class _FileProblem(Exception):
    def __init__(self, line: int | None, field: str, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.field = field
        self.reason = reason


def format_loc(loc: Iterable[Any]) -> str:
    """('params', 2, 'default') -> 'params[2].default'."""
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


def _line_of(root: yaml.Node | None, loc: tuple[Any, ...]) -> int | None:
    """Walk the composed YAML tree along a pydantic error location; the deepest node reached
    gives the line. For a mapping key we point at the key itself (unknown/misspelt fields)."""
    node = root
    line = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        if isinstance(node, yaml.MappingNode) and isinstance(part, str):
            pairs = node.value
            match = next(
                ((k, v) for k, v in pairs if isinstance(k, yaml.ScalarNode) and k.value == part),
                None,
            )
            if match is None:
                break
            key, node = match
            line = key.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = node.start_mark.line + 1
        else:
            break
    return line


def _reason(error: ErrorDetails) -> str:
    kind = error["type"]
    loc = tuple(error["loc"])
    if kind == "extra_forbidden":
        allowed = model_fields_at(loc)
        hint = f" (allowed: {', '.join(allowed)})" if allowed else ""
        return f"unknown field {loc[-1]!r}{hint}"
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"invalid value {error['input']!r}; expected {expected}"
    message = error["msg"]
    if message.startswith("Value error, "):
        message = message[len("Value error, ") :]
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return f"expected a mapping, got {type(error['input']).__name__}"
    if kind == "list_type":
        return f"expected a list, got {type(error['input']).__name__}"
    if kind.endswith(("_type", "_parsing")) and isinstance(error["input"], str | int | float):
        message = f"{message}, got {error['input']!r}"
    return message


def _parse(path: Path, text: str) -> tuple[dict[str, Any], yaml.Node | None]:
    try:
        data, root = compose_and_load(text)
    except yaml.YAMLError as exc:
        found = YamlProblem.of(exc)
        detail = f"{found.context}, {found.problem}" if found.context else found.problem
        raise _FileProblem(found.line, "", f"YAML syntax error: {detail}") from None
    if data is None:
        raise _FileProblem(None, "", "the file is empty; expected a preset mapping")
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else None
        raise _FileProblem(
            line, "", f"expected a mapping of preset fields at top level, got {_kind(data)}"
        )
    return data, root


def _kind(value: object) -> str:
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__
    )


def load_file(path: Path, context: Mapping[str, Any] | None = None) -> Preset:
    """One preset from one file; raises `PresetFileError` listing every problem in it."""
    try:
        text = input_files.read_text(path)
    except input_files.InputFileError as exc:
        raise PresetFileError([LoadFailure(path, None, "", f"cannot read: {exc.reason}")]) from None
    try:
        data, root = _parse(path, text)
    except _FileProblem as problem:
        raise PresetFileError([LoadFailure(path, problem.line, "", problem.reason)]) from None
    try:
        preset = Preset.model_validate(data, context=dict(context or {}))
    except ValidationError as exc:
        failures = [
            LoadFailure(path, _line_of(root, tuple(e["loc"])), format_loc(e["loc"]), _reason(e))
            for e in exc.errors()
        ]
        raise PresetFileError(failures) from None
    return preset.with_source(path)


class PresetFileError(Exception):
    def __init__(self, failures: list[LoadFailure]) -> None:
        super().__init__("; ".join(str(f) for f in failures))
        self.failures = failures


def _name_line(path: Path) -> int | None:
    try:
        _, root = compose_and_load(input_files.read_text(path))
    except (input_files.InputFileError, yaml.YAMLError):
        return None
    return _line_of(root, ("name",))


def load_folder(
    folder: Path, context: Mapping[str, Any] | None = None
) -> tuple[dict[str, Preset], list[LoadFailure]]:
    """Every *.yaml / *.yml file in one folder, in name order. A name already taken by an earlier
    file of the same folder is a failure of the later file."""
    presets: dict[str, Preset] = {}
    failures: list[LoadFailure] = []
    if not folder.is_dir():
        return presets, failures
    # Not only regular files: a folder, FIFO or dangling symlink named like a preset is
    # reported (load_file says what it is) rather than skipped without a word. Editors'
    # lock files (`.#name.yaml`, dangling symlinks by design) are not presets.
    files = sorted(
        p for p in folder.iterdir() if p.suffix in SUFFIXES and not p.name.startswith(".#")
    )
    for path in files:
        try:
            preset = load_file(path, context)
        except PresetFileError as error:
            failures.extend(error.failures)
            continue
        earlier = presets.get(preset.name)
        if earlier is not None:
            failures.append(
                LoadFailure(
                    path,
                    _name_line(path),
                    "name",
                    f"duplicate preset name {preset.name!r}: already defined in {earlier.source}",
                )
            )
            continue
        presets[preset.name] = preset
    return presets, failures


def load_presets(
    shipped_dir: Path | None = None,
    user_dir: Path | None = None,
    *,
    workloads_dir: Path | None = None,
) -> LoadResult:
    """Shipped presets, then the user's: a user preset with a shipped name replaces it."""
    shipped_dir = locations.shipped_presets_dir() if shipped_dir is None else shipped_dir
    user_dir = locations.user_presets_dir() if user_dir is None else user_dir
    context = {"workloads_dir": workloads_dir} if workloads_dir is not None else None
    merged, failures = load_folder(shipped_dir, context)
    result = LoadResult(failures=failures)
    if user_dir.resolve() != shipped_dir.resolve():
        user, user_failures = load_folder(user_dir, context)
        result.failures.extend(user_failures)
        for name, preset in user.items():
            replaced = merged.get(name)
            if replaced is not None and replaced.source is not None:
                result.overridden[name] = replaced.source
            merged[name] = preset
    result.presets = sorted(merged.values(), key=lambda p: p.name)
    return result
