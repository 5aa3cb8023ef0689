"""Read-only mode: every command that changes the cluster refuses in one line, exit 2, before
connecting (so nothing here needs a cluster)."""

from __future__ import annotations

from pathlib import Path

import pytest

from sovtui.cli import main
from sovtui.cli.main import split_trailing
from sovtui.settings.sources import load_settings

REFUSED = [
    ["--readonly", "kill-actor", "sovtui-counter"],
    ["kill-actor", "sovtui-counter", "--readonly"],
    ["--readonly", "submit", "--", "echo", "hi"],
    ["--readonly", "submit", "hello-tasks"],
    ["stop", "some-job", "--readonly"],
    ["job", "stop", "some-job", "--readonly"],
    ["job", "delete", "some-job", "--readonly"],
    ["down", "--readonly"],
    ["scale", "2", "--readonly"],
    ["up", "deployments/compose/cpu-ray-cluster.yaml", "--readonly"],
    ["--readonly", "slurm", "up", "--nodes", "1"],
    ["--readonly", "slurm", "down", "some-cluster"],
]


@pytest.mark.parametrize("argv", REFUSED, ids=lambda argv: " ".join(argv))
def test_readonly_flag_refuses(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    # An address nothing answers at: a refusal must come before any connection attempt.
    code = main(["--address", "http://127.0.0.1:9", *argv])
    err = capsys.readouterr().err
    assert code == 2, err
    assert err.startswith("sovtui: read-only mode: refusing to ")
    assert len(err.strip().splitlines()) == 1


def test_environment_and_config_turn_it_on(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SOVTUI_READONLY", "true")
    assert load_settings().readonly
    assert main(["--address", "http://127.0.0.1:9", "kill-actor", "x"]) == 2
    monkeypatch.delenv("SOVTUI_READONLY")
    config = tmp_path / "sovtui.yaml"
    config.write_text("readonly: true\n")
    assert load_settings(user_file=config).readonly
    assert main(["--config", str(config), "job", "delete", "x"]) == 2
    assert "read-only mode" in capsys.readouterr().err


def test_default_is_not_readonly() -> None:
    assert load_settings().readonly is False


def test_bad_readonly_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOVTUI_READONLY", "perhaps")
    assert main(["kill-actor", "x"]) == 2


def test_split_trailing() -> None:
    assert split_trailing(["submit", "--wait", "--", "python", "-c", "x", "--", "y"]) == (
        ["submit", "--wait"],
        ["python", "-c", "x", "--", "y"],
    )
    assert split_trailing(["status"]) == (["status"], None)


def test_trailing_command_only_for_submit(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["status", "--", "echo"])
    assert exited.value.code == 2
    assert "unexpected arguments after --" in capsys.readouterr().err


@pytest.mark.parametrize(
    "argv",
    [
        ["list", "widgets"],
        ["list", "actors", "--filter", "state"],
        ["list", "actors", "--limit", "20000"],
        ["logs"],
        ["logs", "--file", "raylet.out"],
        ["logs", "--node", "n"],
        ["logs", "job", "--actor", "a"],
        ["submit", "hello-tasks", "--", "echo"],
    ],
    ids=lambda argv: " ".join(argv),
)
def test_bad_explorer_input_is_one_line_exit_2(
    argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--address", "http://127.0.0.1:9", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("sovtui: ") and len(err.strip().splitlines()) == 1
