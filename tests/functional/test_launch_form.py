"""The Presets screen and the launch form, driven by keyboard over recorded Ray answers."""

from __future__ import annotations

import shutil
from pathlib import Path

import httpx
from textual.widgets import Input, OptionList, Select, Static, Switch

from sovtui.presets.loader import load_presets
from sovtui.settings.model import Settings
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.launch_form import LaunchForm
from sovtui.tui.screens.presets import PresetsScreen
from tests.support.app_factory import AppFactory
from tests.support.recorded_ray import RecordedRay
from tests.support.waiting import idle, wait_for, wait_for_workers

DATA = Path(__file__).resolve().parent.parent / "data"
TUI_PRESETS = DATA / "tui_presets"


def presets_app(app_factory: AppFactory, recorded: RecordedRay, user_dir: Path) -> SovtuiApp:
    return app_factory(
        settings=Settings(interval=3600),
        recorded=recorded,
        preset_source=lambda: load_presets(TUI_PRESETS, user_dir),
    )


def presets_listed(app: SovtuiApp) -> bool:
    screen = app.screen
    return isinstance(screen, PresetsScreen) and screen.query_one(OptionList).option_count > 0


def form_focused(app: SovtuiApp) -> bool:
    """A launch form is up, and one of its fields has the focus."""
    focused = app.focused
    return (
        isinstance(app.screen, LaunchForm) and focused is not None and focused.screen is app.screen
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
    await wait_for(pilot, lambda: presets_listed(pilot.app))
    await pilot.press(*query, "enter")
    await wait_for(pilot, lambda: form_focused(pilot.app))
    form = pilot.app.screen
    assert isinstance(form, LaunchForm)
    return form


async def test_presets_screen_lists_presets_and_failures(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    shutil.copy(DATA / "bad_presets" / "b05_default_out_of_range.yaml", tmp_path)
    app = presets_app(app_factory, RecordedRay(), tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("3")
        await wait_for(pilot, lambda: presets_listed(app))
        screen = app.screen
        assert isinstance(screen, PresetsScreen)
        options = screen.query_one("#preset-list", OptionList)
        assert options.option_count == 2
        failures = str(screen.query_one("#preset-failures-text", Static).render())
        assert "b05_default_out_of_range.yaml:9" in failures
        assert "params[0].default" in failures
        await pilot.press(*"tick")
        await wait_for(pilot, lambda: options.option_count == 1)
        await pilot.press("escape")  # clears the filter
        assert options.option_count == 2
        await pilot.press("escape", "1")  # to the list, then digits switch modes again
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))


async def test_out_of_range_value_shows_error_and_enter_does_nothing(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    recorded = PostRecorder()
    app = presets_app(app_factory, recorded, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "tick")
        count = form.query_one("#param-count", Input)
        assert app.focused is count
        await pilot.press("ctrl+a", "ctrl+k", *"500")

        def hint() -> str:
            return str(form.query_one("#hint-count", Static).render())

        await wait_for(pilot, lambda: "500 is out of range" in hint())
        assert "1..100" in hint()
        assert count.has_class("-invalid")
        await pilot.press("enter")
        await pilot.press("ctrl+s")
        await wait_for_workers(pilot)
        await idle(pilot)
        assert app.screen is form
        assert form.submissions == 0
        assert submissions(recorded) == 0
        # A value of the wrong type says so too.
        await pilot.press("ctrl+a", "ctrl+k", *"ten")
        await wait_for(pilot, lambda: "'ten' is not an integer" in hint())
        await pilot.press("ctrl+a", "ctrl+k", *"7")
        await wait_for(pilot, lambda: not form.errors)


async def test_choice_and_bool_fields(app_factory: AppFactory, tmp_path: Path) -> None:
    app = presets_app(app_factory, RecordedRay(), tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "pick")
        assert isinstance(form.query_one("#param-mode"), Select)
        assert form.raw_values() == {"mode": "fast", "limit": "", "label": "run"}
        assert not form.errors  # an empty optional int is left to the workload
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, PresetsScreen))
        await pilot.press("ctrl+a", "ctrl+k", *"tick", "enter")
        await wait_for(pilot, lambda: app.screen is not form and form_focused(app))
        tick_form = app.screen
        assert isinstance(tick_form, LaunchForm)
        fail = tick_form.query_one("#param-fail", Switch)
        await pilot.press("tab", "tab")
        assert app.focused is fail
        await pilot.press("enter")  # enter toggles a switch
        assert fail.value is True


async def test_ray_refusal_is_shown_on_the_form(app_factory: AppFactory, tmp_path: Path) -> None:
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
    app = presets_app(app_factory, recorded, tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot, "tick")
        await pilot.press("enter")

        def status() -> str:
            return str(form.query_one("#form-status", Static).render())

        await wait_for(pilot, lambda: "HTTP 500" in status())
        assert app.screen is form
        assert "entrypoint_num_cpus is too large" in status()
        assert submissions(recorded) == 1


async def test_screen_actions_are_in_the_palette_and_footer(
    app_factory: AppFactory, tmp_path: Path
) -> None:
    from sovtui.tui.screens.job import JobScreen

    recorded = RecordedRay()
    app = presets_app(app_factory, recorded, tmp_path)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Presets" in titles
        job = JobScreen(app.services, recorded.recorded_job("failed"))
        await app.push_screen(job)
        await wait_for(pilot, lambda: job.log_ended and job.details is not None)
        titles = {command.title for command in app.get_system_commands(job)}
        assert {"Back", "Filter", "Next", "Prev", "Delete", "Save log"} <= titles
        assert "Stop" not in titles  # a finished job cannot be stopped
        shown = {b.key for (_, b, _, _) in job.active_bindings.values() if b.show}
        assert {"escape", "slash", "n", "s", "x"} <= shown
        # A finished job cannot be stopped; it can be deleted.
        assert job.check_action("stop", ()) is None
        assert job.check_action("delete", ()) is True
        assert job.log_ended
        assert job.query_one("#job-failure").display


async def test_job_search_highlights_and_jumps(app_factory: AppFactory, tmp_path: Path) -> None:
    from sovtui.tui.screens.job import JobScreen
    from sovtui.tui.widgets.search_log import SearchLog

    recorded = RecordedRay()
    app = presets_app(app_factory, recorded, tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        job = JobScreen(app.services, recorded.recorded_job("succeeded"))
        await app.push_screen(job)
        await wait_for(pilot, lambda: job.log_ended)
        log = job.query_one(SearchLog)
        await pilot.press("slash", *"/6", "enter")
        await wait_for(pilot, lambda: log.matches)
        ticks = [i for i, line in enumerate(log.all_lines) if line.startswith("tick ")]
        assert log.matches == ticks and len(ticks) == 6
        assert log.current == 0
        await pilot.press("n", "n")
        assert log.current == 2
        await pilot.press("N")
        assert log.current == 1
        await pilot.press("escape")
        assert app.screen is not job
