"""Snapshot tests of the Presets screen, the launch form and the job screen, on answers recorded
from a real Ray 2.60 head (tests/recording/record_ray_responses.py and record_job_responses.py)
with a frozen clock."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, cast

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from sovtui.presets.loader import load_presets
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.screens.launch_form import LaunchForm
from sovtui.tui.screens.presets import PresetsScreen
from tests.support import waiting
from tests.support.app_factory import AppFactory
from tests.support.clocks import frozen_monotonic
from tests.support.recorded_ray import RecordedRay

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture
def user_presets(tmp_path: Path) -> Path:
    """A user presets folder holding one bad file (a default outside its range)."""
    shutil.copy(DATA / "bad_presets" / "b05_default_out_of_range.yaml", tmp_path)
    return tmp_path


def presets_app(app_factory: AppFactory, user_dir: Path) -> SovtuiApp:
    return app_factory(
        settings=Settings(interval=3600),
        monotonic=frozen_monotonic,
        preset_source=lambda: load_presets(DATA / "tui_presets", user_dir),
    )


async def settle(pilot: Pilot[None]) -> None:
    # A blinking cursor would make the picture depend on the moment it is taken.
    for screen in pilot.app.screen_stack:
        for field in screen.query(Input):
            field.cursor_blink = False
    await waiting.settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_presets_screen(
    snap_compare: Any, app_factory: AppFactory, user_presets: Path, size: tuple[int, int]
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await waiting.wait_for(pilot, lambda: presets_listed(pilot.app))
        await settle(pilot)

    app = presets_app(app_factory, user_presets)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_launch_form_with_error(
    snap_compare: Any, app_factory: AppFactory, user_presets: Path
) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await pilot.press("3")
        await waiting.wait_for(pilot, lambda: presets_listed(pilot.app))
        await settle(pilot)
        await pilot.press(*"tick", "enter")
        await waiting.wait_for(pilot, lambda: isinstance(pilot.app.screen, LaunchForm))
        await settle(pilot)
        await pilot.press("ctrl+a", "ctrl+k", *"500", "enter")
        await waiting.wait_for(pilot, lambda: form_errors(pilot.app))
        await settle(pilot)

    app = presets_app(app_factory, user_presets)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


@pytest.mark.parametrize(("outcome", "size"), [("failed", (80, 24)), ("succeeded", (100, 30))])
def test_job_screen(
    snap_compare: Any,
    app_factory: AppFactory,
    recorded_ray: RecordedRay,
    user_presets: Path,
    outcome: str,
    size: tuple[int, int],
) -> None:
    job_id = recorded_ray.recorded_job(outcome)

    async def run_before(pilot: Pilot[None]) -> None:
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DashboardScreen)
        job = JobScreen(cast(SovtuiApp, pilot.app).services, job_id)
        await pilot.app.push_screen(job)
        await waiting.wait_for(pilot, lambda: job.log_ended and job.details is not None)
        await settle(pilot)

    app = presets_app(app_factory, user_presets)
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def presets_listed(app: object) -> bool:
    return (
        isinstance(app, SovtuiApp)
        and isinstance(app.screen, PresetsScreen)
        and bool(app.screen.query_one(OptionList).option_count)
    )


def form_errors(app: object) -> bool:
    return (
        isinstance(app, SovtuiApp)
        and isinstance(app.screen, LaunchForm)
        and bool(app.screen.errors)
    )
