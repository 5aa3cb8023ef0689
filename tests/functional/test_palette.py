"""The command palette is generated from the key bindings: every footer key is in it, with
its key, and no entry is typed a second time beside a binding."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import BindingsMap
from textual.command import CommandPalette
from textual.screen import Screen

from sovtui.tui.app import SovtuiApp
from sovtui.tui.screens.cluster import ClusterScreen
from sovtui.tui.screens.help import HelpScreen
from sovtui.tui.screens.job import JobScreen
from tests.support.app_factory import make_app as make_recorded_app
from tests.support.recorded_ray import RecordedRay
from tests.support.waiting import wait_for

SOVTUI = Path(__file__).resolve().parents[2] / "sovtui"


def make_app(recorded: RecordedRay) -> SovtuiApp:
    return make_recorded_app(recorded=recorded)


def commands(app: App[None]) -> dict[str, SystemCommand]:
    return {command.title: command for command in app.get_system_commands(app.screen)}


def footer_keys(screen: Screen[object]) -> list[tuple[str, str]]:
    """(description, key as shown) of every enabled key the footer shows."""
    return [
        (binding.description, screen.app.get_key_display(binding))
        for _node, binding, enabled, _tip in screen.active_bindings.values()
        if binding.show and enabled
    ]


def assert_footer_in_palette(app: App[None]) -> None:
    listed = commands(app)
    footer = footer_keys(app.screen)
    assert footer, f"no footer keys on {app.screen}"
    for description, key in footer:
        assert description in listed, f"{description!r} ({key}) missing on {app.screen}"
        assert key in listed[description].help, (description, key, listed[description].help)


async def test_every_footer_key_of_every_screen_is_in_the_palette(
    recorded_ray: RecordedRay,
) -> None:
    app = make_app(recorded_ray)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.snapshot is not None)
        assert_footer_in_palette(app)  # the node table has focus
        await pilot.press("j")
        await wait_for(pilot, lambda: "Open job" in dict(footer_keys(app.screen)))
        assert_footer_in_palette(app)  # a focused widget's footer key too
        for mode in ("cluster", "presets", "bench", "dashboard"):
            await app.switch_mode(mode)
            await pilot.pause()
            assert_footer_in_palette(app)
        await app.push_screen(JobScreen(app.services, recorded_ray.recorded_job("failed")))
        assert_footer_in_palette(app)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert_footer_in_palette(app)


async def test_no_palette_entry_is_typed_beside_a_binding(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test():
        textual_titles = {c.title for c in App.get_system_commands(app, app.screen)}
        descriptions = {
            binding.description for _, binding, _, _ in app.screen.active_bindings.values()
        }
        cluster_keys = {
            f"Cluster: {binding.description}"
            for bindings in BindingsMap(ClusterScreen.BINDINGS).key_to_bindings.values()
            for binding in bindings
        }
        themes = {f"Theme: {name}" for name in app.sovtui_theme_names}
        for title in commands(app):
            assert title in descriptions | cluster_keys | themes | textual_titles, title
    # The hand-written lists the generated entries replaced stay gone.
    for path in SOVTUI.rglob("*.py"):
        assert "PALETTE_ACTIONS" not in path.read_text(), path


async def test_a_palette_entry_runs_its_binding(recorded_ray: RecordedRay) -> None:
    app = make_app(recorded_ray)
    async with app.run_test() as pilot:
        await app.run_action("command_palette")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Help", "enter")  # the `?` binding's entry
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("escape")
        await app.run_action("command_palette")
        await wait_for(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"Cluster: Refresh", "enter")  # a Cluster key, from the dashboard
        await wait_for(pilot, lambda: isinstance(app.screen, ClusterScreen))
