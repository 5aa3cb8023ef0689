"""A theme file's YAML validated by pydantic into the keyword arguments of a Textual Theme."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from textual.color import Color, ColorParseError

from sovtui.support.yaml_io import YamlProblem, safe_load


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


def validate_theme_text(text: str) -> dict[str, Any]:
    """Theme(**result) builds the theme; ValueError says what is wrong, with line or field."""
    try:
        data = safe_load(text)
    except yaml.YAMLError as exc:
        found = YamlProblem.of(exc)
        raise ValueError(f"{found.line_prefix}YAML syntax error: {found.problem}") from None
    if not isinstance(data, dict):
        raise ValueError("expected a mapping of theme fields")
    try:
        return ThemeFile.model_validate(data).model_dump(mode="json")
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(p) for p in first["loc"]) or "theme"
        raise ValueError(f"field '{field_name}': {first['msg']}") from None
