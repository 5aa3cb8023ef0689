"""Snapshot tests of the Bench screen on benchmark jobs recorded from a real Ray 2.60 head
(tests/recording/record_bench_responses.py: their details and driver logs, SOVTUI_METRIC lines
included), with a frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.bench import BenchScreen
from tests.support.app_factory import AppFactory
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_ray import RAY_260_BENCH, RecordedRay
from tests.support.waiting import settle, wait_for


def bench_app(app_factory: AppFactory, ascii_only: bool = False) -> SovtuiApp:
    return app_factory(
        settings=Settings(interval=3600),
        recorded=RecordedRay(jobs_folder=RAY_260_BENCH),
        monotonic=frozen_monotonic,
        ascii_only=ascii_only,
    )


async def watch_recorded(pilot: Pilot[None], workload: str) -> BenchScreen:
    """Key 4, then watch the recorded job; wait until its log is read and its results saved."""
    job_id = RecordedRay(jobs_folder=RAY_260_BENCH).recorded_job(workload)
    await pilot.press("4")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, BenchScreen))
    screen = pilot.app.screen
    assert isinstance(screen, BenchScreen)
    screen.follow_job(job_id)
    await wait_for(pilot, lambda: job_id in screen.log_ended and job_id in screen.saved)
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("workload", ["sort", "train"])
def test_bench_screen(
    snap_compare: Any, app_factory: AppFactory, workload: str, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await watch_recorded(pilot, workload)

    assert snap_compare(bench_app(app_factory), terminal_size=size, run_before=run_before)


def test_bench_screen_ascii(snap_compare: Any, app_factory: AppFactory) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await watch_recorded(pilot, "sort")

    app = bench_app(app_factory, ascii_only=True)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)
