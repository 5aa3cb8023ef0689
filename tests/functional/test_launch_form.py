"""The Presets screen and the launch form, driven by keyboard over recorded Ray answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from textual.widgets import Input, OptionList, Select, Static, Switch

from sovtui.presets.loader import load_presets
from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.launch_form import LaunchForm
from sovtui.tui.screens.presets import PresetsScreen
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.recorded import RecordedRay

DATA = Path(__file__).resolve().parent.parent / "data"
TUI_PRESETS = DATA / "tui_presets"


def make_app(recorded: RecordedRay, user_dir: Path) -> SovtuiApp:
    return tui_app.make_app(
        recorded_connection(recorded),
        Settings(interval=3600),
        clock=lambda: FROZEN_NOW,
        preset_source=lambda: load_presets(TUI_PRESETS, user_dir),
    )


class PostRecorder(RecordedRay):
    """Recorded answers, plus a list of every non-GET request made."""

    def __init__(self) -> None:
        super().__init__()
        self.posts: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        if request.method != "GET":
            self.posts.append(request)
        return super().handler(request)


def submissions(recorded: PostRecorder) -> int:
    return sum(request.url.path == "/api/jobs/" for request in recorded.posts)


async def open_form(pilot, query: str) -> LaunchForm:  # type: ignore[no-untyped-def]
    await pilot.press("3")
    await pilot.pause(0.2)
    await pilot.press(*query, "enter")
    await pilot.pause(0.2)
    form = pilot.app.screen
    assert isinstance(form, LaunchForm)
    return form


async def test_presets_screen_lists_presets_and_failures(tmp_path: Path) -> None:
    shutil.copy(DATA / "bad_presets" / "b05_default_out_of_range.yaml", tmp_path)
    app = make_app(RecordedRay(), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await pilot.pause(0.3)
        screen = app.screen
        assert isinstance(screen, PresetsScreen)
        options = screen.query_one("#preset-list", OptionList)
        assert options.option_count == 2
        failures = str(screen.query_one("#preset-failures-text", Static).render())
        assert "b05_default_out_of_range.yaml:9" in failures
        assert "params[0].default" in failures
        await pilot.press(*"tick")
        await pilot.pause(0.1)
        assert options.option_count == 1
        await pilot.press("escape")  # clears the filter
        assert options.option_count == 2
        await pilot.press("escape", "1")  # to the list, then digits switch modes again
        await pilot.pause(0.1)
        assert isinstance(app.screen, DashboardScreen)


async def test_out_of_range_value_shows_error_and_enter_does_nothing(tmp_path: Path) -> None:
    recorded = PostRecorder()
    app = make_app(recorded, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "tick")
        count = form.query_one("#param-count", Input)
        assert app.focused is count
        await pilot.press("ctrl+a", "ctrl+k", *"500")
        await pilot.pause(0.1)
        hint = str(form.query_one("#hint-count", Static).render())
        assert "500 is out of range" in hint and "1..100" in hint
        assert count.has_class("-invalid")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await pilot.pause(0.3)
        assert app.screen is form
        assert form.submissions == 0
        assert submissions(recorded) == 0
        # A value of the wrong type says so too.
        await pilot.press("ctrl+a", "ctrl+k", *"ten")
        await pilot.pause(0.1)
        assert "'ten' is not an integer" in str(form.query_one("#hint-count", Static).render())
        await pilot.press("ctrl+a", "ctrl+k", *"7")
        await pilot.pause(0.1)
        assert not form.errors


async def test_choice_and_bool_fields(tmp_path: Path) -> None:
    app = make_app(RecordedRay(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "pick")
        assert isinstance(form.query_one("#param-mode"), Select)
        assert form.raw_values() == {"mode": "fast", "limit": "", "label": "run"}
        assert not form.errors  # an empty optional int is left to the workload
        await pilot.press("escape")
        await pilot.pause(0.1)
        await pilot.press("ctrl+a", "ctrl+k", *"tick", "enter")
        await pilot.pause(0.2)
        tick_form = app.screen
        assert isinstance(tick_form, LaunchForm)
        fail = tick_form.query_one("#param-fail", Switch)
        await pilot.press("tab", "tab")
        assert app.focused is fail
        await pilot.press("enter")  # enter toggles a switch
        assert fail.value is True


async def test_ray_refusal_is_shown_on_the_form(tmp_path: Path) -> None:
    recorded = PostRecorder()
    recorded.override["/api/jobs/"] = lambda request: (
        httpx.Response(
            500,
            text="Traceback (most recent call last):\n  ...\nValueError: entrypoint_num_cpus "
            "is too large for this cluster",
        )
        if request.method == "POST"
        else httpx.Response(200, content=(recorded.folder / "jobs.json").read_bytes())
    )
    app = make_app(recorded, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "tick")
        await pilot.press("enter")
        await pilot.pause(0.5)
        assert app.screen is form
        status = str(form.query_one("#form-status", Static).render())
        assert "HTTP 500" in status
        assert "entrypoint_num_cpus is too large" in status
        assert submissions(recorded) == 1


async def test_screen_actions_are_in_the_palette_and_footer(tmp_path: Path) -> None:
    from sovtui.tui.palette import SovtuiCommands
    from sovtui.tui.screens.job import JobScreen

    recorded = RecordedRay()
    app = make_app(recorded, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.3)
        titles = [hit.text async for hit in SovtuiCommands(app.screen).discover()]
        assert "Go to Presets" in titles and "Open the selected job" in titles
        job = JobScreen(app.services, recorded.recorded_job("failed"))
        await app.push_screen(job)
        await pilot.pause(0.3)
        titles = [hit.text async for hit in SovtuiCommands(job).discover()]
        for title, _, action in JobScreen.PALETTE_ACTIONS:
            assert title in titles
            assert hasattr(job, f"action_{action}")
        shown = {b.key for (_, b, _, _) in job.active_bindings.values() if b.show}
        assert {"escape", "slash", "n", "s", "x"} <= shown
        # A finished job cannot be stopped; it can be deleted.
        assert job.check_action("stop", ()) is None
        assert job.check_action("delete", ()) is True
        assert job.log_ended
        assert job.query_one("#job-failure").display


async def test_job_search_highlights_and_jumps(tmp_path: Path) -> None:
    from sovtui.tui.screens.job import JobScreen
    from sovtui.tui.widgets.search_log import SearchLog

    recorded = RecordedRay()
    app = make_app(recorded, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        job = JobScreen(app.services, recorded.recorded_job("succeeded"))
        await app.push_screen(job)
        await pilot.pause(0.3)
        log = job.query_one(SearchLog)
        await pilot.press("slash", *"/6", "enter")
        await pilot.pause(0.1)
        ticks = [i for i, line in enumerate(log.all_lines) if line.startswith("tick ")]
        assert log.matches == ticks and len(ticks) == 6
        assert log.current == 0
        await pilot.press("n", "n")
        assert log.current == 2
        await pilot.press("N")
        assert log.current == 1
        await pilot.press("escape")
        assert app.screen is not job
