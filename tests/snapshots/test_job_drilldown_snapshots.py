"""Snapshots of the Job screen with its drill-down (the job's actors, its task summary by
function and state, its failed tasks, the log) on answers recorded from a real Ray 2.60 head
(tests/recording/record_job_drilldown_responses.py), with frozen clocks."""

from __future__ import annotations

import json
from typing import Any, cast

import httpx
import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.widgets.resource_table import ResourceTable
from tests.support.app_factory import make_app
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_job_drilldown import JOB_DRILLDOWN, RecordedJobDrilldown
from tests.support.waiting import settle, wait_for, wait_for_poll

# The recorded job was running; the picture is taken two minutes after it started.
JOB_START_S = json.loads((JOB_DRILLDOWN / "job.body").read_text())["start_time"] / 1000
SHOWN_AT = JOB_START_S + 120.0


def socket_not_recorded(request: httpx.Request) -> httpx.Response:
    """The live log's WebSocket was not recorded: it fails like a dropped connection, so the
    screen falls back to reading the recorded `GET /logs` (the same lines Ray's socket sends)."""
    raise httpx.ConnectError("the log socket is not recorded", request=request)


def drilldown_app() -> tuple[SovtuiApp, RecordedJobDrilldown]:
    recorded = RecordedJobDrilldown()
    tail = f"/api/jobs/{recorded.index['submission_id']}/logs/tail"
    recorded.override[tail] = socket_not_recorded
    app = make_app(
        settings=Settings(interval=3600, history_points=10),
        recorded=recorded,
        monotonic=frozen_monotonic,
        clock=lambda: SHOWN_AT,
    )
    return app, recorded


async def job_shown(pilot: Pilot[None], submission_id: str) -> JobScreen:
    app = cast(SovtuiApp, pilot.app)
    await wait_for_poll(pilot)
    await settle(pilot)
    job = JobScreen(app.services, submission_id)
    await app.push_screen(job)
    actors = job.query_one("#job-actors", ResourceTable)
    failed = job.query_one("#job-failed", ResourceTable)
    await wait_for(pilot, lambda: actors.items and failed.items, what="the job's actors and tasks")
    # the log comes once the socket has been given up on (a few one-second retries)
    await wait_for(pilot, lambda: "EXPLORER READY" in job.pane.tail(5), what="the job's log")
    await settle(pilot)
    return job


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_job_drilldown(snap_compare: Any, size: tuple[int, int]) -> None:
    app, recorded = drilldown_app()

    async def run_before(pilot: Pilot[None]) -> None:
        await job_shown(pilot, recorded.index["submission_id"])

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_job_drilldown_failed_tasks_focused(snap_compare: Any) -> None:
    """`a` twice on a short terminal: the failed tasks focused, their cursor on the first row."""
    app, recorded = drilldown_app()

    async def run_before(pilot: Pilot[None]) -> None:
        job = await job_shown(pilot, recorded.index["submission_id"])
        await pilot.press("a", "a")
        assert job.focused is job.query_one("#job-failed", ResourceTable)
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
