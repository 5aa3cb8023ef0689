"""YAML loading with libyaml's C parser when PyYAML was built with it (several times faster)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml

SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load(text: str) -> Any:
    return yaml.load(text, Loader=SafeLoader)


def compose_and_load(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree (for line numbers) from ONE parse, not one parse each.

    libyaml's error messages leave out the offending character ("found character that cannot
    start any token"), so a file that fails is parsed again by PyYAML to raise its wording.
    """
    try:
        return _compose_and_load(text, SafeLoader)
    except yaml.YAMLError:
        if SafeLoader is yaml.SafeLoader:
            raise
    return _compose_and_load(text, yaml.SafeLoader)


def _compose_and_load(text: str, loader_class: type[yaml.SafeLoader]) -> tuple[Any, Any]:
    loader = loader_class(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, root


@dataclass(frozen=True)
class YamlProblem:
    """A YAML syntax error as each file's message needs it: where (1-based, None when PyYAML
    does not say), what, and PyYAML's context ("while parsing a flow sequence")."""

    line: int | None
    column: int | None
    problem: str
    context: str | None

    @classmethod
    def of(cls, error: yaml.YAMLError) -> YamlProblem:
        mark = getattr(error, "problem_mark", None)
        return cls(
            line=mark.line + 1 if mark is not None else None,
            column=mark.column + 1 if mark is not None else None,
            problem=getattr(error, "problem", None) or str(error),
            context=getattr(error, "context", None),
        )

    @property
    def line_prefix(self) -> str:
        """`line N: `, or nothing when the line is unknown."""
        return f"line {self.line}: " if self.line is not None else ""
