"""Parameter values -> argv -> entrypoint string, with no way for a value to become shell syntax.

Ray runs a job's entrypoint through a shell, so every argument is quoted with `shlex.join`, and
values are passed as `--flag=value` (one argv element) so a value starting with '-' cannot be
mistaken for another option either.
"""

from __future__ import annotations

import math
import shlex
from collections.abc import Mapping, Sequence

from sovtui.presets.models import Param, ParamType, ParamValue, Preset, describe_range

_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ParamError(ValueError):
    """A value the preset does not accept; the message names the param and what it allows."""

    def __init__(self, param: str, reason: str) -> None:
        super().__init__(f"parameter {param!r}: {reason}")
        self.param = param
        self.reason = reason


def allowed(param: Param) -> str:
    """What a param accepts, for error messages and help text."""
    if param.type is ParamType.CHOICE:
        return "one of: " + ", ".join(str(c) for c in param.choices or [])
    if param.type is ParamType.BOOL:
        return "true or false"
    if param.type is ParamType.STR:
        return "any text without control characters"
    kind = "an integer" if param.type is ParamType.INT else "a number"
    if param.min is None and param.max is None:
        return kind
    return f"{kind} in {describe_range(param.min, param.max)}"


def parse_assignments(items: Sequence[str]) -> dict[str, str]:
    """`-p name=value` strings -> {name: value}; the value may itself contain '='."""
    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParamError(name or item, f"expected NAME=VALUE, got {item!r}")
        values[name] = value
    return values


def _check_range(param: Param, value: float) -> None:
    if (param.min is not None and value < param.min) or (
        param.max is not None and value > param.max
    ):
        raise ParamError(param.name, f"{value!r} is out of range; expected {allowed(param)}")


def coerce(param: Param, raw: object) -> ParamValue:
    """A CLI string or a form value -> the typed value, checked against the declaration."""
    text = raw.strip() if isinstance(raw, str) else None
    if param.type is ParamType.BOOL:
        if isinstance(raw, bool):
            return raw
        if text is not None and text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ParamError(param.name, f"{raw!r} is not {allowed(param)}")
    if param.type is ParamType.INT:
        if isinstance(raw, int) and not isinstance(raw, bool):
            value: int | float = raw
        else:
            try:
                value = int(text if text is not None else str(raw), 10)
            except ValueError:
                raise ParamError(param.name, f"{raw!r} is not {allowed(param)}") from None
        _check_range(param, value)
        return value
    if param.type is ParamType.FLOAT:
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = float(text) if text is not None else float(raw)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ParamError(param.name, f"{raw!r} is not {allowed(param)}") from None
        if not math.isfinite(value):
            raise ParamError(param.name, f"{raw!r} is not a finite number")
        _check_range(param, value)
        return value
    if param.type is ParamType.CHOICE:
        for choice in param.choices or []:
            if str(choice) == (text if text is not None else str(raw)):
                return choice
        raise ParamError(param.name, f"{raw!r} is not {allowed(param)}")
    # str: any text, but control characters (newline, NUL, escape) have no business in argv.
    value_text = str(raw)
    bad = next((ch for ch in value_text if ord(ch) < 32 or ord(ch) == 127), None)
    if bad is not None:
        raise ParamError(param.name, f"control character {bad!r} is not allowed in the value")
    return value_text


def resolve_values(preset: Preset, given: Mapping[str, object]) -> dict[str, ParamValue | None]:
    """Defaults overlaid with the given values, every one validated; unknown names refused."""
    known = {p.name: p for p in preset.params}
    for name in given:
        if name not in known:
            names = ", ".join(known) or "none"
            raise ParamError(name, f"preset {preset.name!r} has no such param (params: {names})")
    return {
        name: coerce(param, given[name]) if name in given else param.default
        for name, param in known.items()
    }


def format_value(value: ParamValue) -> str:
    if isinstance(value, float):
        return repr(value)  # round-trips exactly; argparse's float() reads '1e-05' fine
    return str(value)


def build_argv(
    preset: Preset, values: Mapping[str, ParamValue | None], *, python: str = "python"
) -> list[str]:
    """The program's argv: a bool adds its bare flag when true and is left out when false;
    a param with no value (null default, nothing given) is left out."""
    argv = preset.workload.base_argv(python)
    for param in preset.params:
        value = values.get(param.name, param.default)
        if value is None:
            continue
        if param.type is ParamType.BOOL:
            if value:
                argv.append(param.option)
            continue
        argv.append(f"{param.option}={format_value(value)}")
    return argv


def build_entrypoint(
    preset: Preset, given: Mapping[str, object] | None = None, *, python: str = "python"
) -> str:
    """Validated values -> one shell-safe entrypoint string for Ray."""
    values = resolve_values(preset, given or {})
    return shlex.join(build_argv(preset, values, python=python))


def check_form(
    preset: Preset, raw: Mapping[str, object]
) -> tuple[dict[str, object], dict[str, str]]:
    """A form's raw values -> (values to launch with, {param: what is wrong}).

    An empty field leaves a param with no default out (the workload's own default applies);
    a param with a default needs a value.
    """
    given: dict[str, object] = {}
    errors: dict[str, str] = {}
    for param in preset.params:
        value = raw.get(param.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if param.default is not None:
                errors[param.name] = f"needs a value: {allowed(param)}"
            continue
        try:
            coerce(param, value)
        except ParamError as error:
            errors[param.name] = error.reason
            continue
        given[param.name] = value
    return given, errors
