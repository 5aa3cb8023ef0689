"""Colour themes: themes/*.yaml (and the user's) -> pydantic -> textual.theme.Theme.

A broken file is reported and skipped; the app keeps the themes that loaded. Each file's
verdict is remembered by its exact text (see settings.verdicts), so unchanged themes load
without pydantic or YAML.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sovtui.settings.verdicts import Verdicts
from sovtui.support import input_files, locations

if TYPE_CHECKING:
    from textual.theme import Theme

# Textual's colour parser takes part in validation: its install is part of the key.
_VERDICTS = Verdicts(
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


def _read(path: Path) -> str:
    """A theme file's text; a folder, FIFO, broken symlink or oversized file is a ValueError."""
    try:
        return input_files.read_text(path)
    except input_files.InputFileError as exc:
        raise ValueError(exc.reason) from None


def theme_verdict(path: Path) -> dict[str, Any]:
    """{"theme": Theme keyword arguments} or {"error": why}, validated once per file text."""
    text = _read(path)
    key = _VERDICTS.key(text)
    verdict = _VERDICTS.get(key)
    if not isinstance(verdict, dict):
        from sovtui.tui.theme_schema import validate_theme_text  # pydantic: only for new files

        try:
            verdict = {"theme": validate_theme_text(text)}
        except ValueError as exc:
            verdict = {"error": str(exc)}
        _VERDICTS.put(key, verdict)
    return verdict


def load_theme_file(path: Path) -> Theme:
    """The theme in one file; ValueError (or OSError) says why it cannot be used."""
    from textual.theme import Theme

    verdict = theme_verdict(path)
    if "error" in verdict:
        raise ValueError(verdict["error"])
    return Theme(**verdict["theme"])


def theme_files(folders: list[Path] | None = None) -> list[Path]:
    """Every *.yaml in the shipped folder, then in the user's (a later name wins)."""
    if folders is None:
        folders = [locations.shipped_themes_dir(), locations.user_themes_dir()]
    return [path for folder in folders if folder.is_dir() for path in sorted(folder.glob("*.yaml"))]


def load_themes(folders: list[Path] | None = None) -> ThemeLoad:
    """Every theme file, loaded; a broken one is reported and skipped."""
    result = ThemeLoad()
    for path in theme_files(folders):
        try:
            theme = load_theme_file(path)
        except (OSError, ValueError) as exc:
            result.failures.append(ThemeFailure(path, str(exc)))
            continue
        result.themes[theme.name] = theme
    return result
