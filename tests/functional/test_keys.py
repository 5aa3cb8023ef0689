"""Keyboard behaviour, driven with Pilot over answers recorded from a real Ray 2.60 head."""

from __future__ import annotations

from pathlib import Path

from sovtui.settings.model import Settings
from sovtui.tui.screens.dashboard import DashboardScreen
from sovtui.tui.screens.help import HelpScreen
from sovtui.tui.widgets.jobs_table import JobsTable
from sovtui.tui.widgets.node_table import NodeTable
from tests.support.app_factory import AppFactory
from tests.support.recorded_ray import RecordedRay
from tests.support.waiting import idle, wait_for, wait_for_poll


async def test_first_poll_fills_tables(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_poll(pilot)
        nodes = app.screen.query_one(NodeTable)
        jobs = app.screen.query_one(JobsTable)
        assert nodes.row_count == 1
        assert jobs.row_count == 2
        assert "recorded-ok" in [key.value for key in jobs.rows]
        assert app.link.healthy


async def test_r_refreshes_now(recorded_ray: RecordedRay, app_factory: AppFactory) -> None:
    app = app_factory(settings=Settings(interval=3600))
    async with app.run_test() as pilot:
        poller = app.feed.poller
        await wait_for_poll(pilot)
        await wait_for(pilot, lambda: not poller.fetching, what="the first poll to finish")
        before = recorded_ray.requests.count("/api/jobs/")
        await pilot.press("r")
        await wait_for(pilot, lambda: recorded_ray.requests.count("/api/jobs/") > before)
        await wait_for(pilot, lambda: not poller.fetching, what="the refresh to finish")
        await idle(pilot)
        assert recorded_ray.requests.count("/api/jobs/") == before + 1


async def test_tab_moves_between_panes(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.focused, NodeTable))
        await pilot.press("tab")
        assert isinstance(app.focused, JobsTable)
        await pilot.press("tab")
        assert isinstance(app.focused, NodeTable)


async def test_question_mark_opens_help_and_escape_closes(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, DashboardScreen)


async def test_q_quits(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await pilot.press("q")
        await wait_for(pilot, lambda: app.return_code is not None, what="q to end the app")
    assert app.return_code == 0


async def test_footer_shows_bindings(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 30)) as pilot:

        def shown() -> set[str]:
            bindings = app.screen.active_bindings.values()
            return {binding.key for (_, binding, enabled, _) in bindings if binding.show}

        await wait_for(pilot, lambda: {"q", "r", "question_mark", "tab"} <= shown())


async def test_app_keys_and_themes_are_in_the_command_palette(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: isinstance(app.screen, DashboardScreen))
        helps = {c.title: c.help for c in app.get_system_commands(app.screen)}
        assert helps["Refresh"] == "Poll the Ray dashboard immediately (r)"
        assert helps["Presets"] == "Launch a preset workload from a form (3)"
        assert helps["Quit"] == "Leave sovtui (q, ^q)"  # the footer's key first
        assert helps["Cluster: Up"] == "Start a Ray cluster from a Compose file (2 then u)"
        assert {"Theme: sovtui-dark", "Theme: sovtui-light", "Theme: sovtui-16"} <= set(helps)


async def test_theme_switch_from_palette_entry(app_factory: AppFactory) -> None:
    app = app_factory()
    async with app.run_test() as pilot:
        app.use_theme("sovtui-light")
        await wait_for(pilot, lambda: app.theme == "sovtui-light")
        app.use_theme("no-such-theme")
        assert app.theme == "sovtui-light"


async def test_unknown_configured_theme_falls_back(app_factory: AppFactory) -> None:
    app = app_factory(settings=Settings(theme="missing-theme"))
    async with app.run_test() as pilot:
        await wait_for(pilot, lambda: app.theme == "sovtui-dark")


async def test_broken_theme_is_reported_in_the_app(app_factory: AppFactory, tmp_path: Path) -> None:
    from sovtui.tui.themes import load_themes

    (tmp_path / "bad.yaml").write_text("name: bad\nprimary: nope\n")
    app = app_factory(themes=load_themes([tmp_path]))
    async with app.run_test() as pilot:

        def messages() -> list[str]:
            return [str(n.message) for n in app._notifications]

        await wait_for(pilot, lambda: any("bad.yaml" in m and "primary" in m for m in messages()))
        assert app.is_running


async def test_digits_switch_modes_and_1_returns_to_the_same_dashboard(
    app_factory: AppFactory,
) -> None:
    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        dashboard = app.screen
        assert isinstance(dashboard, DashboardScreen) and app.current_mode == "dashboard"
        await pilot.press("3")
        await wait_for(pilot, lambda: app.current_mode == "presets")
        await pilot.press("escape", "1")  # out of the preset search box, then back
        await wait_for(pilot, lambda: app.current_mode == "dashboard")
        assert app.screen is dashboard  # history, focus and tables kept


async def test_plots_are_drawn_once_the_first_frame_is_out(app_factory: AppFactory) -> None:
    from sovtui.tui.widgets.history_canvas import HistoryCanvas
    from sovtui.tui.widgets.history_plot import HistoryPlot

    app = app_factory()
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.painted and app.snapshot is not None)
        plots = list(app.screen.query(HistoryPlot))
        assert len(plots) == 2
        await wait_for(pilot, lambda: all(p.query(HistoryCanvas) for p in plots))
        assert all(p.query_one(HistoryCanvas).size.width > 0 for p in plots)


async def test_footer_follows_focus_and_keeps_its_keys_when_nothing_changed(
    app_factory: AppFactory,
) -> None:
    from textual.widgets._footer import FooterKey

    from sovtui.tui.textual_hacks import SteadyFooter

    app = app_factory()
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
        await idle(pilot)
        assert list(footer.query(FooterKey)) == keys_before  # the same widgets: not rebuilt
        await pilot.press("n")
        await wait_for(pilot, lambda: "Open job" not in descriptions())
