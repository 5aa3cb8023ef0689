"""The preset schema: one YAML file describes one workload the user can launch from the keyboard.

Structural checks (types, unknown fields) come from pydantic; semantic checks (default within
range, choice default among the choices, the workload module exists) are field validators, so
every error carries the location of the field at fault and the loader can name its line.
"""

from __future__ import annotations

import re
import shlex
from enum import Enum
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
PARAM_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
MODULE_PREFIX = "sovtui.workloads."
# Shell operators: the entrypoint is re-quoted with shlex.join, so these would reach the program
# as literal arguments. Refusing them up front beats a preset that silently does something else.
SHELL_OPERATORS = frozenset(";&|<>()")

ParamValue = bool | int | float | str


def default_workloads_dir() -> Path:
    """The workload programs shipped in this package (checked by file, never imported)."""
    return Path(__file__).resolve().parent.parent / "workloads"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ParamType(str, Enum):  # noqa: UP042  (StrEnum would change how str() prints a type)
    INT = "int"
    FLOAT = "float"
    STR = "str"
    BOOL = "bool"
    CHOICE = "choice"


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class Param(_Strict):
    """One command-line flag of the workload. Field order matters: later validators read earlier
    fields through `info.data`."""

    name: str
    type: ParamType
    min: float | None = None
    max: float | None = None
    choices: list[str | int | float] | None = Field(default=None, validate_default=True)
    # null/omitted: the flag is left out unless a value is given, so the workload's own default
    # applies (e.g. "as many partitions as the cluster has CPUs"). A bool defaults to false.
    default: ParamValue | None = Field(default=None, validate_default=True)
    help: str = ""
    flag: str | None = Field(default=None, description="defaults to --NAME")

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not PARAM_NAME.match(value):
            raise ValueError(
                "must start with a lowercase letter and hold only a-z, 0-9, '_' and '-'"
            )
        return value

    @field_validator("min", "max")
    @classmethod
    def _bounds(cls, value: float | None, info: ValidationInfo) -> float | None:
        kind = info.data.get("type")
        if value is not None and kind not in (ParamType.INT, ParamType.FLOAT, None):
            raise ValueError(f"{info.field_name} only applies to int and float params")
        if value is not None and kind is ParamType.INT and not float(value).is_integer():
            raise ValueError(f"{info.field_name} of an int param must be a whole number")
        if info.field_name == "max" and value is not None:
            low = info.data.get("min")
            if low is not None and low > value:
                raise ValueError(f"min ({low:g}) is greater than max ({value:g})")
        return value

    @field_validator("choices")
    @classmethod
    def _choices(
        cls, value: list[str | int | float] | None, info: ValidationInfo
    ) -> list[str | int | float] | None:
        kind = info.data.get("type")
        if kind is ParamType.CHOICE:
            if not value:
                raise ValueError("a choice param needs a non-empty 'choices' list")
            as_text = [str(choice) for choice in value]
            if len(set(as_text)) != len(as_text):
                raise ValueError("choices must be unique")
        elif value is not None and kind is not None:
            raise ValueError("choices only apply to params of type 'choice'")
        return value

    @field_validator("default")
    @classmethod
    def _default(cls, value: ParamValue | None, info: ValidationInfo) -> ParamValue | None:
        # A field missing from info.data failed its own validation; that error is reported, so
        # checking against it here would only add a second, confusing message.
        if not {"type", "min", "max", "choices"} <= info.data.keys():
            return value
        kind = info.data["type"]
        if value is None:
            return False if kind is ParamType.BOOL else None
        if kind is ParamType.INT and not _is_int(value):
            raise ValueError(f"must be an integer for an int param, got {value!r}")
        if kind is ParamType.FLOAT:
            if not _is_number(value):
                raise ValueError(f"must be a number for a float param, got {value!r}")
            value = float(value)
        if kind is ParamType.STR and not isinstance(value, str):
            raise ValueError(f"must be a string for a str param, got {value!r} (quote it)")
        if kind is ParamType.BOOL and not isinstance(value, bool):
            raise ValueError(f"must be true or false for a bool param, got {value!r}")
        if kind is ParamType.CHOICE:
            choices = info.data.get("choices") or []
            if value not in choices:
                allowed = ", ".join(str(choice) for choice in choices)
                raise ValueError(f"{value!r} is not one of the choices ({allowed})")
        if kind in (ParamType.INT, ParamType.FLOAT):
            low, high = info.data.get("min"), info.data.get("max")
            assert _is_number(value)
            if (low is not None and value < low) or (high is not None and value > high):
                raise ValueError(f"{value!r} is outside {describe_range(low, high)}")
        return value

    @field_validator("flag")
    @classmethod
    def _flag(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^--?[A-Za-z0-9][A-Za-z0-9_-]*$", value):
            raise ValueError("must look like --some-flag")
        return value

    @property
    def option(self) -> str:
        return self.flag or f"--{self.name}"


def describe_range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"the range {low:g}..{high:g}"
    if low is not None:
        return f"the range >= {low:g}"
    if high is not None:
        return f"the range <= {high:g}"
    return "any value"


class Workload(_Strict):
    """What to run: a module under sovtui/workloads/ (`python -m`) or a plain command."""

    module: str | None = None
    command: str | None = None

    @field_validator("module")
    @classmethod
    def _module(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        if not value.startswith(MODULE_PREFIX):
            raise ValueError(f"must be a module under {MODULE_PREFIX.rstrip('.')}, got {value!r}")
        short = value[len(MODULE_PREFIX) :]
        if not re.match(r"^[a-z_][a-z0-9_]*$", short):
            raise ValueError(f"{value!r} is not a valid module name")
        context = info.context or {}
        folder = Path(context.get("workloads_dir") or default_workloads_dir())
        if not ((folder / f"{short}.py").is_file() or (folder / short / "__init__.py").is_file()):
            raise ValueError(f"no workload module {value!r} (looked for {folder / short}.py)")
        return value

    @field_validator("command")
    @classmethod
    def _command(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            lexer = shlex.shlex(value, posix=True, punctuation_chars=True)
            lexer.whitespace_split = True
            tokens = list(lexer)
        except ValueError as exc:
            raise ValueError(f"cannot split the command: {exc}") from None
        if not tokens:
            raise ValueError("the command is empty")
        for token in tokens:
            if set(token) <= SHELL_OPERATORS:
                raise ValueError(
                    f"shell operator {token!r} is not allowed: commands run as one program "
                    "with its arguments (quote the character if it is meant literally)"
                )
        return value

    @model_validator(mode="after")
    def _exactly_one(self) -> Workload:
        if (self.module is None) == (self.command is None):
            raise ValueError("give exactly one of 'module' or 'command'")
        return self

    def base_argv(self, python: str = "python") -> list[str]:
        if self.module is not None:
            return [python, "-m", self.module]
        assert self.command is not None
        return shlex.split(self.command)


class Resources(_Strict):
    """Passed to Ray as entrypoint_num_cpus / entrypoint_num_gpus / entrypoint_memory."""

    entrypoint_num_cpus: float | None = Field(default=None, ge=0)
    entrypoint_num_gpus: float | None = Field(default=None, ge=0)
    entrypoint_memory: int | None = Field(default=None, ge=0, description="bytes")


class RuntimeEnv(_Strict):
    """Only environment variables: code shipping (working_dir) is sovtui's job, not the preset's."""

    env_vars: dict[str, str] = Field(default_factory=dict)

    @field_validator("env_vars")
    @classmethod
    def _names(cls, value: dict[str, str]) -> dict[str, str]:
        for name in value:
            if not ENV_NAME.match(name):
                raise ValueError(f"{name!r} is not a valid environment variable name")
        return value


class Preset(_Strict):
    name: str
    title: str = ""
    description: str = ""
    workload: Workload
    params: list[Param] = Field(default_factory=list)
    resources: Resources = Field(default_factory=Resources)
    runtime_env: RuntimeEnv = Field(default_factory=RuntimeEnv)
    tags: list[str] = Field(default_factory=list)

    _source: Path | None = PrivateAttr(default=None)

    @field_validator("name")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not SLUG.match(value):
            raise ValueError(
                f"{value!r} is not a slug: use lowercase letters, digits and '-' (max 63)"
            )
        return value

    @field_validator("params")
    @classmethod
    def _unique(cls, value: list[Param]) -> list[Param]:
        seen: dict[str, int] = {}
        for index, param in enumerate(value):
            if param.name in seen:
                raise ValueError(
                    f"duplicate param name {param.name!r} (params[{seen[param.name]}] "
                    f"and params[{index}])"
                )
            seen[param.name] = index
        return value

    @property
    def source(self) -> Path | None:
        """The YAML file this preset came from (None when built in code)."""
        return self._source

    def with_source(self, path: Path) -> Preset:
        self._source = path
        return self

    @property
    def display_title(self) -> str:
        return self.title or self.name

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, ParamValue | None]:
        return {p.name: p.default for p in self.params}


def model_fields_at(loc: tuple[Any, ...]) -> list[str] | None:
    """The field names allowed at a location (for 'unknown field' messages)."""
    model: type[BaseModel] = Preset
    nested: dict[str, type[BaseModel]] = {
        "workload": Workload,
        "params": Param,
        "resources": Resources,
        "runtime_env": RuntimeEnv,
    }
    keys = tuple(part for part in loc if isinstance(part, str))
    if keys and keys[0] in nested:
        model = nested[keys[0]]
        keys = keys[1:]
    return list(model.model_fields) if len(keys) <= 1 else None
