"""`sovtui bench` end to end (no ray in this process): with no dashboard, the workload
subprocess starts its own private Ray head; with one, the workload runs there as a Ray job
through the shared jobs core. Either way its metrics lines come back as the JSON report."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from sovtui.bench.jobs import META_BENCH
from sovtui.cli import bench
from sovtui.cli.common import UserError
from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.cluster.ports import free_port
from sovtui.presets.launch import launch_info
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.jobs import JobsApi
from sovtui.ray_api.models import JobDetails

pytestmark = pytest.mark.ray


@pytest.fixture(autouse=True)
def _tmp_xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("RAY_ADDRESS", raising=False)
    # Whatever answers on this machine's default dashboard port, "no address" means no address.
    monkeypatch.setenv("SOVTUI_DEFAULT_ADDRESS", f"http://127.0.0.1:{free_port()}")


def _cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="sovtui")
    bench.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.handler(args)
    return code, capsys.readouterr().out


def _methods(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["method"]: row for row in document["results"]}


def test_bench_sort_json_with_baselines_and_scaling(capsys: pytest.CaptureFixture[str]) -> None:
    code, out = _cli(
        [
            "bench",
            "sort",
            "--keys",
            "40000",
            "--baselines",
            "--workers",
            "1,2,8",
            "--local-cpus",
            "2",
            "--json",
        ],
        capsys,
    )
    assert code == 0
    document = json.loads(out)  # stdout is only the JSON document in --json mode
    assert document["workload"] == "sort" and document["params"]["keys"] == 40000
    methods = _methods(document)
    assert set(methods) == {"sovtui", "limit", "numpy", "ray_data"}
    assert all(row["seconds"] > 0 and row["keys_per_s"] > 0 for row in methods.values())
    assert methods["limit"]["seconds"] < methods["sovtui"]["seconds"]
    assert 0 < methods["limit"]["cores_used"] <= 2.1 and 0 < methods["numpy"]["cores_used"] <= 1.05
    assert methods["sovtui"]["cpu_s"] > 0 and methods["limit"]["cpu_s"] > 0
    numpy_row = methods["numpy"]  # the ceiling any sort here has over numpy.sort, and sovtui's
    assert numpy_row["limit_speedup"] == pytest.approx(
        numpy_row["seconds"] / methods["limit"]["seconds"]
    )
    assert numpy_row["sovtui_speedup"] == pytest.approx(
        numpy_row["seconds"] / methods["sovtui"]["seconds"]
    )
    assert document["metadata"]["verified"] is True
    assert document["metadata"]["cpus"] == 2
    # the machine, so that runs on different machines are not compared blindly
    metadata = document["metadata"]
    assert metadata["numpy_version"] and metadata["numpy_sort_simd"]
    assert metadata["cpu_model"] and metadata["cpu_cores"] >= 1
    saved = json.loads(Path(document["saved"]).read_text())
    assert _methods(saved)["limit"] == methods["limit"]
    assert saved["metadata"]["numpy_sort_simd"] == metadata["numpy_sort_simd"]
    points = document["scaling"]
    assert [p["workers"] for p in points] == [1, 2]  # 8 capped at the cluster's 2 CPUs
    assert all({"speedup", "efficiency", "ideal_s", "brent_s"} <= set(p) for p in points)
    assert Path(document["saved"]).is_file()

    code, out = _cli(["bench", "history", "--json"], capsys)
    assert code == 0 and json.loads(out)[0]["run_id"] == document["run_id"]


def test_bench_train_small(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("sklearn")
    code, out = _cli(
        [
            "bench",
            "train",
            "--epochs",
            "1",
            "--repeat-data",
            "1",
            "--batch-size",
            "128",
            "--workers",
            "1",
            "--baselines",
            "--local-cpus",
            "2",
            "--no-save",
        ],
        capsys,
    )
    assert code == 0
    assert "torch_single" in out and "samples/s" in out


PORT_FLAGS = (
    "port",
    "dashboard-port",
    "dashboard-agent-listen-port",
    "dashboard-agent-grpc-port",
    "metrics-export-port",
    "runtime-env-agent-port",
    "node-manager-port",
    "object-manager-port",
)


@pytest.fixture
def dashboard_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A private `ray start --head --block` with free ports (others may run Ray on this box),
    its own temp dir (so no `ray.init()` elsewhere auto-attaches to it) and a fresh token."""
    token = secrets.token_hex(16)
    monkeypatch.setenv("RAY_AUTH_TOKEN", token)  # the CLI sends it as a Bearer token
    ports = {flag: free_port() for flag in PORT_FLAGS}
    # Short path: Ray's unix sockets live under it, and socket paths are limited to ~107 bytes.
    temp_dir = tempfile.mkdtemp(prefix="sovtui-ray-", dir="/tmp")
    command = [
        str(Path(sys.executable).with_name("ray")),
        "start",
        "--head",
        "--block",
        "--num-cpus",
        "2",
        "--include-dashboard",
        "true",
        "--dashboard-host",
        "127.0.0.1",
        "--disable-usage-stats",
        "--temp-dir",
        temp_dir,
        *[f"--{flag}={port}" for flag, port in ports.items()],
    ]
    head = subprocess.Popen(
        command,
        env={
            **os.environ,
            "RAY_AUTH_MODE": "token",
            "RAY_AUTH_TOKEN": token,
            # Job entrypoints run `python`: make it this interpreter, as an activated venv would.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]),
        },
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "ray-start.log").open("w"),
        start_new_session=True,  # its own process group: teardown stops exactly what we started
    )
    try:
        yield f"http://127.0.0.1:{ports['dashboard-port']}"  # the CLI retries until jobs work
    finally:
        os.killpg(head.pid, signal.SIGTERM)
        try:
            head.wait(timeout=90)
        except subprocess.TimeoutExpired:
            os.killpg(head.pid, signal.SIGKILL)
            head.wait(timeout=30)
        shutil.rmtree(temp_dir, ignore_errors=True)


