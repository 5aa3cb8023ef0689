"""Against a real Ray head started the way sovtui starts its embedded one."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from sovtui.cli import main
from sovtui.cluster.connect import MODE_EMBEDDED, Connection, open_connection
from sovtui.cluster.embedded_head import EmbeddedHead, start_embedded_head
from sovtui.cluster.ports import free_port
from sovtui.ray_api.jobs import JobsApi, JobSpec
from sovtui.settings.model import EmbeddedHeadSettings, Settings
from sovtui.tui.widgets.connection_banner import ConnectionBanner
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.app_factory import AppFactory
from tests.support.head_processes import alive
from tests.support.ray_cli import ray_job_submit
from tests.support.waiting import wait_for

pytestmark = pytest.mark.ray


def status_json(head: EmbeddedHead, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    os.environ["RAY_AUTH_TOKEN"] = head.token
    try:
        code = main(["status", "--json", "--address", head.dashboard_url])
    finally:
        del os.environ["RAY_AUTH_TOKEN"]
    captured = capsys.readouterr()
    assert code == 0, captured.err
    document: dict[str, Any] = json.loads(captured.out)
    return document


def test_status_shows_one_alive_node_with_this_machines_cpus(
    ray_head: EmbeddedHead, capsys: pytest.CaptureFixture[str]
) -> None:
    document = status_json(ray_head, capsys)
    assert document["ray_version"] == "2.60.0"
    assert document["mode"] == "attached"
    (node,) = document["nodes"]
    assert node["state"] == "ALIVE" and node["is_head"]
    assert node["resources_total"]["CPU"] == os.cpu_count()
    assert document["totals"]["CPU"][1] == os.cpu_count()


def test_job_from_ray_cli_shows_in_status_and_jobs_table(
    ray_head: EmbeddedHead,
    ray_connection: Connection,
    app_factory: AppFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    submission_id = ray_job_submit(
        ray_head, f"sovtui-it-{int(time.time())}", "print('hello from the integration test')"
    )
    document = status_json(ray_head, capsys)
    jobs = {job["submission_id"]: job for job in document["jobs"]}
    assert jobs[submission_id]["status"] == "SUCCEEDED"
    assert "hello from the integration test" in jobs[submission_id]["entrypoint"]

    async def watch() -> None:
        app = app_factory(ray_connection, Settings(interval=1.0))
        async with app.run_test(size=(140, 40)) as pilot:
            await wait_for(pilot, lambda: app.snapshot is not None)
            table = app.screen.query_one(JobsTable)
            assert submission_id in [key.value for key in table.rows]
            row = table.get_row(submission_id)
            assert str(row[1]) == "SUCCEEDED"
            assert app.screen.query_one(NodeTable).row_count == 1

    asyncio.run(watch())


def test_tui_recovers_when_the_cluster_comes_up(app_factory: AppFactory) -> None:
    """Start the TUI at an address where nothing runs yet, then start a real head there."""
    port = free_port()
    settings = Settings(interval=0.5, max_backoff=1.0)
    connection = open_connection(settings, cli_address=f"http://127.0.0.1:{port}")
    started: list[EmbeddedHead] = []

    def start_head() -> None:
        started.append(start_embedded_head(EmbeddedHeadSettings(dashboard_port=port, num_cpus=1)))

    async def scenario() -> None:
        app = app_factory(connection, settings)
        async with app.run_test(size=(120, 30)) as pilot:
            await wait_for(pilot, lambda: app.link.state == "disconnected")
            assert "retrying in" in str(app.screen.query_one(ConnectionBanner).render())
            thread = threading.Thread(target=start_head)
            thread.start()
            await wait_for(pilot, lambda: not thread.is_alive(), 300, what="the head to start")
            assert started, "the head did not start"
            # The head gets a fresh token; hand it over as a user would via RAY_AUTH_TOKEN.
            from sovtui.ray_api.auth import explicit_token

            await connection.client.retarget(
                started[0].dashboard_url, explicit_token(started[0].token, "test")
            )
            await wait_for(pilot, lambda: app.link.healthy and app.snapshot is not None)
            assert app.link.healthy
            assert not app.screen.query_one(ConnectionBanner).display
            assert app.screen.query_one(NodeTable).row_count == 1

    try:
        asyncio.run(scenario())
    finally:
        for head in started:
            head.stop()


def test_embedded_mode_starts_and_stops_its_own_head() -> None:
    settings = Settings(
        default_address=f"http://127.0.0.1:{free_port()}", embedded=EmbeddedHeadSettings(num_cpus=1)
    )
    connection = open_connection(settings)
    assert connection.mode == MODE_EMBEDDED
    assert connection.head is not None
    assert connection.label.startswith("embedded · http://127.0.0.1:")
    head = connection.head

    async def look() -> int:
        snapshot = await connection.client.snapshot()
        await connection.close()
        return len(snapshot.alive_nodes)

    assert asyncio.run(look()) == 1
    assert not head.running()
    assert not head.temp_dir.exists()


def test_a_job_still_running_ends_with_the_head(tmp_path: Path) -> None:
    """Ray starts a job's driver in a session of its own, out of the head's process group:
    stopping the head alone left it running, orphaned. sovtui stops the head's jobs first."""
    settings = Settings(
        default_address=f"http://127.0.0.1:{free_port()}", embedded=EmbeddedHeadSettings(num_cpus=1)
    )
    connection = open_connection(settings)
    assert connection.head is not None
    pid_file = tmp_path / "driver.pid"
    entrypoint = (
        f'{sys.executable} -c "import os, time; '
        f"open('{pid_file}', 'w').write(str(os.getpid())); time.sleep(600)\""
    )

    async def run_then_close() -> int:
        jobs = JobsApi(connection.client)
        submitted = await jobs.submit(JobSpec(entrypoint), "sovtui-outlives-its-head")
        deadline = time.monotonic() + 90
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert pid_file.exists(), (await jobs.job(submitted.submission_id)).status
        driver = int(pid_file.read_text())
        assert alive(driver)
        await connection.client.aclose()  # as the app leaves it: its client closed already
        await connection.close()
        return driver

    driver = asyncio.run(run_then_close())
    try:
        assert not alive(driver), "the job's driver outlived the head"
    finally:
        if alive(driver):
            os.kill(driver, signal.SIGKILL)
