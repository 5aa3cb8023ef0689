"""Compose variable interpolation: $VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?err}, $$.

Compose interpolates values only (never keys), recursively through mappings and lists.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from sovtui.cluster.errors import ComposeError

_PATTERN = re.compile(
    r"""
    \$(?:
        (?P<escaped>\$)
      | \{(?P<braced>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?+])(?P<arg>[^}]*))?\}
      | (?P<named>[A-Za-z_][A-Za-z0-9_]*)
      | (?P<invalid>)
    )
    """,
    re.VERBOSE,
)


def _path_text(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path)


def interpolate_string(
    text: str, environ: Mapping[str, str], file: str, path: tuple[str | int, ...]
) -> str:
    """Substitute variables in one string; errors name the file and the key path."""

    def substitute(match: re.Match[str]) -> str:
        if match.group("escaped") is not None:
            return "$"
        if match.group("named") is not None:
            return environ.get(match.group("named"), "")
        name = match.group("braced")
        if name is None:
            raise ComposeError(
                file,
                _path_text(path),
                f"invalid interpolation in {text!r} (use $$ for a literal $)",
            )
        op, arg = match.group("op"), match.group("arg") or ""
        value = environ.get(name)
        # ':' variants treat an empty value like an unset one, as in POSIX shells and Compose.
        unset = value is None or (op is not None and op.startswith(":") and value == "")
        if op in (":-", "-"):
            return arg if unset else str(value)
        if op in (":?", "?"):
            if unset:
                message = arg or f"variable {name} is required"
                raise ComposeError(file, _path_text(path), f"${{{name}}}: {message}")
            return str(value)
        if op in (":+", "+"):
            return "" if unset else arg
        return value or ""

    return _PATTERN.sub(substitute, text)


def interpolate(
    value: Any, environ: Mapping[str, str], file: str, path: tuple[str | int, ...] = ()
) -> Any:
    """Return a copy of a parsed YAML document with every string value interpolated."""
    if isinstance(value, str):
        return interpolate_string(value, environ, file, path)
    if isinstance(value, Mapping):
        return {key: interpolate(item, environ, file, (*path, key)) for key, item in value.items()}
    if isinstance(value, list):
        return [
            interpolate(item, environ, file, (*path, index)) for index, item in enumerate(value)
        ]
    return value


_NAME = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")


def referenced_variables(text: str) -> set[str]:
    """Names a Compose text interpolates (ignoring $$ escapes)."""
    return set(_NAME.findall(text.replace("$$", "")))
