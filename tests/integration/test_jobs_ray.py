"""Jobs, packages and live logs against a real Ray head (see conftest.py)."""

from __future__ import annotations

import asyncio
import json
import secrets
import textwrap
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sovtui.cluster.embedded_head import EmbeddedHead
from sovtui.presets.launch import META_PARAMS, META_PRESET, launch
from sovtui.presets.models import Preset
from sovtui.ray_api.auth import explicit_token
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardRejected
from sovtui.ray_api.jobs import JobNotFound, JobsApi, JobSpec
from sovtui.ray_api.logs import LogTail
from sovtui.ray_api.packages import build_package, ensure_package

pytestmark = pytest.mark.ray

LINES_WORKLOAD = textwrap.dedent(
    """
    import argparse, sys, time
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=5)
    parser.add_argument("--delay", type=float, default=0.0)
    parser.add_argument("--marker", default="")
    parser.add_argument("--fail", action="store_true")
    args = parser.parse_args()
    for i in range(args.count):
        print(f"line {i:04d} {args.marker}", flush=True)
        time.sleep(args.delay)
    if args.fail:
        sys.exit(3)
    """
)


@pytest.fixture(scope="module")
def code_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A source tree like sovtui's, holding a tiny test workload (no ray import: fast jobs)."""
    root = tmp_path_factory.mktemp("src")
    (root / "sovtui" / "workloads").mkdir(parents=True)
    (root / "sovtui" / "__init__.py").write_text("")
    (root / "sovtui" / "workloads" / "__init__.py").write_text("")
    (root / "sovtui" / "workloads" / "lines.py").write_text(LINES_WORKLOAD)
    # A unique file: this session's package is new to the head, so the first upload is real.
    (root / "sovtui" / "workloads" / "nonce.txt").write_text(secrets.token_hex(8))
    return root


@pytest.fixture
def lines_preset(code_root: Path) -> Preset:
    return Preset.model_validate(
        {
            "name": "lines",
            "workload": {"module": "sovtui.workloads.lines"},
            "params": [
                {"name": "count", "type": "int", "default": 5, "min": 0},
                {"name": "delay", "type": "float", "default": 0.0, "min": 0},
                {"name": "marker", "type": "str", "default": ""},
                {"name": "fail", "type": "bool", "default": False},
            ],
            "resources": {"entrypoint_num_cpus": 0.5},
        },
        context={"workloads_dir": code_root / "sovtui" / "workloads"},
    )


@pytest.fixture
async def client(ray_head: EmbeddedHead) -> AsyncIterator[DashboardClient]:
    dashboard = DashboardClient(
        ray_head.dashboard_url, explicit_token(ray_head.token, "test head"), timeout=60
    )
    yield dashboard
    await dashboard.aclose()


def ours(lines: list[str]) -> list[str]:
    """The workload's own lines (Ray adds its own, e.g. 'Runtime env is setting up.')."""
    return [line for line in lines if line.startswith("line ")]


async def full_log(client: DashboardClient, job: str) -> list[str]:
    return (await JobsApi(client).logs(job)).splitlines()


def expected_lines(count: int, marker: str) -> list[str]:
    return [f"line {i:04d} {marker}" for i in range(count)]


async def test_submit_succeeds_and_ray_agrees(
    client: DashboardClient, lines_preset: Preset, code_root: Path, ray_head: EmbeddedHead
) -> None:
    jobs = JobsApi(client)
    package = build_package(code_root)
    launched = await launch(
        client, lines_preset, {"count": "3", "marker": "; rm -rf / $(x)"}, package=package
    )
    assert launched.submission_id.startswith("sovtui-lines-")
    details = await jobs.wait(launched.submission_id, timeout_s=180)
    assert details.status == "SUCCEEDED", details
    logs = await jobs.logs(launched.submission_id)
    assert ours(logs.splitlines()) == expected_lines(3, "; rm -rf / $(x)")

    # Ray's own client sees the same job and the same metadata.
    from ray.job_submission import JobSubmissionClient

    ray_client = JobSubmissionClient(
        ray_head.dashboard_url, headers={"Authorization": f"Bearer {ray_head.token}"}
    )
    info = ray_client.get_job_info(launched.submission_id)
    assert info.status.value == "SUCCEEDED"
    assert info.metadata is not None
    assert info.metadata[META_PRESET] == "lines"
    assert json.loads(info.metadata[META_PARAMS])["count"] == 3
    assert info.runtime_env is not None
    assert info.runtime_env["working_dir"] == package.uri
    assert info.entrypoint == launched.entrypoint


async def test_package_upload_is_skipped_when_present(
    client: DashboardClient, tmp_path: Path
) -> None:
    (tmp_path / "sovtui" / "workloads").mkdir(parents=True)
    (tmp_path / "sovtui" / "__init__.py").write_text("")
    (tmp_path / "sovtui" / "workloads" / "x.py").write_text(f"# {secrets.token_hex(8)}\n")
    package = build_package(tmp_path)
    assert build_package(tmp_path).data == package.data  # deterministic bytes
    assert await ensure_package(client, package) is True
    assert await ensure_package(client, package) is False


