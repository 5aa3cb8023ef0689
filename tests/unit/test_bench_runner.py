"""Workload subprocess plumbing and the CLI's address handling (no Ray needed)."""

from __future__ import annotations

import argparse
import sys

import pytest

from sovtui.bench import runner
from sovtui.cli import bench
from sovtui.cli.common import UserError


def test_workload_command_and_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.workload_command("sort_bench", ["--keys", "5"]) == [
        sys.executable,
        "-m",
        "sovtui.workloads.sort_bench",
        "--keys",
        "5",
    ]
    with pytest.raises(ValueError):
        runner.workload_command("rm -rf", [])
    monkeypatch.setenv("RAY_ADDRESS", "elsewhere:6379")
    assert "RAY_ADDRESS" not in runner.workload_env(None)  # private head: never attach
    assert runner.workload_env("10.0.0.5:6379")["RAY_ADDRESS"] == "10.0.0.5:6379"


def test_run_workload_collects_metrics_and_output(monkeypatch: pytest.MonkeyPatch) -> None:
    script = (
        "print('hello'); "
        'print(\'SOVTUI_METRIC {"workload":"w","phase":"result","seconds":1}\'); '
        "print('SOVTUI_METRIC {broken'); raise SystemExit(3)"
    )
    command = [sys.executable, "-c", script]
    monkeypatch.setattr(runner, "workload_command", lambda name, args: command)
    seen: list[str] = []
    result = runner.run_workload("sort_bench", [], on_line=seen.append)
    assert result.returncode == 3
    assert seen == ["hello"] and result.output == ["hello"]
    assert [r.phase for r in result.records] == ["result"]
    assert result.malformed == 1


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        (None, None),
        ("auto", "auto"),
        ("ray://head:10001", "ray://head:10001"),
        # Anything else names a dashboard, as for every other command.
        ("10.0.0.5:8265", None),
        ("http://h:8265", None),
    ],
)
def test_ray_address(address: str | None, expected: str | None) -> None:
    assert bench._ray_address(argparse.Namespace(address=address)) == expected


def test_worker_list_parsing() -> None:
    assert bench._worker_list("4,1,2,2") == [1, 2, 4]
    for bad in ("0,1", "a", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            bench._worker_list(bad)


def test_failed_workload_is_a_user_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bench, "attach_connection", lambda *a, **k: None)  # no dashboard
    monkeypatch.setattr(
        bench,
        "run_workload",
        lambda *a, **k: runner.WorkloadRun(returncode=1, output=["sort_bench: FAILED: boom"]),
    )
    parser = argparse.ArgumentParser()
    bench.register(parser.add_subparsers())
    args = parser.parse_args(["bench", "sort", "--keys", "10", "--no-save"])
    with pytest.raises(UserError, match="boom"):
        args.handler(args)
