"""The flight recorder end to end against a real Ray head, without the TUI.

The dashboard's polling path (DashboardClient.snapshot) feeds the recorder's hook; a job runs
and ends; sovtui "restarts" (a new Recorder on the same file); the cluster becomes unreachable;
`sovtui history` then shows the cluster with the job, its log tail and its efficiency note.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time

import pytest

from sovtui.bench.metrics import MetricRecord, parse_line
from sovtui.cli import main
from sovtui.cluster.connect import Connection
from sovtui.cluster.ports import free_port
from sovtui.ray_api.client import DashboardClient
from sovtui.ray_api.errors import DashboardError
from sovtui.ray_api.jobs import JobsApi, JobSpec
from sovtui.recorder import query
from sovtui.recorder.recorder import Recorder, start_recording
from sovtui.recorder.writer import RECORDING
from sovtui.settings.model import Settings
from tests.support.tokens import no_token

pytestmark = pytest.mark.ray

BUSY_JOB = (
    'python -c "import ray, time; ray.init(); t = time.time()\n'
    "while time.time() - t < 5: sum(range(100000))\n"
    'print(\'SOVTUI_METRIC {\\"workload\\": \\"spin\\", \\"phase\\": \\"done\\", '
    '\\"rate\\": 1.5}\', flush=True)"'
)


async def poll_until(
    connection: Connection, recorder: Recorder, done: object, timeout: float = 120.0
) -> None:
    """The dashboard's loop: one snapshot, handed to the recorder, until `done()` says so."""
    deadline = time.monotonic() + timeout
    while True:
        snapshot = await connection.client.snapshot()
        recorder.submit(snapshot)
        if done(snapshot):  # type: ignore[operator]
            return
        assert time.monotonic() < deadline, "the job did not end in time"
        await asyncio.sleep(0.5)


def test_a_job_recorded_survives_a_restart_and_shows_in_history(
    ray_connection: Connection, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings()
    submission = f"recorded-{secrets.token_hex(4)}"

    async def scenario() -> None:
        jobs = JobsApi(ray_connection.client)
        recorder = start_recording(settings, ray_connection)
        try:
            await poll_until(ray_connection, recorder, lambda s: True)
            await jobs.submit(JobSpec(entrypoint=BUSY_JOB), submission)

            def ended(snapshot: object) -> bool:
                found = [j for j in snapshot.jobs if j.submission_id == submission]  # type: ignore[attr-defined]
                return bool(found) and found[0].is_terminal

            await poll_until(ray_connection, recorder, ended)
            await poll_until(ray_connection, recorder, lambda s: True)
            log = await jobs.logs(submission)
            recorder.submit_job_log(submission, log)
            records = [r for r in map(_metric, log.splitlines()) if r is not None]
            recorder.submit_metrics(submission, records)
            assert recorder.flush(30)
            assert recorder.state.kind == RECORDING, recorder.state
        finally:
            recorder.close()
        # "Restart": a new recorder on the same cluster appends to the same file.
        again = start_recording(settings, ray_connection)
        try:
            await poll_until(ray_connection, again, lambda s: True)
            assert again.flush(30) and again.state.kind == RECORDING, again.state
            assert again.path == recorder.path
            with query.opened(again.path) as recording:  # type: ignore[arg-type]
                (job,) = [j for j in recording.jobs() if j.key == submission]
                assert job.status == "SUCCEEDED"
                assert [s for _, s, _ in job.events][-1] == "SUCCEEDED"
                assert job.note and job.note.startswith("CPU ")
                series = recording.series("cpu_pct", since=recording.last_seen - 600)
                assert len(series) >= 3
            # The cluster goes away: the poll fails, and that is how the recording ends.
            gone = DashboardClient(f"http://127.0.0.1:{free_port()}", no_token(), timeout=2)
            try:
                await gone.snapshot()
            except DashboardError as error:
                again.submit_failure(f"{error.state}: {error}")
            finally:
                await gone.aclose()
            assert again.flush(30)
        finally:
            again.close()

    asyncio.run(scenario())
    assert main(["history", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    (cluster,) = [c for c in listed if c["address"] == ray_connection.address]
    assert cluster["mode"] == "embedded" and cluster["jobs"] >= 1
    assert cluster["ended"].startswith("unreachable since") and not cluster["recording"]
    assert cluster["session_name"].startswith("session_")
    assert main(["history", "show", cluster["key"], "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    (job,) = [j for j in document["jobs"] if j["key"] == submission]
    assert job["efficiency"].startswith("CPU ") and "cores over" in job["efficiency"]
    assert "SOVTUI_METRIC" in job["log_tail"]
    assert job["duration_s"] and job["duration_s"] >= 5
    assert [m["measures"] for m in document["bench_metrics"] if m["job"] == submission] == [
        {"rate": 1.5}
    ]
    assert main(["history", "show", cluster["key"]]) == 0
    text = capsys.readouterr().out
    assert submission in text and job["efficiency"] in text


def _metric(line: str) -> MetricRecord | None:
    try:
        return parse_line(line)
    except ValueError:
        return None
