from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.cli import main
from sovtui.settings.model import ConfigError
from sovtui.settings.sources import load_settings


def test_shipped_defaults_load() -> None:
    settings = load_settings(environ={})
    assert settings.interval == 2.0
    assert settings.theme == "sovtui-dark"


def test_user_file_overrides_shipped_and_env_overrides_user(tmp_path: Path) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 5\ntheme: sovtui-light\nembedded:\n  num_cpus: 1\n")
    settings = load_settings(user_file=user, environ={"SOVTUI_INTERVAL": "7"})
    assert settings.interval == 7.0
    assert settings.theme == "sovtui-light"
    assert settings.embedded.num_cpus == 1
    nested = load_settings(user_file=user, environ={"SOVTUI_EMBEDDED__NUM_CPUS": "3"})
    assert nested.embedded.num_cpus == 3


def test_command_line_overrides_everything(tmp_path: Path) -> None:
    user = tmp_path / "sovtui.yaml"
    user.write_text("interval: 5\n")
    settings = load_settings(
        user_file=user, environ={"SOVTUI_INTERVAL": "7"}, overrides={"interval": 1}
    )
    assert settings.interval == 1.0


@pytest.mark.parametrize(
    ("text", "field", "reason"),
    [
        ("interval: -1\n", "interval", "greater than or equal"),
        ("interval: fast\n", "interval", "valid number"),
        ("colour: blue\n", "colour", "Extra inputs"),
        ("embedded:\n  num_cpus: 0\n", "embedded.num_cpus", "greater than or equal"),
    ],
)
def test_invalid_user_file_names_file_field_reason(
    tmp_path: Path, text: str, field: str, reason: str
) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(user_file=user, environ={})
    assert caught.value.source == str(user)
    assert caught.value.field == field
    assert reason in caught.value.reason


def test_yaml_syntax_error_names_line(tmp_path: Path) -> None:
    user = tmp_path / "broken.yaml"
    user.write_text("interval: 2\ntheme: [unclosed\n")
    with pytest.raises(ConfigError, match=r"broken\.yaml.*line \d+"):
        load_settings(user_file=user, environ={})


def test_bad_environment_value_is_named() -> None:
    with pytest.raises(ConfigError, match="SOVTUI_INTERVAL"):
        load_settings(environ={"SOVTUI_INTERVAL": "soon"})


def test_cli_exits_2_on_invalid_config(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    user = tmp_path / "bad.yaml"
    user.write_text("interval: 0\n")
    code = main(["status", "--config", str(user)])
    err = capsys.readouterr().err
    assert code == 2
    assert str(user) in err and "interval" in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_validated_settings_round_trip_into_the_dataclasses() -> None:
    """The shipped file spells out the defaults: validated and rebuilt, they equal Settings()."""
    from sovtui.settings.model import EmbeddedHeadSettings, Settings

    settings = load_settings(environ={})
    assert settings == Settings()
    assert isinstance(settings.embedded, EmbeddedHeadSettings)
    assert isinstance(settings.interval, float) and isinstance(settings.history_points, int)


def test_the_tui_command_exits_2_on_invalid_config_before_drawing(tmp_path: Path) -> None:
    """`sovtui --config BAD`: the TUI path reports like status."""
    import os
    import subprocess
    import sys

    user = tmp_path / "bad.yaml"
    user.write_text("interval: 0\n")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path / "cache"))
    run = subprocess.run(
        [sys.executable, "-m", "sovtui", "--config", str(user)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and str(user) in lines[0] and "interval" in lines[0]
