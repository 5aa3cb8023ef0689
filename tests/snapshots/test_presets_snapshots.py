"""Snapshot tests of the Presets screen, the launch form and the job screen, on answers recorded
from a real Ray 2.60 head (tests/record_ray_responses.py, tests/record_job_responses.py) with a
frozen clock."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from sovtui.presets.loader import load_presets
from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.job import JobScreen
from tests import pilot_helpers
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.recorded import RecordedRay

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def user_presets(tmp_path: Path) -> Path:
    """A user presets folder holding one bad file (a default outside its range)."""
    shutil.copy(DATA / "bad_presets" / "b05_default_out_of_range.yaml", tmp_path)
    return tmp_path


def make_app(user_dir: Path, recorded: RecordedRay | None = None) -> SovtuiApp:
    return tui_app.make_app(
        recorded_connection(recorded or RecordedRay()),
        Settings(interval=3600),
        clock=lambda: FROZEN_NOW,
        monotonic=lambda: 1000.0,
        preset_source=lambda: load_presets(DATA / "tui_presets", user_dir),
    )


async def settle(pilot: Pilot[None]) -> None:
    # A blinking cursor would make the picture depend on the moment it is taken.
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await pilot_helpers.settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_presets_screen(snap_compare: Any, user_presets: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(make_app(user_presets), terminal_size=size, run_before=run_before)


def test_launch_form_with_error(snap_compare: Any, user_presets: Path) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await settle(pilot)
        await pilot.press(*"tick", "enter")
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"500", "enter")
        await settle(pilot)

    assert snap_compare(make_app(user_presets), terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize(("outcome", "size"), [("failed", (80, 24)), ("succeeded", (100, 30))])
def test_job_screen(
    snap_compare: Any, user_presets: Path, outcome: str, size: tuple[int, int]
) -> None:
    recorded = RecordedRay()
    job_id = recorded.recorded_job(outcome)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DashboardScreen)
        services = cast(SovtuiApp, pilot.app).services
        await pilot.app.push_screen(JobScreen(services, job_id))
        for _ in range(50):
            if isinstance(pilot.app.screen, JobScreen) and pilot.app.screen.log_ended:
                break
            await pilot.pause(0.05)
        await settle(pilot)

    app = make_app(user_presets, recorded)
    assert snap_compare(app, terminal_size=size, run_before=run_before)
