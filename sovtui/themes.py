"""Colour themes: themes/*.yaml (and the user's) -> pydantic -> textual.theme.Theme.

A broken file is reported and skipped; the app keeps the themes that loaded. Each file's
verdict is remembered by its exact text (see validation_cache), so unchanged themes load
without pydantic or YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from textual.theme import Theme

from sovtui import locations
from sovtui.validation_cache import ValidationCache

# Textual's colour parser takes part in validation: its install is part of the key.
_CACHE = ValidationCache(
    "themes", [Path(__file__).with_name("theme_schema.py")], ("pydantic", "textual")
)


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
    """The theme in one file; ValueError (or OSError) says why it cannot be used."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError("not UTF-8 text") from None
    key = _CACHE.key(text)
    verdict = _CACHE.get(key)
    if not isinstance(verdict, dict):
        from sovtui.theme_schema import validate_theme_text  # pydantic: only for new files

        try:
            verdict = {"theme": validate_theme_text(text)}
        except ValueError as exc:
            verdict = {"error": str(exc)}
        _CACHE.put(key, verdict)
    if "error" in verdict:
        raise ValueError(verdict["error"])
    return Theme(**verdict["theme"])


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
