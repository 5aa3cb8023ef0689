"""Keyboard behaviour, driven with Pilot over answers recorded from a real Ray 2.60 head."""

from __future__ import annotations

from typing import Any

from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.help import HelpScreen
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.node_table import NodeTable
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.pilot_helpers import wait_for
from tests.recorded import RecordedRay


def make_app(recorded: RecordedRay, **settings: Any) -> SovtuiApp:
    return tui_app.make_app(
        recorded_connection(recorded),
        Settings(**settings),
        clock=lambda: FROZEN_NOW,
    )


async def test_first_poll_fills_tables(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        nodes = app.screen.query_one(NodeTable)
        jobs = app.screen.query_one(JobsTable)
        assert nodes.row_count == 1
        assert jobs.row_count == 2
        assert "recorded-ok" in [key.value for key in jobs.rows]
        assert app.link.healthy


async def test_r_refreshes_now(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray, interval=3600)
    async with app.run_test() as pilot:
        await pilot.pause(0.3)
        before = recorded_ray.requests.count("/api/jobs/")
        await pilot.press("r")
        await pilot.pause(0.3)
        assert recorded_ray.requests.count("/api/jobs/") == before + 1


async def test_tab_moves_between_panes(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        await pilot.pause(0.2)
        assert isinstance(app.focused, NodeTable)
        await pilot.press("tab")
        assert isinstance(app.focused, JobsTable)
        await pilot.press("tab")
        assert isinstance(app.focused, NodeTable)


async def test_question_mark_opens_help_and_escape_closes(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_q_quits(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        await pilot.press("q")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_footer_shows_bindings(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.pause(0.2)
        shown = {
            binding.key
            for (_, binding, enabled, _) in app.screen.active_bindings.values()
            if binding.show
        }
        assert {"q", "r", "question_mark", "tab"} <= shown


async def test_every_action_is_in_the_command_palette(recorded_ray: RecordedRay) -> None:
    from sovtui.tui.palette import APP_ACTIONS, SovtuiCommands

    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        provider = SovtuiCommands(app.screen)
        titles = [hit.text async for hit in provider.discover()]
        for title, _, _ in APP_ACTIONS:
            assert title in titles
        assert {"Theme: sovtui-dark", "Theme: sovtui-light", "Theme: sovtui-16"} <= set(titles)
        for binding in ("refresh", "help", "quit"):
            assert any(action.startswith(binding) for _, _, action in APP_ACTIONS)


async def test_theme_switch_from_palette_entry(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        app.use_theme("sovtui-light")
        await pilot.pause(0.1)
        assert app.theme == "sovtui-light"
        app.use_theme("no-such-theme")
        assert app.theme == "sovtui-light"


async def test_unknown_configured_theme_falls_back(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray, theme="missing-theme")
    async with app.run_test() as pilot:
        await pilot.pause(0.1)
        assert app.theme == "sovtui-dark"


async def test_broken_theme_is_reported_in_the_app(recorded_ray: RecordedRay, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from sovtui.tui.themes import load_themes

    (tmp_path / "bad.yaml").write_text("name: bad\nprimary: nope\n")
    app = tui_app.make_app(
        recorded_connection(recorded_ray),
        Settings(),
        themes=load_themes([tmp_path]),
        clock=lambda: FROZEN_NOW,
    )
    async with app.run_test() as pilot:
        await pilot.pause(0.2)
        messages = [str(n.message) for n in app._notifications]
        assert any("bad.yaml" in m and "primary" in m for m in messages)
        assert app.is_running


async def test_digits_switch_modes_and_1_returns_to_the_same_dashboard(
    recorded_ray: RecordedRay,
) -> None:
    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen) and app.current_mode == "dashboard"
        await pilot.press("3")
        await wait_for(pilot, lambda: app.current_mode == "presets")
        await pilot.press("escape", "1")  # out of the preset search box, then back
        await wait_for(pilot, lambda: app.current_mode == "dashboard")
        assert app.screen is dashboard  # history, focus and tables kept


async def test_plots_are_drawn_once_the_first_frame_is_out(recorded_ray: RecordedRay) -> None:
    from sovtui.tui.widgets.history_canvas import HistoryCanvas
    from sovtui.tui.widgets.history_plot import HistoryPlot

    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.painted and app.snapshot is not None)
        plots = list(app.screen.query(HistoryPlot))
        assert len(plots) == 2
        await wait_for(pilot, lambda: all(p.query(HistoryCanvas) for p in plots))
        assert all(p.query_one(HistoryCanvas).size.width > 0 for p in plots)


async def test_footer_follows_focus_and_keeps_its_keys_when_nothing_changed(
    recorded_ray: RecordedRay,
) -> None:
    from textual.widgets._footer import FooterKey

    from sovtui.tui.widgets.footer import SteadyFooter

    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 30)) as pilot:
        footer = app.screen.query_one(SteadyFooter)

        def descriptions() -> set[str]:
            return {key.description for key in footer.query(FooterKey)}

        await wait_for(pilot, lambda: "Quit" in descriptions())
        assert "Open job" not in descriptions()  # the node table has focus
        await pilot.press("j")
        await wait_for(pilot, lambda: "Open job" in descriptions())
        keys_before = list(footer.query(FooterKey))
        app.screen.refresh_bindings()  # a change that changes nothing shown
        await pilot.pause(0.2)
        assert list(footer.query(FooterKey)) == keys_before  # the same widgets: not rebuilt
        await pilot.press("n")
        await wait_for(pilot, lambda: "Open job" not in descriptions())
