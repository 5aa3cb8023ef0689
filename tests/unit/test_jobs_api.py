"""JobsApi against a scripted transport: the retries a fresh head needs, and Ray's errors shown."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime

import httpx
import pytest

from sovtui.ray_api.auth import TokenLookup
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardRejected, ray_reason
from sovtui.ray_api.jobs import JobsApi, JobSpec, new_submission_id
from sovtui.ray_api.packages import build_package

NO_AGENT = "No available agent to submit job, please try again later."
TRACEBACK_500 = (
    'Traceback (most recent call last):\n  File "x.py", line 1, in f\n'
    "RuntimeError: Request failed with status code 400: Traceback ...\n"
    "ValueError: Job with submission_id {sid} already exists. "
    "Please use a different submission_id.\n"
)


def _api(handler: Callable[[httpx.Request], httpx.Response]) -> tuple[JobsApi, list[float]]:
    client = DashboardClient(
        "http://127.0.0.1:1",
        TokenLookup("secret-token", "test"),
        transport=httpx.MockTransport(handler),
    )
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    return JobsApi(client, sleep=sleep, agent_wait_s=30), slept


async def test_no_agent_is_retried_with_backoff() -> None:
    calls: list[dict[str, object]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/jobs/"  # the trailing slash matters to Ray
        assert request.headers["authorization"] == "Bearer secret-token"
        calls.append(json.loads(request.content))
        if len(calls) < 4:
            return httpx.Response(500, text=NO_AGENT)
        return httpx.Response(200, json={"job_id": None, "submission_id": "sovtui-x-1"})

    api, slept = _api(handler)
    submitted = await api.submit(JobSpec(entrypoint="echo hi", entrypoint_num_cpus=1), "sovtui-x-1")
    assert submitted.submission_id == "sovtui-x-1" and submitted.attempts == 4
    assert slept == [0.5, 1.0, 2.0]
    assert calls[0] == {
        "entrypoint": "echo hi",
        "submission_id": "sovtui-x-1",
        "metadata": {},
        "runtime_env": {},
        "entrypoint_num_cpus": 1,
    }


async def test_no_agent_gives_up_after_the_deadline() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500, text=NO_AGENT)

    api, _ = _api(handler)
    api.agent_wait_s = 0
    with pytest.raises(DashboardRejected, match="No available agent"):
        await api.submit(JobSpec(entrypoint="echo"), "sovtui-x-1")


async def test_duplicate_id_is_renamed_once() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sid = json.loads(request.content)["submission_id"]
        seen.append(sid)
        return httpx.Response(500, text=TRACEBACK_500.format(sid=sid))

    api, _ = _api(handler)
    with pytest.raises(DashboardRejected) as caught:
        await api.submit(JobSpec(entrypoint="echo"), "sovtui-x-1")
    assert len(seen) == 2 and seen[1].startswith("sovtui-x-1-")  # one retry, not a loop
    assert "HTTP 500" in str(caught.value)
    assert "already exists" in str(caught.value)
    assert "Traceback" not in str(caught.value)  # the reason, not the whole traceback
    assert "Traceback" in caught.value.body


async def test_other_errors_carry_rays_text() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text="Traceback...\nTypeError: entrypoint must be a string")

    api, slept = _api(handler)
    with pytest.raises(DashboardRejected, match=r"HTTP 400.*entrypoint must be a string"):
        await api.submit(JobSpec(entrypoint="echo"), "sovtui-x-1")
    assert slept == []


def test_submission_ids_are_readable() -> None:
    when = datetime(2025, 3, 4, 5, 6, 7)
    assert new_submission_id("sort-bench", when) == "sovtui-sort-bench-20250304-050607"


def test_ray_reason_is_the_last_line() -> None:
    assert ray_reason("Traceback\n  x\nValueError: bad\n\n") == "ValueError: bad"
    assert ray_reason("OSError: cannot decode the log\n.\n") == "OSError: cannot decode the log"
    assert ray_reason(" . \n") == "(no reason given)"
    assert ray_reason("") == "(no reason given)"


def test_packages_are_deterministic_and_skip_caches(tmp_path: object) -> None:
    from pathlib import Path

    root = Path(str(tmp_path))
    (root / "sovtui" / "workloads" / "__pycache__").mkdir(parents=True)
    (root / "sovtui" / "__init__.py").write_text("")
    (root / "sovtui" / "workloads" / "b.py").write_text("B = 1\n")
    (root / "sovtui" / "workloads" / "a.py").write_text("A = 1\n")
    (root / "sovtui" / "workloads" / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"x")
    first = build_package(root)
    (root / "sovtui" / "workloads" / "a.py").touch()  # a new mtime must not change the bytes
    assert build_package(root) == first
    import io
    import zipfile

    names = zipfile.ZipFile(io.BytesIO(first.data)).namelist()
    assert names == ["sovtui/__init__.py", "sovtui/workloads/a.py", "sovtui/workloads/b.py"]
    assert first.uri == f"gcs://_ray_pkg_{first.sha1}.zip"
    (root / "sovtui" / "workloads" / "a.py").write_text("A = 2\n")
    assert build_package(root).sha1 != first.sha1
