"""Colour themes: themes/*.yaml (and the user's) -> pydantic -> textual.theme.Theme.

A broken file is reported and skipped; the app keeps the themes that loaded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.color import Color, ColorParseError
from textual.theme import Theme

from sovtui import locations
from sovtui.yaml_fast import safe_load


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    boost: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    dark: bool = True
    ansi: bool = False
    variables: dict[str, str] = Field(default_factory=dict)

    @field_validator(
        "primary",
        "secondary",
        "accent",
        "foreground",
        "background",
        "surface",
        "panel",
        "boost",
        "success",
        "warning",
        "error",
    )
    @classmethod
    def _is_colour(cls, value: str | None) -> str | None:
        if value is None or value.startswith("ansi_"):
            return value
        try:
            Color.parse(value)
        except ColorParseError:
            raise ValueError(f"{value!r} is not a colour") from None
        return value

    def to_textual_theme(self) -> Theme:
        return Theme(**self.model_dump())


@dataclass(frozen=True)
class ThemeFailure:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass
class ThemeLoad:
    themes: dict[str, Theme] = field(default_factory=dict)
    failures: list[ThemeFailure] = field(default_factory=list)


def load_theme_file(path: Path) -> Theme:
    try:
        data = safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise ValueError(f"{where}YAML syntax error: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of theme fields")
    try:
        return ThemeFile.model_validate(data).to_textual_theme()
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"]) or "theme"
        raise ValueError(f"field '{field_name}': {first['msg']}") from None


def load_themes(folders: list[Path] | None = None) -> ThemeLoad:
    """Every *.yaml theme in the shipped folder, then the user's (a later name wins)."""
    if folders is None:
        folders = [locations.shipped_themes_dir(), locations.user_themes_dir()]
    result = ThemeLoad()
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.yaml")):
            try:
                theme = load_theme_file(path)
            except (OSError, ValueError) as exc:
                result.failures.append(ThemeFailure(path, str(exc)))
                continue
            result.themes[theme.name] = theme
    return result
