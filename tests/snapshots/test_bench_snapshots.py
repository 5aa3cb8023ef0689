"""Snapshot tests of the Bench screen on benchmark jobs recorded from a real Ray 2.60 head
(tests/record_bench_responses.py: their details and driver logs, SOVTUI_METRIC lines included),
with a frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.bench import BenchScreen
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.pilot_helpers import settle
from tests.recorded import RAY_260_BENCH, RecordedRay


def make_app(ascii_only: bool = False) -> SovtuiApp:
    return tui_app.make_app(
        recorded_connection(RecordedRay(jobs_folder=RAY_260_BENCH)),
        Settings(interval=3600),
        clock=lambda: FROZEN_NOW,
        monotonic=lambda: 1000.0,
        ascii_only=ascii_only,
    )


async def watch_recorded(pilot: Pilot[None], workload: str) -> BenchScreen:
    """Key 4, then watch the recorded job; wait until its log is read and its results saved."""
    job_id = RecordedRay(jobs_folder=RAY_260_BENCH).recorded_job(workload)
    await pilot.press("4")
    await pilot.pause(0.1)
    screen = pilot.app.screen
    assert isinstance(screen, BenchScreen)
    screen.follow_job(job_id)
    for _ in range(100):
        if job_id in screen.log_ended and job_id in screen.saved:
            break
        await pilot.pause(0.05)
    assert job_id in screen.saved
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("workload", ["sort", "train"])
def test_bench_screen(snap_compare: Any, workload: str, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await watch_recorded(pilot, workload)

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)


def test_bench_screen_ascii(snap_compare: Any) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await watch_recorded(pilot, "sort")

    assert snap_compare(make_app(ascii_only=True), terminal_size=(80, 24), run_before=run_before)
