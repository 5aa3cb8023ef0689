"""Exit codes of the compose subcommands: 2 for bad input, 1 for run-time failures."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from sovtui.cli import compose
from sovtui.cli.common import EXIT_BAD_INPUT, EXIT_FAILURE, UserError

SHIPPED = Path(__file__).resolve().parents[2] / "deployments" / "compose" / "cpu-ray-cluster.yaml"


def _run(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    compose.register(parser.add_subparsers())
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except UserError as error:
        return error.exit_code


@pytest.fixture(autouse=True)
def _state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path))


def test_missing_file_is_bad_input() -> None:
    assert _run("up", "does-not-exist.yaml") == EXIT_BAD_INPUT


def test_invalid_file_is_bad_input(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("services:\n  ray-head:\n    image: x\n    bogus: 1\n")
    assert _run("up", str(bad)) == EXIT_BAD_INPUT


def test_bad_project_name_is_rejected_by_argparse() -> None:
    with pytest.raises(SystemExit) as caught:
        _run("down", "--project", "Not Valid")
    assert caught.value.code == EXIT_BAD_INPUT


def test_no_engine_is_a_runtime_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent")
    assert _run("ps", "--project", "nothing") == EXIT_FAILURE
    assert _run("up", str(SHIPPED), "--project", "nothing") == EXIT_FAILURE


def test_scale_without_cluster_is_a_runtime_failure() -> None:
    assert _run("scale", "2", "--project", "never-started") == EXIT_FAILURE
