"""Where sovtui keeps its files: XDG base directories, and the folders shipped in the repo."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "sovtui"


def _xdg(variable: str, fallback: str) -> Path:
    value = os.environ.get(variable, "").strip()
    base = Path(value) if value else Path.home() / fallback
    return base / APP_NAME


def config_dir() -> Path:
    """User configuration: sovtui.yaml, presets/, themes/."""
    return _xdg("XDG_CONFIG_HOME", ".config")


def state_dir() -> Path:
    """Per-machine state: cluster tokens, embedded-head temp dirs."""
    return _xdg("XDG_STATE_HOME", ".local/state")


def data_dir() -> Path:
    """User data worth keeping: benchmark results."""
    return _xdg("XDG_DATA_HOME", ".local/share")


def cache_dir() -> Path:
    """Rebuildable things: wheelhouses, image build contexts."""
    return _xdg("XDG_CACHE_HOME", ".cache")


def user_config_file() -> Path:
    return config_dir() / "sovtui.yaml"


def project_root() -> Path:
    """The folder holding configs/, themes/ and deployments/.

    In a source checkout these are the top-level folders, read live; in an installed wheel the
    build mapped them into the package as `sovtui/_shipped/` (see pyproject.toml).
    """
    override = os.environ.get("SOVTUI_HOME", "").strip()
    if override:
        return Path(override)
    checkout = Path(__file__).resolve().parents[2]  # sovtui/support/locations.py
    if (checkout / "pyproject.toml").is_file() and (checkout / "configs").is_dir():
        return checkout
    return installed_data_root()


def installed_data_root() -> Path:
    """Where a wheel install keeps the shipped folders (a real directory: wheels are unpacked)."""
    from importlib.resources import files

    return Path(str(files("sovtui") / "_shipped"))


def shipped_config_file() -> Path:
    return project_root() / "configs" / "sovtui.yaml"


def shipped_presets_dir() -> Path:
    return project_root() / "configs" / "presets"


def user_presets_dir() -> Path:
    return config_dir() / "presets"


def shipped_themes_dir() -> Path:
    return project_root() / "themes"


def user_themes_dir() -> Path:
    return config_dir() / "themes"


def deployments_dir() -> Path:
    return project_root() / "deployments"
