"""Changed settings and themes are validated by a forked child while the parent loads Textual."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from sovtui.cli.validate_ahead import validate_ahead
from sovtui.settings.model import ConfigError
from sovtui.settings.sources import load_settings
from sovtui.tui.themes import load_themes

ROOT = Path(__file__).resolve().parents[2]


def test_a_changed_config_is_validated_by_the_child_not_the_parent(tmp_path: Path) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 7\n")
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from sovtui.settings.sources import load_settings, settings_cached\n"
        "from sovtui.tui.themes import load_themes, themes_cached\n"
        "from sovtui.cli.validate_ahead import validate_ahead\n"
        f"user = Path({str(user)!r})\n"
        "wait = validate_ahead(user, {})\n"
        "wait()\n"
        "assert settings_cached(user_file=user, overrides={}) and themes_cached()\n"
        "assert load_settings(user_file=user).interval == 7.0 and load_themes().themes\n"
        "print(sorted({'pydantic', 'yaml'} & set(sys.modules)))\n"
    )
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run(
        [sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"  # the parent never imported pydantic or YAML


def test_a_bad_config_is_still_reported_by_the_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 0\n")
    validate_ahead(user, {})()
    with pytest.raises(ConfigError, match="interval"):
        load_settings(user_file=user)


def test_nothing_is_forked_when_nothing_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    load_settings(overrides={})
    load_themes()

    def no_fork() -> int:
        raise AssertionError("forked with everything cached")

    monkeypatch.setattr(os, "fork", no_fork)
    monkeypatch.setattr(threading, "active_count", lambda: 1)  # as in the CLI: no threads yet
    validate_ahead(None, {})()