async def _start(client: DashboardClient, preset: Preset, **given: object) -> str:
    package = build_package(Path(preset_root(preset)))
    launched = await launch(client, preset, given, package=package)
    return launched.submission_id


def preset_root(preset: Preset) -> Path:
    # The fixture's workloads dir is <root>/sovtui/workloads; the module file proves it.
    assert preset.workload.module is not None
    return Path(_CODE_ROOT[0])


_CODE_ROOT: list[Path] = []


@pytest.fixture(autouse=True)
def _remember_root(code_root: Path) -> None:
    _CODE_ROOT[:] = [code_root]


async def test_log_tail_delivers_every_line_once(
    client: DashboardClient, lines_preset: Preset
) -> None:
    job = await _start(client, lines_preset, count=25, delay=0.05, marker="plain")
    tail = LogTail(client, job)
    received = await tail.collect()
    assert ours(received) == expected_lines(25, "plain")
    assert received == await full_log(client, job)


async def test_log_tail_survives_a_dropped_socket(
    client: DashboardClient, lines_preset: Preset
) -> None:
    job = await _start(client, lines_preset, count=40, delay=0.1, marker="drop")
    tail = LogTail(client, job, poll_s=0.2)
    received: list[str] = []
    dropped = asyncio.Event()

    async def on_lines(lines: list[str]) -> None:
        received.extend(lines)
        if not dropped.is_set() and len(ours(received)) >= 3:
            dropped.set()
            await tail.drop()  # the client side cuts the connection mid-stream

    await asyncio.wait_for(tail.follow(on_lines), timeout=180)
    assert dropped.is_set()
    assert tail.reconnects >= 1
    assert ours(received) == expected_lines(40, "drop")
    assert received == await full_log(client, job)


async def test_log_tail_falls_back_to_polling_without_duplicates(
    client: DashboardClient, lines_preset: Preset
) -> None:
    job = await _start(client, lines_preset, count=30, delay=0.1, marker="poll")
    tail = LogTail(client, job, poll_s=0.2)
    received: list[str] = []

    async def on_lines(lines: list[str]) -> None:
        received.extend(lines)
        if tail.mode == "websocket" and len(ours(received)) >= 3 and tail.max_reconnects >= 0:
            tail.max_reconnects = -1  # no more sockets: the next drop must switch to polling
            await tail.drop()

    await asyncio.wait_for(tail.follow(on_lines), timeout=180)
    assert tail.mode == "polling"
    assert ours(received) == expected_lines(30, "poll")
    assert received == await full_log(client, job)


async def test_bad_request_shows_rays_reason(client: DashboardClient) -> None:
    jobs = JobsApi(client)
    spec = JobSpec(entrypoint="echo hi", metadata={"n": 1})  # type: ignore[dict-item]
    with pytest.raises(DashboardRejected) as caught:
        await jobs.submit(spec, f"sovtui-test-bad-{secrets.token_hex(3)}")
    assert caught.value.status_code == 400
    assert "HTTP 400" in str(caught.value)
    assert "metadata values must be strings" in str(caught.value)


async def test_unknown_job_is_not_found(client: DashboardClient) -> None:
    jobs = JobsApi(client)
    with pytest.raises(JobNotFound):
        await jobs.job("sovtui-no-such-job")
    with pytest.raises(JobNotFound):
        await jobs.stop("sovtui-no-such-job")
    with pytest.raises(JobNotFound):
        await LogTail(client, "sovtui-no-such-job").collect()


async def test_duplicate_submission_id_is_retried_with_a_new_id(client: DashboardClient) -> None:
    jobs = JobsApi(client)
    spec = JobSpec(entrypoint="echo duplicate", metadata={"why": "test"})
    submission_id = f"sovtui-dup-{secrets.token_hex(3)}"
    first = await jobs.submit(spec, submission_id)
    second = await jobs.submit(spec, submission_id)
    assert first.submission_id == submission_id
    assert second.submission_id.startswith(submission_id + "-")
    assert second.attempts == 2
    for job in (first.submission_id, second.submission_id):
        assert (await jobs.wait(job, timeout_s=180)).status == "SUCCEEDED"


async def test_job_python_has_ray(client: DashboardClient) -> None:
    """`python` in an entrypoint must be an interpreter with Ray: the module workloads import it."""
    jobs = JobsApi(client)
    spec = JobSpec(entrypoint="python -c 'import ray; print(\"ray\", ray.__version__)'")
    submitted = await jobs.submit(spec, f"sovtui-test-python-{secrets.token_hex(3)}")
    details = await jobs.wait(submitted.submission_id, timeout_s=180)
    logs = await jobs.logs(submitted.submission_id)
    assert details.status == "SUCCEEDED", logs[-2000:]
    assert "ray 2.60.0" in logs.splitlines()