def _job(head: EmbeddedHead, submission_id: str) -> JobDetails:
    async def read() -> JobDetails:
        client = DashboardClient(head.dashboard_url, explicit_token(head.token, "test head"))
        try:
            return await JobsApi(client).job(submission_id)
        finally:
            await client.aclose()

    return asyncio.run(read())


def _check_job_report(document: dict[str, Any], address: str) -> None:
    """Results and metadata that only the job's metrics lines can have produced."""
    metadata = document["metadata"]
    assert (metadata["mode"], metadata["address"]) == ("ray job", address)
    assert metadata["verified"] is True  # the workload's `verify` record
    assert metadata["cpus"] >= 1 and metadata["ray_version"]  # its `start` record
    assert metadata["malformed_metric_lines"] == 0
    assert _methods(document)["sovtui"]["seconds"] > 0
    assert _methods(document)["sovtui"]["keys_per_s"] > 0


def test_bench_sort_as_job_on_a_running_head(
    ray_head: EmbeddedHead, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Through the dashboard URL with the head's token: ship, submit, tail, report."""
    monkeypatch.setenv("RAY_AUTH_TOKEN", ray_head.token)
    argv = ["bench", "sort", "--keys", "30000", "--workers", "1,2", "--json", "--no-save"]
    code, out = _cli([*argv, "--address", ray_head.dashboard_url], capsys)
    assert code == 0
    document = json.loads(out)
    _check_job_report(document, ray_head.dashboard_url)
    assert document["workload"] == "sort" and document["params"]["keys"] == 30000
    assert [point["workers"] for point in document["scaling"]] == [1, 2]
    job = _job(ray_head, document["metadata"]["submission_id"])
    assert job.status == "SUCCEEDED" and "sovtui.workloads.sort_bench" in job.entrypoint
    assert job.metadata is not None and job.metadata[META_BENCH] == "sort"
    info = launch_info(job.metadata)
    assert info.params == document["params"] and info.package

    # The cluster from the environment, as for every command; a missing token is a clear error.
    monkeypatch.setenv("RAY_API_SERVER_ADDRESS", ray_head.dashboard_url)
    monkeypatch.delenv("RAY_AUTH_TOKEN")
    with pytest.raises(UserError, match="unauthorized"):
        _cli(argv, capsys)


def test_bench_sort_on_a_head_still_starting(
    dashboard_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """A head that does not answer yet: the bench waits for it and for its job agent."""
    code, out = _cli(
        ["bench", "sort", "--keys", "30000", "--address", dashboard_url, "--json", "--no-save"],
        capsys,
    )
    assert code == 0
    _check_job_report(json.loads(out), dashboard_url)
