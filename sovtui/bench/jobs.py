"""Run a workload as a Ray Job through the dashboard's HTTP API (no ray import, httpx only).

The workload code is shipped without rebuilding images: the `sovtui/workloads` package is zipped,
uploaded once as `gcs://_ray_pkg_<sha1>.zip` and used as the job's `working_dir`.
Logs are polled (`GET /api/jobs/{id}/logs` returns the whole log so far); only the new tail
is fed to the metrics parser each time.
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import shlex
import time
import zipfile
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from sovtui.bench.metrics import PREFIX, MetricsParser
from sovtui.bench.runner import WORKLOADS, WorkloadRun

TERMINAL = {"SUCCEEDED", "FAILED", "STOPPED"}
AGENT_NOT_READY = "No available agent"


class JobError(Exception):
    """The job could not be submitted or followed; the message says why."""


def package_zip() -> tuple[str, bytes]:
    """(gcs URI, zip bytes) of sovtui/__init__.py + sovtui/workloads/, content-addressed."""
    root = Path(__file__).resolve().parent.parent
    files = [root / "__init__.py", *sorted((root / "workloads").glob("*.py"))]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in files:
            # Fixed timestamps: the same code always gives the same hash, so it uploads once.
            info = zipfile.ZipInfo(f"sovtui/{path.relative_to(root)}", (1980, 1, 1, 0, 0, 0))
            archive.writestr(info, path.read_bytes())
    data = buffer.getvalue()
    return f"gcs://_ray_pkg_{hashlib.sha1(data).hexdigest()}.zip", data


def _headers() -> dict[str, str]:
    """Ray's token-auth convention: RAY_AUTH_TOKEN, else RAY_AUTH_TOKEN_PATH, else
    ~/.ray/auth_token; no header when none is set (clusters without token auth)."""
    token = os.environ.get("RAY_AUTH_TOKEN", "").strip()
    if not token:
        path = os.environ.get("RAY_AUTH_TOKEN_PATH", "").strip()
        candidate = Path(path) if path else Path.home() / ".ray" / "auth_token"
        try:
            token = candidate.read_text().strip()
        except OSError:
            token = ""
    return {"Authorization": f"Bearer {token}"} if token else {}


def _wait_healthy(client: httpx.Client, timeout_s: float) -> None:
    """A head that is still starting refuses connections: wait for /api/gcs_healthz."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if client.get("/api/gcs_healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise JobError(
                f"the Ray dashboard at {client.base_url} did not answer in {timeout_s:.0f} s"
            )
        time.sleep(1.0)


def _upload(client: httpx.Client, uri: str, data: bytes) -> None:
    path = f"/api/packages/gcs/{uri.removeprefix('gcs://')}"
    if client.get(path).status_code == 200:
        return
    response = client.put(path, content=data)
    if response.status_code >= 400:
        raise JobError(f"package upload failed: HTTP {response.status_code} {response.text[:200]}")


def _submit(client: httpx.Client, body: dict, ready_timeout_s: float) -> str:
    deadline = time.monotonic() + ready_timeout_s
    delay = 0.5
    while True:
        response = client.post("/api/jobs/", json=body)  # the trailing slash is required
        if response.status_code < 400:
            return str(response.json().get("submission_id") or body["submission_id"])
        # A fresh head answers health checks seconds before its job agent is up: retry that.
        if AGENT_NOT_READY in response.text and time.monotonic() < deadline:
            time.sleep(delay)
            delay = min(delay * 2, 4.0)
            continue
        raise JobError(f"job submission failed: HTTP {response.status_code} {response.text[:300]}")


def run_job(
    dashboard_url: str,
    name: str,
    args: Sequence[str],
    on_line: Callable[[str], None] | None = None,
    poll_s: float = 1.0,
    timeout_s: float = 3600.0,
    ready_timeout_s: float = 60.0,
) -> WorkloadRun:
    if name not in WORKLOADS:
        raise ValueError(f"unknown workload {name!r}")
    uri, data = package_zip()
    entrypoint = shlex.join(["python", "-m", f"sovtui.workloads.{name}", *args])
    submission_id = f"sovtui-bench-{name}-{secrets.token_hex(4)}"
    parser = MetricsParser()
    result = WorkloadRun(returncode=-1)
    seen, pending = 0, ""
    try:
        with httpx.Client(
            base_url=dashboard_url.rstrip("/"), headers=_headers(), timeout=30.0
        ) as client:
            _wait_healthy(client, ready_timeout_s)
            _upload(client, uri, data)
            job_id = _submit(
                client,
                {
                    "entrypoint": entrypoint,
                    "submission_id": submission_id,
                    "runtime_env": {"working_dir": uri},
                    "metadata": {"sovtui": "bench"},
                },
                ready_timeout_s=ready_timeout_s,
            )
            deadline = time.monotonic() + timeout_s
            status = "PENDING"
            while True:
                status = str(client.get(f"/api/jobs/{job_id}").json().get("status", "UNKNOWN"))
                logs = client.get(f"/api/jobs/{job_id}/logs").json().get("logs", "")
                pending += logs[seen:]
                seen = len(logs)
                *complete, pending = pending.split("\n")
                for line in complete:
                    _take(line, parser, result, on_line)
                if status in TERMINAL:
                    break
                if time.monotonic() > deadline:
                    client.post(f"/api/jobs/{job_id}/stop")
                    raise JobError(f"job {job_id} did not finish in {timeout_s:.0f} s")
                time.sleep(poll_s)
    except httpx.HTTPError as error:
        raise JobError(f"cannot reach the Ray dashboard at {dashboard_url}: {error}") from None
    if pending:
        _take(pending, parser, result, on_line)
    result.records.extend(parser.finish())
    result.malformed = parser.malformed
    result.returncode = 0 if status == "SUCCEEDED" else 1
    return result


def _take(
    line: str, parser: MetricsParser, result: WorkloadRun, on_line: Callable[[str], None] | None
) -> None:
    """One complete log line: metrics go to the parser, everything else to the output."""
    new = parser.feed(line + "\n")
    result.records.extend(new)
    if PREFIX not in line:
        result.output.append(line)
        if on_line:
            on_line(line)
