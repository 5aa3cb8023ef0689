"""Launch a preset by keyboard alone against a real Ray head, then follow its log to the end."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from rich.console import Console
from textual.app import App
from textual.widgets import Static

from sovtui.cluster.connect import Connection
from sovtui.presets.loader import load_presets
from sovtui.ray_api.jobs import JobNotFound, JobsApi
from sovtui.settings.model import Settings
from sovtui.tui.screens.confirm import ConfirmScreen
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.job import JobScreen
from sovtui.tui.screens.launch_form import LaunchForm
from sovtui.tui.screens.presets import PresetsScreen
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.search_log import SearchLog
from tests.support.app_factory import AppFactory
from tests.support.waiting import wait_for

pytestmark = pytest.mark.ray

TICK = Path(__file__).resolve().parent.parent / "data" / "tui_presets" / "tick.yaml"


def highlighted_preset(app: App[None]) -> str | None:
    screen = app.screen
    preset = screen.highlighted_preset() if isinstance(screen, PresetsScreen) else None
    return preset.name if preset is not None else None


async def test_launch_preset_by_keyboard_and_follow_log(
    ray_connection: Connection,
    app_factory: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The user's presets folder (XDG) holds the command preset; the shipped ones load too.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "sovtui" / "presets").mkdir(parents=True)
    shutil.copy(TICK, tmp_path / "sovtui" / "presets")
    app = app_factory(ray_connection, Settings(interval=2.0), preset_source=load_presets)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen))
        await pilot.press(*"tick")
        await wait_for(pilot, lambda: highlighted_preset(app) == "tick")
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchForm))
        form = app.screen
        assert isinstance(form, LaunchForm)
        await pilot.press("ctrl+a", "ctrl+k", *"7")  # count = 7
        await wait_for(pilot, lambda: form.raw_values().get("count") == "7")
        assert not form.errors
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), timeout=120)

        table = app.screen.query_one(JobsTable)
        await wait_for(pilot, lambda: (table.cursor_key() or "").startswith("sovtui-tick-"))
        job_id = table.cursor_key()
        assert job_id is not None
        assert app.focused is table
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobScreen))
        job = app.screen
        assert isinstance(job, JobScreen) and job.job_id == job_id
        await wait_for(pilot, lambda: job.log_ended, timeout=180)
        await wait_for(pilot, lambda: job.details is not None and job.details.is_terminal)
        lines = job.query_one(SearchLog).all_lines
        assert lines[-1] == "done: 7 ticks"
        assert [line for line in lines if line.startswith("tick ")] == [
            f"tick {i}/7" for i in range(1, 8)
        ]
        assert job.details is not None and job.details.status == "SUCCEEDED"
        shown = Console(file=io.StringIO(), width=120, record=True)
        shown.print(job.query_one("#job-details", Static).content)
        assert "SUCCEEDED" in shown.export_text()
        # `/` keeps the matching lines (highlighted), `n` jumps between them.
        await pilot.press("slash", *"tick 3", "enter")
        log = job.query_one(SearchLog)
        await wait_for(pilot, lambda: log.matches)
        assert len(log.matches) == 1 and log.all_lines[log.matches[0]] == "tick 3/7"
        # `x` deletes the finished job after a confirmation.
        await pilot.press("x")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        with pytest.raises(JobNotFound):
            await JobsApi(ray_connection.client).job(job_id)


async def test_stop_a_running_job_by_keyboard(
    ray_connection: Connection,
    app_factory: AppFactory,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    (tmp_path / "sovtui" / "presets").mkdir(parents=True)
    shutil.copy(TICK, tmp_path / "sovtui" / "presets")
    app = app_factory(ray_connection, Settings(interval=1.0), preset_source=load_presets)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen))
        await pilot.press(*"tick", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, LaunchForm))
        await pilot.press("ctrl+a", "ctrl+k", *"100", "tab", "ctrl+a", "ctrl+k", *"1", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen), timeout=120)
        table = app.screen.query_one(JobsTable)
        await wait_for(pilot, lambda: (table.cursor_key() or "").startswith("sovtui-tick-"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobScreen))
        job = app.screen
        assert isinstance(job, JobScreen)
        await wait_for(pilot, lambda: "tick 2/100" in job.query_one(SearchLog).all_lines)
        assert job.check_action("delete", ()) is None  # not while it runs
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: job.log_ended, timeout=120)
        await wait_for(pilot, lambda: job.details is not None and job.details.is_terminal)
        assert job.details is not None and job.details.status == "STOPPED"
