"""Snapshot tests of the dashboard on answers recorded from a real Ray 2.60 head, frozen clock."""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from sovtui.settings.model import Settings
from sovtui.tui import app as tui_app
from sovtui.tui.app import SovtuiApp
from tests.conftest import FROZEN_NOW, recorded_connection
from tests.pilot_helpers import settle
from tests.recorded import RAY_260, RAY_260_V2, RecordedRay


def make_app(folder: Any = RAY_260, theme: str = "sovtui-dark", **options: Any) -> SovtuiApp:
    recorded = RecordedRay(folder)
    return tui_app.make_app(
        recorded_connection(recorded),
        Settings(interval=3600, history_points=10, theme=theme),
        clock=lambda: FROZEN_NOW,
        monotonic=lambda: 1000.0,
        **options,
    )


async def until_polled(pilot: Pilot[None]) -> None:
    app = pilot.app
    for _ in range(100):
        if app.snapshot is not None or (not app.link.healthy and app.link.state != "connecting"):  # type: ignore[attr-defined]
            break
        await pilot.pause(0.05)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_dashboard(snap_compare: Any, size: tuple[int, int]) -> None:
    assert snap_compare(make_app(), terminal_size=size, run_before=until_polled)


def test_dashboard_autoscaler_v2(snap_compare: Any) -> None:
    assert snap_compare(make_app(RAY_260_V2), terminal_size=(120, 40), run_before=until_polled)


def test_dashboard_ascii_light_theme(snap_compare: Any) -> None:
    app = make_app(ascii_only=True, theme="sovtui-light")
    assert snap_compare(app, terminal_size=(100, 30), run_before=until_polled)


def test_help_screen(snap_compare: Any) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), press=["question_mark"])
