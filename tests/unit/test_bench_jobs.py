"""`sovtui bench` picks its cluster like every command, and builds its job like presets do
(no Ray needed; the job itself runs against a real head in tests/integration/test_bench_cli.py)."""

from __future__ import annotations

import argparse
import json
import socket
from collections.abc import Sequence
from typing import Any

import pytest

from sovtui import __version__
from sovtui.bench import jobs, runner
from sovtui.bench.metrics import parse_line
from sovtui.cli import bench
from sovtui.presets.launch import META_PACKAGE, META_PARAMS, META_VERSION, launch_info
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.packages import build_package

RESULT = (
    'SOVTUI_METRIC {"workload":"sort","phase":"result","method":"sovtui",'
    '"seconds":2,"keys_per_s":5}'
)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(autouse=True)
def _nothing_at_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """No dashboard answers at the default address, whatever runs on this machine."""
    monkeypatch.setenv("SOVTUI_DEFAULT_ADDRESS", f"http://127.0.0.1:{_closed_port()}")


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="sovtui")
    bench.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return int(args.handler(args))


def test_job_spec_is_labelled_like_a_preset_job() -> None:
    package = build_package()
    params = {"keys": 10, "workers": [1, 2], "baselines": False}
    spec = jobs.bench_job_spec("sort_bench", ["--keys", "10"], "sort", params, package.uri)
    assert spec.entrypoint == "python -m sovtui.workloads.sort_bench --keys 10"
    assert spec.runtime_env["working_dir"] == package.uri
    assert spec.runtime_env["env_vars"]["PYTHONUNBUFFERED"] == "1"
    assert spec.metadata[jobs.META_BENCH] == "sort"
    assert json.loads(spec.metadata[META_PARAMS]) == params
    assert spec.metadata[META_VERSION] == __version__
    assert spec.metadata[META_PACKAGE] == package.uri
    info = launch_info(spec.metadata)  # what the Job screen reads back
    assert info.params == params and info.package == package.uri and info.preset is None
    with pytest.raises(ValueError):
        jobs.bench_job_spec("rm -rf", [], "sort", {}, None)


class _FakeJob:
    """Stands in for `run_job`: records how it was called, answers one result."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    async def __call__(
        self, client: DashboardClient, name: str, args: Sequence[str], **kwargs: Any
    ) -> jobs.BenchJob:
        self.calls.append({"address": client.address, "name": name, "args": list(args), **kwargs})
        record = parse_line(RESULT)
        assert record is not None
        return jobs.BenchJob(returncode=0, records=[record], submission_id="sovtui-bench-sort-1")


@pytest.mark.parametrize(
    ("argv", "env", "address", "source"),
    [
        (["--address", "127.0.0.1:9"], {}, "http://127.0.0.1:9", "--address"),
        ([], {"RAY_API_SERVER_ADDRESS": "http://h:1"}, "http://h:1", "$RAY_API_SERVER_ADDRESS"),
        ([], {"RAY_ADDRESS": "http://h:2"}, "http://h:2", "$RAY_ADDRESS"),
        ([], {"SOVTUI_ADDRESS": "http://h:3"}, "http://h:3", "config"),
    ],
)
def test_a_dashboard_runs_the_bench_as_a_ray_job(
    argv: list[str],
    env: dict[str, str],
    address: str,
    source: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    fake = _FakeJob()
    monkeypatch.setattr(bench, "run_job", fake)
    monkeypatch.setattr(bench, "run_workload", pytest.fail)
    code = _cli(["bench", "sort", "--keys", "10", "--workers", "1,2", "--json", "--no-save", *argv])
    assert code == 0
    (call,) = fake.calls
    assert call["address"] == address and call["name"] == "sort_bench"
    assert call["args"] == ["--keys", "10", "--repeat", "1", "--scaling", "1,2"]  # no local head
    assert call["workload"] == "sort" and call["params"]["keys"] == 10
    document = json.loads(capsys.readouterr().out)
    assert document["results"] == [{"method": "sovtui", "seconds": 2.0, "keys_per_s": 5.0}]
    metadata = document["metadata"]
    assert (metadata["mode"], metadata["address"], metadata["source"]) == (
        "ray job",
        address,
        source,
    )
    assert metadata["submission_id"] == "sovtui-bench-sort-1"


def test_no_dashboard_means_a_private_head(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[tuple[list[str], str | None]] = []

    def fake_workload(name: str, args: Sequence[str], address: str | None, **_: Any) -> Any:
        seen.append((list(args), address))
        record = parse_line(RESULT)
        assert record is not None
        return runner.WorkloadRun(returncode=0, records=[record])

    monkeypatch.setattr(bench, "run_workload", fake_workload)
    monkeypatch.setattr(bench, "run_job", pytest.fail)
    assert _cli(["bench", "sort", "--keys", "10", "--local-cpus", "3", "--json", "--no-save"]) == 0
    assert seen == [(["--keys", "10", "--repeat", "1", "--local-cpus", "3"], None)]
    metadata = json.loads(capsys.readouterr().out)["metadata"]
    assert (metadata["mode"], metadata["address"]) == ("subprocess", "private local head")

    seen.clear()
    assert _cli(["bench", "sort", "--keys", "10", "--address", "auto", "--no-save"]) == 0
    assert seen == [(["--keys", "10", "--repeat", "1"], "auto")]  # attached: no --local-cpus

    # No --keys: the workload sizes the sort from the cluster's object store.
    seen.clear()
    argv = ["bench", "sort", "--address", "auto", "--no-save", "--baselines", "--no-ray-data"]
    assert _cli([*argv, "--numpy-simd", "default"]) == 0
    assert seen == [
        (["--numpy-simd", "default", "--baselines", "--no-ray-data", "--repeat", "1"], "auto")
    ]
